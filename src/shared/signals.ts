// Ctrl-C (SIGINT) and SIGTERM, in one place for every command (docs/operations.md, "Stopping a
// command"). The core, watchInterrupt: the first signal asks the work to stop (an AbortSignal the
// work checks between units), and a second one while that runs exits 130 at once (whatever was not
// committed rolls back on the server when the connection drops). The daemons wait on it:
// untilSignal (serve, watch) and waitForShutdown (the worker).

export const INTERRUPT_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

export interface Interrupt {
  /** Aborted on the first SIGINT or SIGTERM; its reason is the signal's name. */
  readonly signal: AbortSignal;
  /** The first signal received, or null. */
  readonly received: NodeJS.Signals | null;
  /** Removes the handlers (the process's default handling comes back). Safe to call twice. */
  dispose(): void;
}

export interface WatchOptions {
  /**
   * On a second signal before dispose(): called (to say what a hard stop leaves), then the process
   * exits 130. Without it a second signal is only recorded (the first already asked to stop).
   */
  onSecond?: (signal: NodeJS.Signals) => void;
}

/** Listens for SIGINT and SIGTERM until dispose(). */
export function watchInterrupt(options: WatchOptions = {}): Interrupt {
  const controller = new AbortController();
  let received: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received === null) {
      received = signal;
      controller.abort(signal);
      return;
    }
    if (options.onSecond) {
      options.onSecond(signal);
      process.exit(130);
    }
  };
  for (const s of INTERRUPT_SIGNALS) process.on(s, onSignal);
  return {
    signal: controller.signal,
    get received() {
      return received;
    },
    dispose() {
      for (const s of INTERRUPT_SIGNALS) process.off(s, onSignal);
    },
  };
}

/** The signal's name for a message: what aborted `signal`, or SIGINT. */
export function signalName(signal: AbortSignal): string {
  return typeof signal.reason === 'string' ? signal.reason : 'SIGINT';
}

/** The first signal's name once `interrupt` aborts, or null once `done` resolves first; `done`'s rejection propagates. */
async function firstOf(interrupt: Interrupt, done: Promise<unknown>): Promise<NodeJS.Signals | null> {
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    if (interrupt.received) return resolve(interrupt.received);
    interrupt.signal.addEventListener('abort', () => resolve(interrupt.received!), { once: true });
  });
  return Promise.race([signalled, done.then(() => null)]);
}

/**
 * Resolves on the first SIGINT or SIGTERM, or when `done` resolves (its rejection propagates),
 * whichever comes first, and stops listening either way: a daemon run in process, as tests do,
 * leaves no handler, and a second signal while the daemon closes gets the default handling.
 */
export async function untilSignal(done: Promise<unknown> = new Promise(() => {})): Promise<'signal' | 'done'> {
  const interrupt = watchInterrupt();
  try {
    return (await firstOf(interrupt, done)) === null ? 'done' : 'signal';
  } finally {
    interrupt.dispose();
  }
}

/**
 * The worker's wait: resolves with the first SIGTERM or SIGINT's name, or with null when `done`
 * resolves first (its rejection propagates: the consumer crashed). It keeps listening until `done`
 * settles, so a second signal while the graceful stop runs calls `onSecondSignal` (to say what a
 * hard stop leaves) and exits 130 at once, for an operator whose stop is stuck on something.
 */
export function waitForShutdown(done: Promise<void>, onSecondSignal: (signal: NodeJS.Signals) => void): Promise<NodeJS.Signals | null> {
  const interrupt = watchInterrupt({ onSecond: onSecondSignal });
  return firstOf(interrupt, done.finally(() => interrupt.dispose()));
}

/**
 * After a stop that gave up (--shutdown-timeout of `worker` and `serve`): something may still hold
 * the process open (a kafkajs reconnect loop, a socket to a silent host), so exit with `code`
 * after `afterMs`, unless the process ends by itself first.
 */
export function exitSoon(code: number, afterMs: number): void {
  setTimeout(() => process.exit(code), afterMs).unref();
}
