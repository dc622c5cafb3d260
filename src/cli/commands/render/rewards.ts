import type { CliIO } from '../../../shared/io.js';
import { formatCount, formatTime } from '../../../shared/format.js';
import { keyValues, table, type ColumnSpec } from '../../output.js';
import type { RewardLimit } from '../../../lookup/rewardLimits.js';
import type { TierPrice } from '../../../lookup/rewardPricing.js';
import type { RewardDetail } from '../../../lookup/rewards.js';

// Human tables of rewards list / rewards show. The --json documents are the RewardDetail as is.

function price(p: TierPrice): string {
  const points = p.points === null ? 'no price' : formatCount(p.points);
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

function windowText(r: RewardDetail): string {
  if (!r.window.start && !r.window.end) return 'always';
  return `${formatTime(r.window.start) || '…'} to ${formatTime(r.window.end) || '…'} (${r.window.state})`;
}

/**
 * Too narrow for all of them: the window goes first (two full times, `always` for most rewards),
 * then the limits, then the name. Reward, active, price per tier, stock and code pool always show:
 * what a member can get and for how much. `rewards show` and --json have everything.
 */
const LIST_COLUMNS: ColumnSpec[] = [
  { head: 'reward' },
  { head: 'name', drop: 3 },
  { head: 'active' },
  { head: 'price per tier' },
  { head: 'stock' },
  { head: 'code pool' },
  { head: 'limits', drop: 2 },
  { head: 'window', drop: 1 },
];

export function renderRewardList(io: CliIO, { rewards, truncated }: { rewards: RewardDetail[]; truncated: boolean }): string {
  if (rewards.length === 0) return 'No rewards yet.';
  const lines = [
    table(
      io,
      LIST_COLUMNS,
      rewards.map((r) => [
        r.reward_code,
        r.name,
        r.active ? 'yes' : 'no',
        r.pricing.per_tier.map(price).join('\n'),
        stockText(r),
        poolText(r),
        r.limits.map(limitText).join('\n') || 'none',
        windowText(r),
      ]),
    ),
  ];
  if (truncated) lines.push(`First ${formatCount(rewards.length)} rewards by reward_code; there are more: raise --limit.`);
  return lines.join('\n');
}

export function renderReward(io: CliIO, r: RewardDetail): string {
  const e = r.eligibility;
  const lines = [
    keyValues(io, [
      ['reward', r.reward_code],
      ['reward id', r.reward_id],
      ['name', r.name],
      ['active', r.active ? 'yes' : 'no (redemptions refused: REWARD_INACTIVE)'],
      ['fulfilment', r.fulfilment],
      ['redemption window', windowText(r)],
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
        ['scope', 'unit', 'max', 'current window from', 'used in it'],
        r.limits.map((l) => [l.scope, l.unit, formatCount(l.max), formatTime(l.window_start) || 'all time', l.used === null ? 'per member (see quote)' : formatCount(l.used)]),
      ),
    );
  }
  return lines.join('\n');
}
