import { describe, expect, it } from 'vitest';
import { bySoonestEmpty, depletionPerHour, emptyAt, hoursToEmpty, isAlert, poolStatus } from '../../src/monitoring/forecast.js';

describe('depletionPerHour', () => {
  it('takes the faster of the last hour and the last day per hour', () => {
    expect(depletionPerHour(12, 24)).toBe(12); // a surge: the hour wins
    expect(depletionPerHour(0, 48)).toBe(2); // a quiet hour after a busy day: the day wins
    expect(depletionPerHour(3, 72)).toBe(3); // equal
    expect(depletionPerHour(0, 0)).toBe(0);
  });
});

describe('hoursToEmpty and emptyAt', () => {
  it('divides what is left by the rate', () => {
    expect(hoursToEmpty(60, 12)).toBe(5);
    expect(hoursToEmpty(151, 2)).toBe(75.5);
  });
  it('is 0 for an empty pool whatever the rate, and null (never) at rate 0', () => {
    expect(hoursToEmpty(0, 0)).toBe(0);
    expect(hoursToEmpty(0, 10)).toBe(0);
    expect(hoursToEmpty(80, 0)).toBeNull();
  });
  it('places the empty time that many hours after now', () => {
    const now = new Date('2025-06-01T12:00:00Z');
    expect(emptyAt(now, 75.5)?.toISOString()).toBe('2025-06-04T15:30:00.000Z');
    expect(emptyAt(now, 0)?.toISOString()).toBe(now.toISOString());
    expect(emptyAt(now, null)).toBeNull();
  });
});

describe('poolStatus', () => {
  it('EMPTY at 0, LOW below the threshold, OK at or above it', () => {
    expect(poolStatus(0, 50)).toBe('EMPTY');
    expect(poolStatus(0, 0)).toBe('EMPTY');
    expect(poolStatus(1, 50)).toBe('LOW');
    expect(poolStatus(49, 50)).toBe('LOW');
    expect(poolStatus(50, 50)).toBe('OK');
    expect(poolStatus(1, 0)).toBe('OK');
    expect([isAlert('EMPTY'), isAlert('LOW'), isAlert('OK')]).toEqual([true, true, false]);
  });
});

describe('bySoonestEmpty', () => {
  it('orders by time to empty, never last, then fewest available, then reward code', () => {
    const pools = [
      { reward_code: 'IDLE-B', hours_to_empty: null, available: 80 },
      { reward_code: 'IDLE-A', hours_to_empty: null, available: 80 },
      { reward_code: 'FEW', hours_to_empty: null, available: 3 },
      { reward_code: 'SLOW', hours_to_empty: 75.5, available: 151 },
      { reward_code: 'FAST', hours_to_empty: 1, available: 10 },
      { reward_code: 'GONE-B', hours_to_empty: 0, available: 0 },
      { reward_code: 'GONE-A', hours_to_empty: 0, available: 0 },
    ];
    expect(pools.sort(bySoonestEmpty).map((p) => p.reward_code)).toEqual(['GONE-A', 'GONE-B', 'FAST', 'SLOW', 'FEW', 'IDLE-A', 'IDLE-B']);
  });
});
