import { UsageError } from '../shared/errors.js';

// The `--since` of `metrics` (and the console's window): a span back from now such as `30m`,
// `24h`, `7d`, `1h30m`, or an ISO-8601 time. Pure: errors name the flag and change nothing.

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const SPAN = /^(\d+(s|m|h|d|w))+$/;
const PART = /(\d+)(s|m|h|d|w)/g;
const ISO = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** A span such as `30m`, `2h`, `1h30m`, `7d`: milliseconds, above zero. */
export function parseDuration(flag: string, raw: string): number {
  const text = raw.trim();
  if (!SPAN.test(text)) {
    throw new UsageError(`${flag} must be a duration such as 30m, 24h or 7d (units s, m, h, d, w), got ${JSON.stringify(raw)}`);
  }
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART)) total += Number(amount) * UNIT_MS[unit!]!;
  if (total <= 0) throw new UsageError(`${flag} must be longer than zero, got ${JSON.stringify(raw)}`);
  return total;
}

/**
 * The start of a window ending at `now`: a span ago, or an ISO-8601 time (read as UTC when it
 * names no zone). A start that is not before `now` is refused: the window would be empty.
 */
export function parseSince(flag: string, raw: string, now: Date = new Date()): Date {
  const text = raw.trim();
  let since: Date;
  if (/^\d{4}-/.test(text)) {
    const zoned = /(Z|[+-]\d{2}:?\d{2})$/i.test(text) || !/[T ]/.test(text);
    const ms = ISO.test(text) ? Date.parse(zoned ? text : `${text}Z`) : Number.NaN;
    if (Number.isNaN(ms)) {
      throw new UsageError(`${flag}: ${JSON.stringify(raw)} is not a valid ISO-8601 time (e.g. 2024-05-01T12:00:00Z)`);
    }
    since = new Date(ms);
  } else if (SPAN.test(text)) {
    since = new Date(now.getTime() - parseDuration(flag, text));
  } else {
    throw new UsageError(`${flag} must be a duration ago (30m, 24h, 7d) or an ISO-8601 time (2024-05-01T12:00:00Z), got ${JSON.stringify(raw)}`);
  }
  if (since.getTime() >= now.getTime()) {
    throw new UsageError(`${flag} must be in the past, got ${JSON.stringify(raw)} (${since.toISOString()})`);
  }
  return since;
}

/** `90061000` → `1d 1h 1m`: a short human span for tables. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)}s`;
  const minutes = Math.floor(ms / 60_000);
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  return [d && `${d}d`, h && `${h}h`, m && `${m}m`].filter(Boolean).join(' ') || '0m';
}
