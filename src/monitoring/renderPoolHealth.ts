import type { CliIO } from '../cli/io.js';
import { paint, table } from '../cli/output.js';
import { formatDuration } from './duration.js';
import type { PoolStatus } from './forecast.js';
import type { PoolHealth, PoolHealthReport } from './poolHealth.js';

// The human presentation of `pool health`: a table with the alert marks, then the alerts.

export function statusMark(io: CliIO, status: PoolStatus): string {
  if (status === 'EMPTY') return paint(io, 'red', '!! EMPTY');
  if (status === 'LOW') return paint(io, 'yellow', '! LOW');
  return paint(io, 'green', 'OK');
}

export function formatRate(perHour: number): string {
  return Number.isInteger(perHour) ? String(perHour) : perHour.toFixed(2);
}

export function formatTimeToEmpty(pool: Pick<PoolHealth, 'hours_to_empty'>): string {
  if (pool.hours_to_empty === null) return 'never';
  if (pool.hours_to_empty === 0) return 'now';
  return formatDuration(pool.hours_to_empty * 3_600_000);
}

/** One line per LOW or EMPTY pool, as `--fail-on-alert` prints them. */
export function alertLines(report: PoolHealthReport): string[] {
  return report.alerts.map((a) => {
    const when = a.hours_to_empty === null ? '' : a.hours_to_empty === 0 ? '' : `, empty in ${formatTimeToEmpty(a)}`;
    return `ALERT ${a.status} ${a.reward_code}: ${a.available} code(s) available (threshold ${report.threshold})${when}`;
  });
}

export function renderPoolHealth(io: CliIO, report: PoolHealthReport): string {
  if (report.pools.length === 0) return 'No active pool rewards.';
  const rows = report.pools.map((p) => [
    p.reward_code,
    statusMark(io, p.status),
    p.available,
    p.total,
    p.redeemed,
    p.voided,
    p.expired,
    p.redeemed_last_hour,
    p.redeemed_last_day,
    formatRate(p.depletion_per_hour),
    formatTimeToEmpty(p),
    p.insufficient_codes_last_day,
  ]);
  const lines = [
    table(
      io,
      ['reward', 'status', 'available', 'total', 'redeemed', 'voided', 'expired', 'last 1h', 'last 24h', 'per hour', 'empty in', 'short 24h'],
      rows,
    ),
    paint(
      io,
      'dim',
      `as of ${report.generated_at}; LOW below ${report.threshold} available; per hour = max(last hour, last 24h / 24); ` +
        'never = no redemptions in 24h; short 24h = INSUFFICIENT_CODES refusals',
    ),
  ];
  const alerts = alertLines(report);
  lines.push(alerts.length === 0 ? paint(io, 'green', 'No alerts.') : alerts.map((a) => paint(io, 'red', a)).join('\n'));
  return lines.join('\n');
}
