import type { CliIO } from '../../../shared/io.js';
import { formatCount, formatTime } from '../../../shared/format.js';
import { table, type ColumnSpec } from '../../output.js';
import type { RedemptionLine } from '../../../lookup/redemptions.js';
import type { MemberRedemptionList } from '../../../lookup/outcomes.js';

// The redemptions table shared by `members show` and `redemptions list`, and the latter's rendering.

/**
 * Too narrow for all of them: the event id goes first (often a 36-character uuid; `cancel` takes
 * the redemption code as well, and --json has both), then the promo code, then when it was
 * redeemed (newest first anyway; a used or cancelled row keeps its time in status). Reward, qty,
 * points, status and the redemption code always show, so at 80 columns no code is cut in two.
 */
const COLUMNS: ColumnSpec[] = [
  { head: 'redeemed at', drop: 3 },
  { head: 'event id', drop: 1 },
  { head: 'reward' },
  { head: 'qty' },
  { head: 'points' },
  { head: 'status' },
  { head: 'redemption code' },
  { head: 'promo code', drop: 2 },
];

export function renderRedemptionTable(io: CliIO, rows: RedemptionLine[]): string {
  return table(
    io,
    COLUMNS,
    rows.map((r) => [
      formatTime(r.redeemed_at),
      r.event_id,
      r.reward_code ?? r.reward_id,
      formatCount(r.qty),
      formatCount(r.points),
      statusText(r),
      r.redemption_code,
      r.promo_code,
    ]),
  );
}

/** The status with its time: `used 2026-12-02T10:15:00Z`, `expired 2026-…`, `redeemed`. */
function statusText(r: RedemptionLine): string {
  if (r.status === 'cancelled') return `cancelled ${formatTime(r.cancelled_at)}`;
  if (r.status === 'used') return `used ${formatTime(r.used_at)}`;
  if (r.status === 'expired') return `expired ${formatTime(r.use_expire_date)}`;
  return 'redeemed';
}

/** The line under the table: how many shown, and whether there are more. */
export function countLine(shown: number, truncated: boolean, what: string, limitFlag = '--limit'): string {
  const n = formatCount(shown);
  return truncated ? `${n} ${what} shown, newest first; there are more: raise ${limitFlag} or narrow the filter.` : `${n} ${what}.`;
}

/** `redemptions list`: the table and the count, or that nothing matches. */
export function renderMemberRedemptions(io: CliIO, { member, redemptions, truncated }: MemberRedemptionList): string {
  const who = member.email ?? member.tel ?? member.id;
  if (redemptions.length === 0) return `No redemptions of ${who} match.`;
  return [renderRedemptionTable(io, redemptions), countLine(redemptions.length, truncated, `redemption row(s) of ${who}`)].join('\n');
}
