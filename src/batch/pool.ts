// A bounded pool of concurrent tasks: run() waits for a free slot, so a producer reading a file
// never gets more than `size` rows ahead of the database. The first task error stops the pool:
// run() and drain() reject with it once the tasks in flight have settled.

export class TaskPool {
  private running = 0;
  private failure: { error: unknown } | undefined;
  private readonly waiting: Array<() => void> = [];
  private readonly idle: Array<() => void> = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`pool size must be a whole number >= 1, got ${size}`);
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** Starts task once a slot is free; resolves when it has started, not when it ends. */
  async run(task: () => Promise<void>): Promise<void> {
    while (this.running >= this.size && !this.failure) await new Promise<void>((resolve) => this.waiting.push(resolve));
    if (this.failure) {
      await this.drain();
      return;
    }
    this.running++;
    void task()
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => {
        this.running--;
        this.waiting.shift()?.();
        if (this.failure) for (const wake of this.waiting.splice(0)) wake();
        if (this.running === 0) for (const done of this.idle.splice(0)) done();
      });
  }

  /** Waits for every started task; rejects with the first failure, if any. */
  async drain(): Promise<void> {
    if (this.running > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    if (this.failure) throw this.failure.error;
  }
}
