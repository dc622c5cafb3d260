import { sql, type Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { rewardPricing, type RewardPricing } from './rewardPricing.js';
import { rewardLimits, type RewardLimit } from './rewardLimits.js';
import { isoTime } from './time.js';

// Rewards of one merchant as support reads them: price per tier, stock, code pool, limits and
// the redemption window. Field meanings: docs/lookup.md, "rewards list / rewards show".

export interface RewardDetail {
  reward_id: string;
  reward_code: string;
  name: string;
  active: boolean;
  fulfilment: string;
  default_promo_code: string | null;
  /** Who may redeem: names; null means anyone. */
  eligibility: { tiers: string[] | null; personas: string[] | null; tags: string[] | null; birth_months: number[] | null };
  window: { start: string | null; end: string | null; state: 'open' | 'upcoming' | 'closed' };
  pricing: RewardPricing;
  /**
   * Rewards without a pool: stock_total, units issued (live: cancelling gives them back) and
   * remaining; all three null when the stock is unlimited (nothing is counted then). Null for
   * pool rewards: their pool is their stock.
   */
  stock: { total: number | null; issued: number | null; remaining: number | null } | null;
  /** Pool rewards: codes by status; `available` is claimable now (unexpired). Null without a pool. */
  pool: { available: number; expired: number; redeemed: number; voided: number; total: number } | null;
  limits: RewardLimit[];
}

interface Row {
  reward_id: string;
  reward_code: string;
  name: string;
  active: boolean;
  fulfilment: string;
  default_promo_code: string | null;
  allowed_tiers: string[] | null;
  allowed_personas: string[] | null;
  allowed_tags: string[] | null;
  allowed_birth_months: number[] | null;
  window_start: Date | null;
  window_end: Date | null;
  window_state: 'open' | 'upcoming' | 'closed';
  assign_promocode: boolean;
  stock_total: number | null;
  issued: number;
  pool_total: number;
  pool_in: number;
  pool_redeemed: number;
  pool_voided: number;
  pool_expired: number;
}

/**
 * Rewards by reward_code (all of the merchant's, or the one `rewardId`), at most `limit`.
 * Pool figures come from pool_counts after pool_counts_rollup(), as `pool health` reads them
 * (constant time whatever the pool size), expired codes through their partial index.
 */
export async function rewardDetails(
  db: Kysely<Schema>,
  merchantId: string,
  options: { rewardId?: string; limit: number },
): Promise<{ rewards: RewardDetail[]; truncated: boolean }> {
  const rewardId = options.rewardId ?? null;
  await sql`select pool_counts_rollup()`.execute(db);
  const { rows } = await sql<Row>`
    select r.id as reward_id, r.reward_code, r.name, r.active, r.fulfilment, r.default_promo_code,
           case when cardinality(r.allowed_tiers) > 0 then array(select t.name from tiers t where t.id = any (r.allowed_tiers) order by t.rank, t.name) end as allowed_tiers,
           case when cardinality(r.allowed_personas) > 0 then array(select p.name from personas p where p.id = any (r.allowed_personas) order by p.name) end as allowed_personas,
           case when cardinality(r.allowed_tags) > 0 then array(select g.name from tags g where g.id = any (r.allowed_tags) order by g.name) end as allowed_tags,
           case when cardinality(r.allowed_birth_months) > 0 then r.allowed_birth_months end as allowed_birth_months,
           r.redeem_window_start as window_start, r.redeem_window_end as window_end,
           case when r.redeem_window_start > now() then 'upcoming'
                when r.redeem_window_end < now() then 'closed' else 'open' end as window_state,
           r.assign_promocode, r.stock_total::float8 as stock_total, coalesce(s.issued, 0)::float8 as issued,
           coalesce(c.total, 0)::float8 as pool_total, coalesce(c.available, 0)::float8 as pool_in,
           coalesce(c.redeemed, 0)::float8 as pool_redeemed, coalesce(c.voided, 0)::float8 as pool_voided,
           case when r.assign_promocode then (select count(*) from reward_promo_code e
             where e.reward_id = r.id and e.status = 'available' and e.expires_at is not null and e.expires_at <= now()) else 0 end::float8 as pool_expired
    from reward_master r
    left join reward_stock_usage s on s.reward_id = r.id
    left join pool_counts c on c.reward_id = r.id
    where r.merchant_id = ${merchantId}::uuid and (${rewardId}::uuid is null or r.id = ${rewardId}::uuid)
    order by r.reward_code
    limit ${options.limit + 1}`.execute(db);
  const chosen = rows.slice(0, options.limit);
  const ids = chosen.map((r) => r.reward_id);
  const [pricing, limits] = await Promise.all([rewardPricing(db, merchantId, ids), rewardLimits(db, merchantId, ids)]);
  const rewards = chosen.map((row): RewardDetail => ({
    reward_id: row.reward_id,
    reward_code: row.reward_code,
    name: row.name,
    active: row.active,
    fulfilment: row.fulfilment,
    default_promo_code: row.default_promo_code,
    eligibility: { tiers: row.allowed_tiers, personas: row.allowed_personas, tags: row.allowed_tags, birth_months: row.allowed_birth_months },
    window: { start: isoTime(row.window_start), end: isoTime(row.window_end), state: row.window_state },
    pricing: pricing.get(row.reward_id)!,
    stock: row.assign_promocode
      ? null
      : {
          total: row.stock_total === null ? null : Number(row.stock_total),
          issued: row.stock_total === null ? null : Number(row.issued),
          remaining: row.stock_total === null ? null : Math.max(Number(row.stock_total) - Number(row.issued), 0),
        },
    pool: row.assign_promocode
      ? {
          available: Number(row.pool_in) - Number(row.pool_expired),
          expired: Number(row.pool_expired),
          redeemed: Number(row.pool_redeemed),
          voided: Number(row.pool_voided),
          total: Number(row.pool_total),
        }
      : null,
    limits: limits.get(row.reward_id) ?? [],
  }));
  return { rewards, truncated: rows.length > options.limit };
}
