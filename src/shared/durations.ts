import { UsageError } from './errors.js';

// The one grammar of the spans and instants operators type (docs/durations.md): `metrics --since`,
// `redemptions list --since`, `events replay --since`, `events rewind --to-time/--by-duration`,
// and the spans printed back (pool health's time to empty). Pure: errors name the flag and the
// value, and change nothing.

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const SPAN = /^(\d+[smhdw])+$/;
const SPAN_PART = /(\d+)([smhdw])/g;

/** A date, optionally a time of day (seconds and a fraction optional), optionally a zone. */
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** A span such as `30m`, `2h`, `1h30m`, `7d`: milliseconds, above zero. */
export function parseDuration(flag: string, raw: string): number {
  const text = raw.trim();
  if (!SPAN.test(text)) {
    throw new UsageError(`${flag} must be a duration such as 30m, 24h or 7d (units s, m, h, d, w), got ${JSON.stringify(raw)}`);
  }
  let total = 0;
  for (const [, amount, unit] of text.matchAll(SPAN_PART)) total += Number(amount) * UNIT_MS[unit!]!;
  if (total <= 0) throw new UsageError(`${flag} must be longer than zero, got ${JSON.stringify(raw)}`);
  return total;
}

/**
 * A point in time: an ISO-8601 time (read as UTC when it names no zone) or a span ago. A future
 * time is taken: it is a filter or a target (`events replay --since`, `events rewind --to-time`).
 */
export function parseInstant(flag: string, raw: string, now: Date = new Date()): Date {
  const text = raw.trim();
  if (/^\d{4}-/.test(text)) return parseIsoTime(flag, raw);
  if (SPAN.test(text)) return new Date(now.getTime() - parseDuration(flag, text));
  throw new UsageError(`${flag} must be a duration ago (30m, 24h, 7d) or an ISO-8601 time (2024-05-01T12:00:00Z), got ${JSON.stringify(raw)}`);
}

/**
 * The start of a window that ends at `now` (`metrics --since`, `redemptions list --since`): an
 * instant as parseInstant reads it, refused unless it is before `now`, since the window would be
 * empty.
 */
export function parseSince(flag: string, raw: string, now: Date = new Date()): Date {
  const since = parseInstant(flag, raw, now);
  if (since.getTime() >= now.getTime()) {
    throw new UsageError(`${flag} must be in the past, got ${JSON.stringify(raw)} (${since.toISOString()})`);
  }
  return since;
}

/** `90061000` → `1d 1h 1m`: a short human span for tables; under a minute, whole seconds. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)}s`;
  const minutes = Math.floor(ms / 60_000);
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  return [d && `${d}d`, h && `${h}h`, m && `${m}m`].filter(Boolean).join(' ') || '0m';
}

/**
 * Every field is range-checked (no 2025-02-30, no 24:00, no leap second) rather than handed to
 * Date.parse, which rolls an impossible date over into the next month and reads a time without a
 * zone as local time: every time redeemctl prints is UTC, and one pasted back must mean the same.
 */
function parseIsoTime(flag: string, raw: string): Date {
  const invalid = () => new UsageError(`${flag}: ${JSON.stringify(raw)} is not a valid ISO-8601 time (e.g. 2024-05-01T12:00:00Z)`);
  const match = ISO_TIME.exec(raw.trim());
  if (!match) throw invalid();
  const [, year, month, day, hour = '0', minute = '0', second = '0', fraction = '', zone = 'Z'] = match;
  const fields = { month: Number(month), day: Number(day), hour: Number(hour), minute: Number(minute), second: Number(second) };
  if (fields.month < 1 || fields.month > 12 || fields.day < 1 || fields.day > daysInMonth(Number(year), fields.month)) throw invalid();
  if (fields.hour > 23 || fields.minute > 59 || fields.second > 59) throw invalid();
  const offsetMinutes = zoneOffsetMinutes(zone);
  if (offsetMinutes === null) throw invalid();
  const at = new Date(0);
  at.setUTCFullYear(Number(year), fields.month - 1, fields.day);
  at.setUTCHours(fields.hour, fields.minute, fields.second, Number(fraction.slice(0, 3).padEnd(3, '0')));
  return new Date(at.getTime() - offsetMinutes * 60_000);
}

/** Days in a month (1..12) of a proleptic Gregorian year; not through Date.UTC, which reads 0..99 as 1900..1999. */
function daysInMonth(year: number, month: number): number {
  if (month !== 2) return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
}

/** `Z` → 0, `+02:00` or `+0200` → 120, `-05:30` → -330; null for an hour past 23 or a minute past 59. */
function zoneOffsetMinutes(zone: string): number | null {
  if (zone.toUpperCase() === 'Z') return 0;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2));
  if (hours > 23 || minutes > 59) return null;
  return (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
}
