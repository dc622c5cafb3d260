/**
 * Waits `ms`, or less when `signal` aborts: a shutdown must not sit out a back-off or a poll. An
 * already aborted signal returns at once. It never rejects: the caller checks the signal and
 * decides whether to go on (every loop that sleeps does that check anyway).
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
