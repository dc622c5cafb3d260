import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/shared/errors.js';
import { formatDuration, parseDuration, parseInstant, parseSince } from '../../src/shared/durations.js';

// The one grammar of spans and instants (docs/durations.md). The cases of the two parsers it
// replaced are all here, with the outcome decided where they disagreed: `ms` is not a unit, a time
// without a zone is UTC (also with a space for the T), an impossible date is refused rather than
// rolled over, and only a window start (parseSince) refuses the future.

const NOW = new Date('2025-06-01T12:00:00Z');
const HOUR = 3_600_000;

describe('parseDuration', () => {
  it.each([
    ['30m', 30 * 60_000],
    ['24h', 24 * HOUR],
    ['7d', 7 * 24 * HOUR],
    ['1h30m', 1.5 * HOUR],
    ['45s', 45_000],
    ['2w', 14 * 24 * HOUR],
    [' 2h ', 2 * HOUR],
    ['15m', 15 * 60_000],
    ['1d12h', 36 * HOUR],
  ])('%j is %i ms', (raw, ms) => {
    expect(parseDuration('--since', raw)).toBe(ms);
  });

  it.each([
    ['', 'must be a duration such as'],
    ['24', 'must be a duration such as'],
    ['h', 'must be a duration such as'],
    ['1.5h', 'must be a duration such as'],
    ['-2h', 'must be a duration such as'],
    ['2 h', 'must be a duration such as'],
    ['2H', 'must be a duration such as'],
    ['1y', 'must be a duration such as'],
    ['15 minutes', 'must be a duration such as'],
    // `ms` was a unit of the events commands only: no flag needs less than a second.
    ['500ms', 'must be a duration such as'],
    ['1m500ms', 'must be a duration such as'],
    ['0m', 'must be longer than zero'],
    ['0h0m', 'must be longer than zero'],
  ])('refuses %j, naming the flag and the value', (raw, why) => {
    expect(() => parseDuration('--by-duration', raw)).toThrow(UsageError);
    expect(() => parseDuration('--by-duration', raw)).toThrow(`--by-duration ${why}`);
    expect(() => parseDuration('--by-duration', raw)).toThrow(`got ${JSON.stringify(raw)}`);
  });
});

describe('parseInstant and parseSince read the same values', () => {
  it.each([
    // A span: that long before now.
    ['24h', '2025-05-31T12:00:00.000Z'],
    ['30m', '2025-06-01T11:30:00.000Z'],
    ['7d', '2025-05-25T12:00:00.000Z'],
    ['1h30m', '2025-06-01T10:30:00.000Z'],
    // ISO-8601 with a zone.
    ['2025-05-31T08:00:00Z', '2025-05-31T08:00:00.000Z'],
    ['2025-05-31t08:00:00z', '2025-05-31T08:00:00.000Z'],
    ['2025-05-31T10:00:00+02:00', '2025-05-31T08:00:00.000Z'],
    ['2025-05-31T10:00:00+0200', '2025-05-31T08:00:00.000Z'],
    ['2025-05-31T03:30:00-04:30', '2025-05-31T08:00:00.000Z'],
    ['2025-05-31T08:00:00.250Z', '2025-05-31T08:00:00.250Z'],
    ['2025-05-31T08:00:00.123456Z', '2025-05-31T08:00:00.123Z'],
    // Without a zone: UTC, as redeemctl prints every time; a space may stand for the T.
    ['2025-05-31T08:00', '2025-05-31T08:00:00.000Z'],
    ['2025-05-31T08:00:30', '2025-05-31T08:00:30.000Z'],
    ['2025-05-31 08:00', '2025-05-31T08:00:00.000Z'],
    ['2025-05-31', '2025-05-31T00:00:00.000Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
    [' 2025-05-31T08:00:00Z ', '2025-05-31T08:00:00.000Z'],
  ])('%j is %s', (raw, iso) => {
    expect(parseInstant('--since', raw, NOW).toISOString()).toBe(iso);
    expect(parseSince('--since', raw, NOW).toISOString()).toBe(iso);
  });

  it.each([
    ['yesterday', '--since must be a duration ago (30m, 24h, 7d) or an ISO-8601 time (2024-05-01T12:00:00Z), got "yesterday"'],
    ['24', '--since must be a duration ago'],
    ['500ms', '--since must be a duration ago'],
    ['0h', '--since must be longer than zero'],
    ['2025-13-01T00:00:00Z', '--since: "2025-13-01T00:00:00Z" is not a valid ISO-8601 time'],
    ['2025-13-40T00:00:00Z', 'is not a valid ISO-8601 time'],
    ['2025-05-31T25:00:00Z', 'is not a valid ISO-8601 time'],
    ['2025-05-31Tnoon', 'is not a valid ISO-8601 time'],
    // Date.parse would roll these over (March 2, June 1) or read a zone out of range.
    ['2025-02-30', 'is not a valid ISO-8601 time'],
    ['2023-02-29T00:00:00Z', 'is not a valid ISO-8601 time'],
    ['2025-05-31T24:00:00Z', 'is not a valid ISO-8601 time'],
    ['2025-05-31T23:59:60Z', 'is not a valid ISO-8601 time'],
    ['2025-05-31T10:00:00+24:00', 'is not a valid ISO-8601 time'],
    ['2025-05-31Z', 'is not a valid ISO-8601 time'],
    ['2025-05-31T10', 'is not a valid ISO-8601 time'],
    ['2025-5-31', 'is not a valid ISO-8601 time'],
  ])('refuses %j, naming the flag', (raw, message) => {
    for (const parse of [parseInstant, parseSince]) {
      expect(() => parse('--since', raw, NOW)).toThrow(UsageError);
      expect(() => parse('--since', raw, NOW)).toThrow(/^--since\b/);
      expect(() => parse('--since', raw, NOW)).toThrow(message);
    }
  });
});

describe('a time at or after now', () => {
  it.each([['2025-06-01T12:00:00Z'], ['2030-01-01T00:00:00Z'], ['2099-01-01']])('%j: parseSince refuses it (the window would be empty)', (raw) => {
    expect(() => parseSince('--since', raw, NOW)).toThrow('--since must be in the past');
    expect(() => parseSince('--since', raw, NOW)).toThrow(`got ${JSON.stringify(raw)}`);
  });

  it.each([
    ['2025-06-01T12:00:00Z', '2025-06-01T12:00:00.000Z'],
    ['2099-01-01T00:00:00Z', '2099-01-01T00:00:00.000Z'],
  ])('%j: parseInstant takes it (a filter that matches nothing yet, a target past the end)', (raw, iso) => {
    expect(parseInstant('--to-time', raw, NOW).toISOString()).toBe(iso);
  });

  it('a span is always in the past, now defaulting to the clock', () => {
    const before = Date.now();
    const at = parseSince('--since', '1h').getTime();
    expect(at).toBeGreaterThanOrEqual(before - HOUR);
    expect(at).toBeLessThanOrEqual(Date.now() - HOUR);
  });
});

describe('formatDuration', () => {
  it.each([
    [5 * HOUR, '5h'],
    [75.5 * HOUR, '3d 3h 30m'],
    [90_061_000, '1d 1h 1m'],
    [30_000, '30s'],
    [0, '0s'],
    [60_000, '1m'],
    [7 * 24 * HOUR, '7d'],
  ])('%i ms is %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
