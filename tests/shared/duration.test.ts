import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/shared/errors.js';
import { formatDuration, parseDuration, parseSince } from '../../src/monitoring/duration.js';

const NOW = new Date('2025-06-01T12:00:00Z');

describe('parseDuration', () => {
  it.each([
    ['30m', 1_800_000],
    ['24h', 86_400_000],
    ['7d', 604_800_000],
    ['1h30m', 5_400_000],
    ['45s', 45_000],
    ['2w', 1_209_600_000],
    [' 2h ', 7_200_000],
  ])('%s is %i ms', (raw, ms) => {
    expect(parseDuration('--since', raw)).toBe(ms);
  });
  it.each([[''], ['24'], ['h'], ['1.5h'], ['-2h'], ['2 h'], ['2H'], ['0m'], ['1y']])('refuses %j, naming the flag', (raw) => {
    expect(() => parseDuration('--since', raw)).toThrow(UsageError);
    expect(() => parseDuration('--since', raw)).toThrow(/^--since must be/);
  });
});

describe('parseSince', () => {
  it('a span means that long before now', () => {
    expect(parseSince('--since', '24h', NOW).toISOString()).toBe('2025-05-31T12:00:00.000Z');
    expect(parseSince('--since', '30m', NOW).toISOString()).toBe('2025-06-01T11:30:00.000Z');
    expect(parseSince('--since', '7d', NOW).toISOString()).toBe('2025-05-25T12:00:00.000Z');
  });
  it('takes ISO-8601 times, read as UTC without a zone', () => {
    expect(parseSince('--since', '2025-05-31T08:00:00Z', NOW).toISOString()).toBe('2025-05-31T08:00:00.000Z');
    expect(parseSince('--since', '2025-05-31T10:00:00+02:00', NOW).toISOString()).toBe('2025-05-31T08:00:00.000Z');
    expect(parseSince('--since', '2025-05-31T08:00', NOW).toISOString()).toBe('2025-05-31T08:00:00.000Z');
    expect(parseSince('--since', '2025-05-31', NOW).toISOString()).toBe('2025-05-31T00:00:00.000Z');
    expect(parseSince('--since', '2025-05-31T08:00:00.250Z', NOW).toISOString()).toBe('2025-05-31T08:00:00.250Z');
  });
  it.each([['yesterday'], ['2025-13-01T00:00:00Z'], ['2025-05-31T25:00:00Z'], ['2025-05-31Tnoon'], ['0h']])(
    'refuses %j, naming the flag',
    (raw) => {
      expect(() => parseSince('--since', raw, NOW)).toThrow(UsageError);
      expect(() => parseSince('--since', raw, NOW)).toThrow(/^--since\b/);
    },
  );
  it('refuses a start at or after now: the window would be empty', () => {
    expect(() => parseSince('--since', '2025-06-01T12:00:00Z', NOW)).toThrow('--since must be in the past');
    expect(() => parseSince('--since', '2030-01-01T00:00:00Z', NOW)).toThrow('--since must be in the past');
  });
});

describe('formatDuration', () => {
  it('writes days, hours and minutes', () => {
    expect(formatDuration(5 * 3_600_000)).toBe('5h');
    expect(formatDuration(75.5 * 3_600_000)).toBe('3d 3h 30m');
    expect(formatDuration(90_061_000)).toBe('1d 1h 1m');
    expect(formatDuration(30_000)).toBe('30s');
    expect(formatDuration(60_000)).toBe('1m');
  });
});
