import type { CliIO } from '../../../shared/io.js';
import { formatCount, formatDecimal, formatTime } from '../../../shared/format.js';
import { paint, table, type ColumnSpec } from '../../output.js';
import { formatRate, formatTimeToEmpty } from '../../../monitoring/poolFormat.js';
import type { PoolStatus } from '../../../monitoring/forecast.js';
import type { PoolHealth, PoolHealthReport } from '../../../monitoring/poolHealth.js';

// The human presentation of `pool health`: a table with the alert marks, then the alerts.

export function statusMark(io: CliIO, status: PoolStatus): string {
  if (status === 'EMPTY') return paint(io, 'red', '!! EMPTY');
  if (status === 'LOW') return paint(io, 'yellow', '! LOW');
  return paint(io, 'green', 'OK');
}

/** One line per LOW or EMPTY pool, as `--fail-on-alert` prints them. */
export function alertLines(report: PoolHealthReport): string[] {
  return report.alerts.map((a) => {
    const when = a.hours_to_empty === null ? '' : a.hours_to_empty === 0 ? '' : `, empty in ${formatTimeToEmpty(a)}`;
    return `ALERT ${a.status} ${a.reward_code}: ${formatCount(a.available)} code(s) available (threshold ${formatCount(report.threshold)})${when}`;
  });
}

/**
 * The table's columns. Too narrow for all of them, the console's order applies (src/tui/layout.ts):
 * reward, status, available, per hour and empty in always show; voided goes first, then expired,
 * the 24 h and 1 h counts, redeemed, short 24h, and total last.
 */
const POOL_COLUMNS: ColumnSpec[] = [
  { head: 'reward' },
  { head: 'status' },
  { head: 'available' },
  { head: 'total', drop: 7 },
  { head: 'redeemed', drop: 5 },
  { head: 'voided', drop: 1 },
  { head: 'expired', drop: 2 },
  { head: 'last 1h', drop: 4 },
  { head: 'last 24h', drop: 3 },
  { head: 'per hour' },
  { head: 'empty in' },
  { head: 'short 24h', drop: 6 },
];

export function renderPoolHealth(io: CliIO, report: PoolHealthReport): string {
  if (report.pools.length === 0) return 'No active pool rewards.';
  const rows = report.pools.map((p) => [
    p.reward_code,
    statusMark(io, p.status),
    formatCount(p.available),
    formatCount(p.total),
    formatCount(p.redeemed),
    formatCount(p.voided),
    formatCount(p.expired),
    formatCount(p.redeemed_last_hour),
    formatCount(p.redeemed_last_day),
    formatRate(p.depletion_per_hour),
    formatTimeToEmpty(p),
    formatCount(p.insufficient_codes_last_day),
  ]);
  const lines = [
    table(io, POOL_COLUMNS, rows),
    paint(
      io,
      'dim',
      `as of ${formatTime(report.generated_at)}; LOW below ${formatCount(report.threshold)} available; per hour = max(last hour, last 24h / 24); ` +
        'never = no redemptions in 24h; short 24h = INSUFFICIENT_CODES refusals',
    ),
  ];
  const alerts = alertLines(report);
  lines.push(alerts.length === 0 ? paint(io, 'green', 'No alerts.') : alerts.map((a) => paint(io, 'red', a)).join('\n'));
  return lines.join('\n');
}
