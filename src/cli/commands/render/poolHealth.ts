import type { CliIO } from '../../../shared/io.js';
import { formatCount } from '../../../shared/format.js';
import { UTC_VIEW, type TimeView } from '../../../shared/zonedTime.js';
import { paint } from '../../output.js';
import { listingTable, type CellFormat, type ListColumn, type Listing } from '../../listing.js';
import { formatRate, formatTimeToEmpty } from '../../../monitoring/poolFormat.js';
import type { PoolStatus } from '../../../monitoring/forecast.js';
import type { PoolHealth, PoolHealthReport } from '../../../monitoring/poolHealth.js';

// The human presentation of `pool health`: a table with the alert marks, then the alerts.

export function statusMark(io: CliIO, status: PoolStatus): string {
  return mark(status, (colour, text) => paint(io, colour, text));
}

function mark(status: PoolStatus, paintAs: CellFormat['paint']): string {
  if (status === 'EMPTY') return paintAs('red', '!! EMPTY');
  if (status === 'LOW') return paintAs('yellow', '! LOW');
  return paintAs('green', 'OK');
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
const POOL_COLUMNS: Array<ListColumn<PoolHealth>> = [
  { head: 'reward', cell: (p) => p.reward_code },
  // In CSV the status word alone (OK, LOW, EMPTY): the marks are for eyes.
  { head: 'status', cell: (p, f) => (f.human ? mark(p.status, f.paint) : p.status) },
  { head: 'available', cell: (p, f) => f.count(p.available) },
  { head: 'total', drop: 7, cell: (p, f) => f.count(p.total) },
  { head: 'redeemed', drop: 5, cell: (p, f) => f.count(p.redeemed) },
  { head: 'voided', drop: 1, cell: (p, f) => f.count(p.voided) },
  { head: 'expired', drop: 2, cell: (p, f) => f.count(p.expired) },
  { head: 'last 1h', drop: 4, cell: (p, f) => f.count(p.redeemed_last_hour) },
  { head: 'last 24h', drop: 3, cell: (p, f) => f.count(p.redeemed_last_day) },
  { head: 'per hour', cell: (p) => formatRate(p.depletion_per_hour) },
  { head: 'empty in', cell: (p) => formatTimeToEmpty(p) },
  { head: 'short 24h', drop: 6, cell: (p, f) => f.count(p.insufficient_codes_last_day) },
];

/** `pool health` as rows (--output csv): one per pool reward. */
export function poolHealthListing(report: PoolHealthReport): Listing<PoolHealth> {
  return { columns: POOL_COLUMNS, rows: report.pools };
}

export function renderPoolHealth(io: CliIO, report: PoolHealthReport, view: TimeView = UTC_VIEW): string {
  if (report.pools.length === 0) return 'No active pool rewards.';
  const lines = [
    listingTable(io, poolHealthListing(report), view),
    paint(
      io,
      'dim',
      `as of ${view.time(report.generated_at)}${view.utc ? '' : ` (${view.zone})`}; LOW below ${formatCount(report.threshold)} available; per hour = max(last hour, last 24h / 24); ` +
        'never = no redemptions in 24h; short 24h = INSUFFICIENT_CODES refusals',
    ),
  ];
  const alerts = alertLines(report);
  lines.push(alerts.length === 0 ? paint(io, 'green', 'No alerts.') : alerts.map((a) => paint(io, 'red', a)).join('\n'));
  return lines.join('\n');
}
