import type { CliIO } from '../shared/io.js';

/**
 * One progress line on stderr, rewritten in place, only when stderr is a terminal (never in a
 * pipe, a log or a test), at most ten times a second. done() clears it before the result prints.
 */
export class Progress {
  private readonly on: boolean;
  private last = 0;
  private shown = false;

  constructor(private readonly io: CliIO) {
    this.on = Boolean(io.stderr.isTTY) && io.env.TERM !== 'dumb';
  }

  /** A running count: rewritten at most every 100 ms. */
  tick(text: string): void {
    if (!this.on) return;
    const now = Date.now();
    if (now - this.last < 100) return;
    this.last = now;
    this.show(text);
  }

  /** A new phase: shown at once. */
  phase(text: string): void {
    if (!this.on) return;
    this.last = Date.now();
    this.show(text);
  }

  done(): void {
    if (this.on && this.shown) this.io.stderr.write('\r\u001b[2K');
    this.shown = false;
  }

  private show(text: string): void {
    this.io.stderr.write(`\r\u001b[2K${text}`);
    this.shown = true;
  }
}

export function megabytes(bytes: number): string {
  return (bytes / 1_048_576).toFixed(1) + ' MB';
}

export function thousands(n: number): string {
  return n.toLocaleString('en-US');
}
