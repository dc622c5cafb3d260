import type { Side } from './snapshot.js';

/**
 * A part of the snapshot read from Kafka or the worker rather than the database. A refresh waits
 * for it at most `timeoutMs`; a read still running then is not started again (it goes on, and
 * the next refresh takes its result), so a broker that does not answer neither holds up the
 * database figures nor piles up connection attempts. A failure keeps the last good value.
 */
export class SidePoller<T> {
  private pending: Promise<void> | undefined;
  private result: Side<T> | undefined;
  private last: T | undefined;

  constructor(
    private readonly read: () => Promise<T>,
    private readonly timeoutMs: number,
    private readonly describe: (error: unknown) => string = (error) => (error instanceof Error ? error.message : String(error)),
  ) {}

  async poll(): Promise<Side<T>> {
    this.pending ??= this.read().then(
      (value) => {
        this.last = value;
        this.result = { ok: true, value };
      },
      (error: unknown) => {
        this.result = { ok: false, error: this.describe(error), ...(this.last !== undefined && { last: this.last }) };
      },
    ).finally(() => {
      this.pending = undefined;
    });
    const running = this.pending;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.timeoutMs);
    });
    const outcome = await Promise.race([running.then(() => 'done' as const), timedOut]);
    clearTimeout(timer);
    if (outcome === 'done' && this.result) return this.result;
    const error = `no answer within ${(this.timeoutMs / 1000).toFixed(1)} s`;
    return { ok: false, error, ...(this.last !== undefined && { last: this.last }) };
  }
}
