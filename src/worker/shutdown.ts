/**
 * Waits for SIGTERM or SIGINT (resolving with its name) or for `done` to settle (its rejection
 * propagates: the consumer crashed). A second signal while the graceful stop runs exits at once,
 * for an operator whose stop is stuck on something (exit 130, as for a shell's Ctrl-C).
 */
export function waitForShutdown(done: Promise<void>, onSecondSignal: (signal: string) => void): Promise<string | null> {
  return new Promise((resolve, reject) => {
    let received: string | null = null;
    const onSignal = (signal: NodeJS.Signals) => {
      if (received !== null) {
        onSecondSignal(signal);
        process.exit(130);
      }
      received = signal;
      resolve(signal);
    };
    const remove = () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    done.then(
      () => {
        remove();
        resolve(received);
      },
      (error: unknown) => {
        remove();
        reject(error);
      },
    );
  });
}
