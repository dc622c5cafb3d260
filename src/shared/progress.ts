import type { CliIO } from './io.js';
import { plainLine, RateMeter, terminalLine, type ProgressState } from './progressLine.js';

// The progress of a long command (`codes import`, `codes export`, `batch run`, `events replay`,
// `dlq redrive`), on stderr only: stdout carries the result (one JSON document with --json) and
// must not get a byte of it. What a line says: src/shared/progressLine.ts; docs/output.md, "Progress".
//  - On a terminal: one line, rewritten in place at most every REDRAW_MS, fitted to the terminal's
//    width, cleared by done() before the result prints.
//  - Anywhere else (a pipe, a log file, a CI job, a terminal with TERM=dumb, which cannot rewrite
//    a line): plain lines, one at most every PLAIN_EVERY_MS, and none in the first PLAIN_EVERY_MS,
//    so a log shows a long run is alive while a quick run (and a test) prints nothing.
// For tests and CI logs the environment can choose: REDEEMCTL_PROGRESS=tty|plain|off and
// REDEEMCTL_PROGRESS_EVERY_MS=<ms> (the interval, and in plain mode the quiet start too).

export const REDRAW_MS = 100;
export const PLAIN_EVERY_MS = 10_000;
/** The rate is averaged over this much of the recent past. */
export const RATE_WINDOW_MS = 5_000;
/** Columns assumed for a terminal that does not say (and none in COLUMNS). */
const DEFAULT_COLUMNS = 80;

const CLEAR_LINE = '\r\u001b[2K';

export interface ProgressOptions {
  /** Rewrite one line in place; default: REDEEMCTL_PROGRESS, else stderr is a terminal and TERM is not dumb. */
  rewrite?: boolean;
  /** Print nothing at all. Hook for a global --quiet: pass it here (REDEEMCTL_PROGRESS=off does the same). */
  quiet?: boolean;
  /** The least time between two lines; default REDEEMCTL_PROGRESS_EVERY_MS, else REDRAW_MS or PLAIN_EVERY_MS. */
  everyMs?: number;
  /** The clock (tests step it). */
  now?: () => number;
}

type Mode = 'tty' | 'plain' | 'off';

/** tty, plain or off: the options, then REDEEMCTL_PROGRESS, then whether stderr can rewrite a line. */
export function progressMode(io: CliIO, options: ProgressOptions = {}): Mode {
  if (options.quiet) return 'off';
  if (options.rewrite !== undefined) return options.rewrite ? 'tty' : 'plain';
  const chosen = io.env.REDEEMCTL_PROGRESS?.trim().toLowerCase();
  if (chosen === 'tty' || chosen === 'plain' || chosen === 'off') return chosen;
  return Boolean(io.stderr.isTTY) && io.env.TERM !== 'dumb' ? 'tty' : 'plain';
}

function intervalOf(io: CliIO, mode: Mode, options: ProgressOptions): number {
  if (options.everyMs !== undefined) return options.everyMs;
  const raw = io.env.REDEEMCTL_PROGRESS_EVERY_MS;
  const fromEnv = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
  if (Number.isFinite(fromEnv) && fromEnv >= 0) return fromEnv;
  return mode === 'tty' ? REDRAW_MS : PLAIN_EVERY_MS;
}

export class Progress {
  private readonly mode: Mode;
  private readonly every: number;
  private readonly now: () => number;
  private readonly started: number;
  private readonly meter: RateMeter;
  private lastWrite = Number.NEGATIVE_INFINITY;
  private shown = false;

  constructor(
    private readonly io: CliIO,
    options: ProgressOptions = {},
  ) {
    this.mode = progressMode(io, options);
    this.every = intervalOf(io, this.mode, options);
    this.now = options.now ?? Date.now;
    this.started = this.now();
    // An ETA once the rate covers a second, or five intervals when they are shorter (tests).
    this.meter = new RateMeter(RATE_WINDOW_MS, Math.min(1_000, 5 * this.every));
  }

  /** Since the progress began: for rates. */
  get elapsedMs(): number {
    return this.now() - this.started;
  }

  /** A step of a counted operation: drawn as a bar (total known) or a count, with the rate and ETA; dropped when the last line is too recent. */
  update(state: ProgressState): void {
    const now = this.now();
    const rate = this.meter.add(now, state.done);
    if (this.mode === 'off' || now - this.lastWrite < this.every) return;
    this.write(this.mode === 'tty' ? terminalLine(state, rate, this.columns()) : plainLine(state, rate), now);
  }

  /** A running text of the caller's own: dropped when the last line is too recent. */
  tick(text: string): void {
    const now = this.now();
    if (now - this.lastWrite < this.every) return;
    this.write(text, now);
  }

  /** A new step ("checking for duplicates…"): shown at once (in plain lines, once the quiet start is over). */
  phase(text: string): void {
    this.write(text, this.now());
  }

  /** Clears the rewritten line, so what follows starts on a clean one; plain lines stay. */
  done(): void {
    if (this.mode === 'tty' && this.shown) this.io.stderr.write(CLEAR_LINE);
    this.shown = false;
  }

  private columns(): number {
    const fromEnv = Number(this.io.env.COLUMNS);
    return this.io.stderr.columns ?? (Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_COLUMNS);
  }

  private write(text: string, now: number): void {
    if (this.mode === 'off') return;
    if (this.mode === 'tty') {
      this.io.stderr.write(CLEAR_LINE + (text.length < this.columns() ? text : text.slice(0, this.columns() - 1)));
      this.shown = true;
    } else {
      if (now - this.started < this.every) return;
      this.io.stderr.write(`${text}\n`);
    }
    this.lastWrite = now;
  }
}
