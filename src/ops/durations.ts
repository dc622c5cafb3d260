import { UsageError } from '../shared/errors.js';

// Operators type spans and instants: `15m`, `2h`, `1h30m`, `7d`, or an ISO-8601 time.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const PART = /(\d+)(ms|s|m|h|d|w)/g;

/** A span such as `15m`, `2h`, `1h30m`: milliseconds. */
export function parseDuration(flag: string, raw: string): number {
  const text = raw.trim();
  if (!/^(\d+(ms|s|m|h|d|w))+$/.test(text)) {
    throw new UsageError(`${flag} must be a duration such as 30m, 2h, 1h30m or 7d (units ms, s, m, h, d, w), got ${JSON.stringify(raw)}`);
  }
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART)) total += Number(amount) * UNIT_MS[unit!]!;
  if (total <= 0) throw new UsageError(`${flag} must be longer than zero, got ${JSON.stringify(raw)}`);
  return total;
}

/** An ISO-8601 time (with a zone, or read as UTC), or a duration meaning "that long ago". */
export function parseInstant(flag: string, raw: string, now: Date = new Date()): Date {
  const text = raw.trim();
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(text) || !text.includes('T');
    const ms = Date.parse(hasZone ? text : `${text}Z`);
    if (Number.isNaN(ms)) throw new UsageError(`${flag}: ${JSON.stringify(raw)} is not a valid ISO-8601 time`);
    return new Date(ms);
  }
  if (!/^(\d+(ms|s|m|h|d|w))+$/.test(text)) {
    throw new UsageError(`${flag} must be an ISO-8601 time (2024-05-01T12:00:00Z) or a duration ago (30m, 24h), got ${JSON.stringify(raw)}`);
  }
  return new Date(now.getTime() - parseDuration(flag, text));
}
