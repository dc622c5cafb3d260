import type { CliIO } from './io.js';

// The progress of a long command (`codes import`, `codes export`, `batch run`), on stderr only:
// stdout carries the result (one JSON document with --json) and must not get a byte of it.
//  - On a terminal: one line, rewritten in place at most every REDRAW_MS, cleared by done()
//    before the result prints.
//  - Anywhere else (a pipe, a log file, a CI job, a terminal with TERM=dumb, which cannot rewrite
//    a line): plain lines, one at most every PLAIN_EVERY_MS, and none in the first PLAIN_EVERY_MS,
//    so a log shows a long run is alive while a quick run (and a test) prints nothing.

export const REDRAW_MS = 100;
export const PLAIN_EVERY_MS = 10_000;

const CLEAR_LINE = '\r\u001b[2K';

export interface ProgressOptions {
  /** Rewrite one line in place; default: stderr is a terminal and TERM is not dumb. */
  rewrite?: boolean;
  /** The clock (tests step it). */
  now?: () => number;
}

export class Progress {
  private readonly rewrite: boolean;
  private readonly now: () => number;
  private readonly started: number;
  private lastWrite = Number.NEGATIVE_INFINITY;
  private shown = false;

  constructor(
    private readonly io: CliIO,
    options: ProgressOptions = {},
  ) {
    this.rewrite = options.rewrite ?? (Boolean(io.stderr.isTTY) && io.env.TERM !== 'dumb');
    this.now = options.now ?? Date.now;
    this.started = this.now();
  }

  /** Since the progress began: for rates. */
  get elapsedMs(): number {
    return this.now() - this.started;
  }

  /** A running count: dropped when the last line is too recent. */
  tick(text: string): void {
    const now = this.now();
    if (now - this.lastWrite < (this.rewrite ? REDRAW_MS : PLAIN_EVERY_MS)) return;
    this.write(text, now);
  }

  /** A new step ("checking for duplicates…"): shown at once (in plain lines, once the quiet start is over). */
  phase(text: string): void {
    this.write(text, this.now());
  }

  /** Clears the rewritten line, so what follows starts on a clean one; plain lines stay. */
  done(): void {
    if (this.rewrite && this.shown) this.io.stderr.write(CLEAR_LINE);
    this.shown = false;
  }

  private write(text: string, now: number): void {
    if (this.rewrite) {
      this.io.stderr.write(CLEAR_LINE + text);
      this.shown = true;
    } else {
      if (now - this.started < PLAIN_EVERY_MS) return;
      this.io.stderr.write(`${text}\n`);
    }
    this.lastWrite = now;
  }
}
