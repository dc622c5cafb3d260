import { formatCount, formatDecimal } from '../shared/format.js';
import { formatDuration } from '../shared/durations.js';
import type { PoolHealth } from './poolHealth.js';

// How a pool's pace and time until empty read, in `pool health` and in the console alike.

/** Codes per hour: whole numbers grouped, fractions with two decimals. */
export function formatRate(perHour: number): string {
  return Number.isInteger(perHour) ? formatCount(perHour) : formatDecimal(perHour, 2);
}

/** `never` (no redemptions), `now` (empty), else a duration such as `5h 15m`. */
export function formatTimeToEmpty(pool: Pick<PoolHealth, 'hours_to_empty'>): string {
  if (pool.hours_to_empty === null) return 'never';
  if (pool.hours_to_empty === 0) return 'now';
  return formatDuration(pool.hours_to_empty * 3_600_000);
}
