// Pool depletion: pure arithmetic on counts the queries read (docs/monitoring.md, "Forecast").

export type PoolStatus = 'OK' | 'LOW' | 'EMPTY';

export const DEFAULT_THRESHOLD = 50;

/**
 * Codes per hour. The faster of the last hour's pace and the last day's hourly average: a
 * campaign surge shows within the hour, and a quiet hour after a busy day does not hide the day.
 * Both inputs are units redeemed (live ledger rows), so the rate is exact for a given dataset.
 */
export function depletionPerHour(redeemedLastHour: number, redeemedLastDay: number): number {
  return Math.max(redeemedLastHour, redeemedLastDay / 24);
}

/** Hours until no code is left at `perHour`: 0 when already empty, null (never) at rate 0. */
export function hoursToEmpty(available: number, perHour: number): number | null {
  if (available <= 0) return 0;
  if (perHour <= 0) return null;
  return available / perHour;
}

/** When the pool runs dry at that pace, or null for never. */
export function emptyAt(now: Date, hours: number | null): Date | null {
  return hours === null ? null : new Date(now.getTime() + hours * 3_600_000);
}

/** EMPTY at 0 available, LOW below the threshold, else OK. */
export function poolStatus(available: number, threshold: number): PoolStatus {
  if (available <= 0) return 'EMPTY';
  return available < threshold ? 'LOW' : 'OK';
}

export function isAlert(status: PoolStatus): boolean {
  return status !== 'OK';
}

interface Sortable {
  hours_to_empty: number | null;
  available: number;
  reward_code: string;
}

/**
 * Soonest empty first (the console lists pools in this order); never-empty pools last. Ties:
 * fewer available first, then by reward code, so the order is stable.
 */
export function bySoonestEmpty(a: Sortable, b: Sortable): number {
  const ha = a.hours_to_empty ?? Number.POSITIVE_INFINITY;
  const hb = b.hours_to_empty ?? Number.POSITIVE_INFINITY;
  if (ha !== hb) return ha < hb ? -1 : 1;
  if (a.available !== b.available) return a.available - b.available;
  return a.reward_code < b.reward_code ? -1 : a.reward_code > b.reward_code ? 1 : 0;
}
