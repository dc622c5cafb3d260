import { describe, expect, it } from 'vitest';
import { offsetText, timeViewFor, UTC_VIEW } from '../../src/shared/zonedTime.js';
import { parseInstant } from '../../src/shared/durations.js';

// src/shared/zonedTime.ts: times for people in the merchant's zone, with the zone's offset at that
// instant (daylight saving time included), and the zone named in headers. docs/output.md.

describe('timeViewFor', () => {
  it('shows an instant in the zone with its offset at that instant, across daylight saving time', () => {
    const { view: paris, unknown } = timeViewFor('Europe/Paris');
    expect(unknown).toBe(false);
    expect(paris.time('2025-01-15T12:00:00.400Z')).toBe('2025-01-15T13:00:00+01:00');
    expect(paris.time('2025-07-01T12:00:00Z')).toBe('2025-07-01T14:00:00+02:00');
    // The night the clocks go forward (2025-03-30 01:00 UTC): a second before, and at.
    expect(paris.time(new Date('2025-03-30T00:59:59Z'))).toBe('2025-03-30T01:59:59+01:00');
    expect(paris.time(new Date('2025-03-30T01:00:00Z'))).toBe('2025-03-30T03:00:00+02:00');
    const { view: ny } = timeViewFor('America/New_York');
    expect(ny.time('2025-11-02T05:30:00Z')).toBe('2025-11-02T01:30:00-04:00');
    expect(ny.time('2025-11-02T06:30:00Z')).toBe('2025-11-02T01:30:00-05:00');
    expect(timeViewFor('Asia/Kolkata').view.time('2025-06-01T00:00:00Z')).toBe('2025-06-01T05:30:00+05:30');
  });

  it('a printed time reads back as the same instant (--since takes it)', () => {
    const { view } = timeViewFor('America/New_York');
    const at = new Date('2025-11-02T06:30:00Z');
    expect(parseInstant('--since', view.time(at)).getTime()).toBe(at.getTime());
  });

  it('names the zone in headers; UTC stays as before (Z, headers unchanged)', () => {
    expect(timeViewFor('Europe/Paris').view.head('created')).toBe('created (Europe/Paris)');
    for (const zone of ['UTC', 'Etc/UTC', '', null, undefined]) {
      const { view, unknown } = timeViewFor(zone);
      expect(view).toBe(UTC_VIEW);
      expect(unknown).toBe(false);
    }
    expect(UTC_VIEW.time('2025-06-01T12:00:00.123Z')).toBe('2025-06-01T12:00:00Z');
    expect(UTC_VIEW.head('created')).toBe('created');
  });

  it('a zone this Node does not know falls back to UTC and says so', () => {
    expect(timeViewFor('Mars/Olympus')).toEqual({ view: UTC_VIEW, unknown: true });
  });

  it('prints nothing for no time, and a string that is not a time as it is', () => {
    const { view } = timeViewFor('Europe/Paris');
    expect(view.time(null)).toBe('');
    expect(view.time('')).toBe('');
    expect(view.time('soon')).toBe('soon');
  });

  it('offsetText', () => {
    expect([offsetText(120), offsetText(-330), offsetText(0), offsetText(345)]).toEqual(['+02:00', '-05:30', '+00:00', '+05:45']);
  });
});
