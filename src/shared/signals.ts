// Ctrl-C (SIGINT) and SIGTERM for commands that stop cleanly: the first signal asks the work to
// stop (an AbortSignal the work checks between units), the work in flight finishes or rolls back,
// and the command says what was done and exits 130. A second signal while that runs exits 130 at
// once: whatever was not committed rolls back on the server when the connection drops.
// The worker (src/worker/shutdown.ts) and the daemons (src/api/realtime/untilSignal.ts) keep their own.

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
