import type { CliIO } from '../../../shared/io.js';
import { formatCount } from '../../../shared/format.js';
import { UTC_VIEW, type TimeView } from '../../../shared/zonedTime.js';
import { keyValues, table } from '../../output.js';
import { listingTable, type CellFormat, type ListColumn, type Listing } from '../../listing.js';
import type { RewardLimit } from '../../../lookup/rewardLimits.js';
import type { TierPrice } from '../../../lookup/rewardPricing.js';
import type { RewardDetail } from '../../../lookup/rewards.js';

// Human tables of rewards list / rewards show. The --json documents are the RewardDetail as is.

function price(p: TierPrice, count: (n: number) => string = formatCount): string {
  const points = p.points === null ? 'no price' : count(p.points);
  return `${p.tier ?? 'no tier'} ${points}${p.eligible ? '' : ' (not allowed)'}`;
}

function stockText(r: RewardDetail): string {
  if (r.pool) return 'the code pool';
  if (!r.stock || r.stock.total === null) return 'unlimited';
  return `${formatCount(r.stock.remaining)} left of ${formatCount(r.stock.total)} (${formatCount(r.stock.issued)} issued)`;
}

function poolText(r: RewardDetail): string {
  if (!r.pool) return 'no';
  return `yes: ${formatCount(r.pool.available)} available` + (r.pool.expired > 0 ? ` (+${formatCount(r.pool.expired)} expired)` : '');
}

function limitText(l: RewardLimit): string {
  const per = l.unit === 'all_time' ? 'all time' : `per ${l.unit}`;
  return `${l.scope}: ${formatCount(l.max)} ${per}` + (l.used === null ? '' : ` (${formatCount(l.used)} used)`);
}

function windowText(r: RewardDetail, time: TimeView['time']): string {
  if (!r.window.start && !r.window.end) return 'always';
  return `${time(r.window.start) || '…'} to ${time(r.window.end) || '…'} (${r.window.state})`;
}

/**
 * Too narrow for all of them: the window goes first (two full times, `always` for most rewards),
 * then the limits, then the name. Reward, active, price per tier, stock and code pool always show:
 * what a member can get and for how much. `rewards show` and --json have everything.
 */
const LIST_COLUMNS: Array<ListColumn<RewardDetail>> = [
  { head: 'reward', cell: (r) => r.reward_code },
  { head: 'name', drop: 3, cell: (r) => r.name },
  { head: 'active', cell: (r) => (r.active ? 'yes' : 'no') },
  { head: 'price per tier', cell: (r, f: CellFormat) => r.pricing.per_tier.map((p) => price(p, f.count)).join('\n') },
  { head: 'stock', cell: (r) => stockText(r) },
  { head: 'code pool', cell: (r) => poolText(r) },
  { head: 'limits', drop: 2, cell: (r) => r.limits.map(limitText).join('\n') || 'none' },
  { head: 'window', drop: 1, time: true, cell: (r, f) => windowText(r, f.time) },
];

type RewardList = { rewards: RewardDetail[]; truncated: boolean };

function moreRewards(rewards: RewardDetail[]): string {
  return `First ${formatCount(rewards.length)} rewards by reward_code; there are more: raise --limit.`;
}

/** `rewards list` as rows (--output csv). */
export function rewardListing({ rewards, truncated }: RewardList): Listing<RewardDetail> {
  return { columns: LIST_COLUMNS, rows: rewards, more: truncated ? moreRewards(rewards) : null };
}

export function renderRewardList(io: CliIO, list: RewardList, view: TimeView = UTC_VIEW): string {
  if (list.rewards.length === 0) return 'No rewards yet.';
  const lines = [listingTable(io, rewardListing(list), view)];
  if (list.truncated) lines.push(moreRewards(list.rewards));
  return lines.join('\n');
}

export function renderReward(io: CliIO, r: RewardDetail, view: TimeView = UTC_VIEW): string {
  const e = r.eligibility;
  const lines = [
    keyValues(io, [
      ['reward', r.reward_code],
      ['reward id', r.reward_id],
      ['name', r.name],
      ['active', r.active ? 'yes' : 'no (redemptions refused: REWARD_INACTIVE)'],
      ['fulfilment', r.fulfilment],
      [view.head('redemption window'), windowText(r, view.time)],
      ['allowed tiers', e.tiers?.join(', ') ?? 'any'],
      ['allowed personas', e.personas?.join(', ') ?? 'any'],
      ['allowed tags (any of)', e.tags?.join(', ') ?? 'any'],
      ['allowed birth months', e.birth_months?.join(', ') ?? 'any'],
      ['fallback points', r.pricing.require_points_match ? 'none: a matching price is required' : formatCount(r.pricing.fallback_points ?? 0)],
      ['stock', stockText(r)],
      ['code pool', poolText(r)],
      ...(r.pool ? ([['pool codes', `${formatCount(r.pool.total)} in all: ${formatCount(r.pool.redeemed)} redeemed, ${formatCount(r.pool.voided)} voided`]] as Array<[string, string]>) : []),
      ['default promo code', r.default_promo_code],
    ]),
    'Price per tier (a buyer with no persona or tags):',
    table(io, ['tier', 'points per unit', 'tier allowed'], r.pricing.per_tier.map((p) => [p.tier ?? '(no tier)', p.points === null ? 'no price' : formatCount(p.points), p.eligible ? 'yes' : 'no'])),
  ];
  if (r.pricing.conditions.length > 0) {
    lines.push('Pricing conditions (most specific wins, then priority, then the lowest price):');
    lines.push(
      table(
        io,
        ['tier', 'user type', 'persona', 'tags (all of)', 'points', 'priority'],
        r.pricing.conditions.map((c) => [c.tier, c.user_type, c.persona, c.tags?.join(', '), formatCount(c.points), c.priority]),
      ),
    );
  }
  if (r.limits.length === 0) {
    lines.push('Limits: none.');
  } else {
    lines.push('Limits:');
    lines.push(
      table(
        io,
        ['scope', 'unit', 'max', view.head('current window from'), 'used in it'],
        r.limits.map((l) => [l.scope, l.unit, formatCount(l.max), view.time(l.window_start) || 'all time', l.used === null ? 'per member (see quote)' : formatCount(l.used)]),
      ),
    );
  }
  return lines.join('\n');
}
