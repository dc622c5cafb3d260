import { formatDuration } from './durations.js';
import { formatCount, formatDecimal } from './format.js';

// What a progress line says, as pure functions of the counts and a clock (src/shared/progress.ts
// draws it): with a known total a bar, the percentage, done/total, the rate and the ETA,
//   importing codes [██████░░░░░░] 52% 520,000/1,000,000 · 84,000/s · ETA 6s
// and without one the count and the rate. docs/output.md, "Progress".

/** What a long operation reports on each step. */
export interface ProgressState {
  /** What is being done: "exporting codes", "publishing replays". */
  label: string;
  done: number;
  /** Unknown: no bar, no percentage, no ETA. */
  total?: number | undefined;
  /** How done and total print: a count (default), or bytes (as MB). */
  unit?: 'count' | 'bytes';
  /** Facts of the operation's own, after the rate ("granted 1,200 · refused 3"); cut first when the line is too wide. */
  detail?: string | undefined;
}

/** What the rate meter knows: items per second (null: not measured yet), and whether an ETA may be built on it. */
export interface Rate {
  perSecond: number | null;
  steady: boolean;
}

export const BAR_WIDTH = 24;
/** Narrower than this, the bar says nothing and is left out. */
const MIN_BAR = 6;
const SEP = ' · ';

/** `[██████░░░░░░]`: `width` cells between the brackets, filled by the share done (0..1). */
export function bar(share: number, width: number): string {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(share) ? share : 0));
  const filled = Math.floor(clamped * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}]`;
}

/** Whole percent, never 100% before the last item: 999,999 of 1,000,000 is 99%. */
export function percent(done: number, total: number): string {
  if (total <= 0) return '100%';
  const share = Math.floor((100 * Math.min(done, total)) / total);
  return `${done < total ? Math.min(share, 99) : 100}%`;
}

function amount(value: number, unit: ProgressState['unit']): string {
  return unit === 'bytes' ? formatDecimal(value / 1_048_576, 1) : formatCount(value);
}

/** `84,000/s`; bytes as `12.5 MB/s`; a slow rate keeps a decimal (`0.5/s`). */
export function formatRate(perSecond: number, unit: ProgressState['unit'] = 'count'): string {
  if (unit === 'bytes') return `${formatDecimal(perSecond / 1_048_576, 1)} MB/s`;
  return perSecond >= 10 ? `${formatCount(Math.round(perSecond))}/s` : `${formatDecimal(perSecond, 1)}/s`;
}

/** `ETA 6s`, `ETA 1h 5m`: what is left at this rate; null when the rate cannot say (none, zero, not steady yet). */
export function eta(state: ProgressState, rate: Rate): string | null {
  if (state.total === undefined || !rate.steady || !rate.perSecond || rate.perSecond <= 0) return null;
  const left = Math.max(0, state.total - state.done);
  return `ETA ${formatDuration((1000 * left) / rate.perSecond)}`;
}

/** The facts, without the bar: what a plain (log) line says, and the terminal line's text beside the bar. */
function parts(state: ProgressState, rate: Rate): { counts: string; tail: string[] } {
  const unit = state.unit ?? 'count';
  const suffix = unit === 'bytes' ? ' MB' : '';
  const counts =
    state.total === undefined
      ? `${amount(state.done, unit)}${suffix}`
      : `${percent(state.done, state.total)} ${amount(state.done, unit)}/${amount(state.total, unit)}${suffix}`;
  const tail = [rate.perSecond === null ? null : formatRate(rate.perSecond, unit), eta(state, rate), state.detail || null];
  return { counts, tail: tail.filter((t): t is string => t !== null) };
}

/** A plain line, for logs: the same facts as the terminal's, no bar, no escape codes. */
export function plainLine(state: ProgressState, rate: Rate): string {
  const { counts, tail } = parts(state, rate);
  return [`${state.label} ${counts}`, ...tail].join(SEP);
}

/**
 * The terminal's line, never wider than `columns - 1` (a line as wide as the terminal wraps on some
 * of them): the detail goes first, then the bar narrows and goes, then the text is cut.
 */
export function terminalLine(state: ProgressState, rate: Rate, columns: number): string {
  const room = Math.max(1, columns - 1);
  const { counts, tail } = parts(state, rate);
  const withoutDetail = state.detail ? tail.slice(0, -1) : tail;
  for (const rest of [tail, withoutDetail]) {
    const text = [counts, ...rest].join(SEP);
    if (state.total === undefined) {
      const line = `${state.label} ${text}`;
      if (line.length <= room) return line;
      continue;
    }
    // label, space, bar, space, text
    const width = Math.min(BAR_WIDTH, room - state.label.length - text.length - 4);
    if (width >= MIN_BAR) return `${state.label} ${bar(state.done / state.total, width)} ${text}`;
  }
  // Cut, without a dangling separator.
  return `${state.label} ${[counts, ...withoutDetail].join(SEP)}`.slice(0, room).replace(/[\s·]+$/, '');
}

/**
 * Items per second over the last `windowMs` (smoothed: one slow page does not swing it), from
 * samples of (time, done). The first sample is the first step seen, so a resumed run's earlier
 * work does not count as speed. Steady once the samples span `steadyMs`: then an ETA is shown.
 */
export class RateMeter {
  private samples: Array<{ at: number; done: number }> = [];

  constructor(
    private readonly windowMs = 5_000,
    private readonly steadyMs = 1_000,
  ) {}

  add(at: number, done: number): Rate {
    const last = this.samples[this.samples.length - 1];
    if (last && done < last.done) this.samples = []; // counting restarted (a new phase)
    if (!last || at > last.at) this.samples.push({ at, done });
    else last.done = done;
    // Keep one sample at or before the window's start, so the window is always covered.
    while (this.samples.length > 2 && this.samples[1]!.at <= at - this.windowMs) this.samples.shift();
    return this.rate();
  }

  rate(): Rate {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.at <= first.at) return { perSecond: null, steady: false };
    const span = last.at - first.at;
    return { perSecond: ((last.done - first.done) * 1000) / span, steady: span >= this.steadyMs };
  }
}
