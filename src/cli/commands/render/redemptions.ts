import type { CliIO } from '../../../shared/io.js';
import { formatCount } from '../../../shared/format.js';
import { UTC_VIEW, type TimeView } from '../../../shared/zonedTime.js';
import { listingTable, type CellFormat, type ListColumn, type Listing } from '../../listing.js';
import type { RedemptionLine } from '../../../lookup/redemptions.js';
import type { MemberRedemptionList } from '../../../lookup/outcomes.js';

// The redemptions table shared by `members show` and `redemptions list`, and the latter's rendering.

/**
 * Too narrow for all of them: the event id goes first (often a 36-character uuid; `cancel` takes
 * the redemption code as well, and --json has both), then the promo code, then when it was
 * redeemed (newest first anyway; a used or cancelled row keeps its time in status). Reward, qty,
 * points, status and the redemption code always show, so at 80 columns no code is cut in two.
 */
const COLUMNS: Array<ListColumn<RedemptionLine>> = [
  { head: 'redeemed at', drop: 3, time: true, cell: (r, f) => f.time(r.redeemed_at) },
  { head: 'event id', drop: 1, cell: (r) => r.event_id },
  { head: 'reward', cell: (r) => r.reward_code ?? r.reward_id },
  { head: 'qty', cell: (r, f) => f.count(r.qty) },
  { head: 'points', cell: (r, f) => f.count(r.points) },
  { head: 'status', cell: statusText },
  { head: 'redemption code', cell: (r) => r.redemption_code },
  { head: 'promo code', drop: 2, cell: (r) => r.promo_code },
];

export function renderRedemptionTable(io: CliIO, rows: RedemptionLine[], view: TimeView = UTC_VIEW): string {
  return listingTable(io, { columns: COLUMNS, rows }, view);
}

/** The status with its time: `used 2026-12-02T10:15:00Z`, `expired 2026-…`, `redeemed`. */
function statusText(r: RedemptionLine, f: CellFormat): string {
  if (r.status === 'cancelled') return `cancelled ${f.time(r.cancelled_at)}`;
  if (r.status === 'used') return `used ${f.time(r.used_at)}`;
  if (r.status === 'expired') return `expired ${f.time(r.use_expire_date)}`;
  return 'redeemed';
}

/** The line under the table: how many shown, and whether there are more. */
export function countLine(shown: number, truncated: boolean, what: string, limitFlag = '--limit'): string {
  const n = formatCount(shown);
  return truncated ? `${n} ${what} shown, newest first; there are more: raise ${limitFlag} or narrow the filter.` : `${n} ${what}.`;
}

/** `redemptions list`: the table and the count, or that nothing matches. */
export function renderMemberRedemptions(io: CliIO, { member, redemptions, truncated }: MemberRedemptionList, view: TimeView = UTC_VIEW): string {
  const who = member.email ?? member.tel ?? member.id;
  if (redemptions.length === 0) return `No redemptions of ${who} match.`;
  return [renderRedemptionTable(io, redemptions, view), countLine(redemptions.length, truncated, `redemption row(s) of ${who}`)].join('\n');
}

/** `redemptions list` as rows (--output csv). */
export function memberRedemptionListing({ member, redemptions, truncated }: MemberRedemptionList): Listing<RedemptionLine> {
  const who = member.email ?? member.tel ?? member.id;
  return { columns: COLUMNS, rows: redemptions, more: truncated ? countLine(redemptions.length, truncated, `redemption row(s) of ${who}`) : null };
}
