/**
 * Resolves on the first SIGINT or SIGTERM, or when `done` settles, whichever comes first, and
 * removes its signal handlers either way (so a daemon run in process, as tests do, leaves none).
 */
export async function untilSignal(done: Promise<unknown> = new Promise(() => {})): Promise<'signal' | 'done'> {
  let onSignal: (() => void) | undefined;
  const signalled = new Promise<'signal'>((resolve) => {
    onSignal = () => resolve('signal');
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  try {
    return await Promise.race([signalled, done.then(() => 'done' as const)]);
  } finally {
    process.off('SIGINT', onSignal!);
    process.off('SIGTERM', onSignal!);
  }
}
