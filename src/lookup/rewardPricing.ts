import { sql, type Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';

// What a reward costs, as the engine prices it: per tier through rd_unit_price itself (never a
// second implementation of the rules), and the condition rows behind those prices.

export interface TierPrice {
  /** null: a member with no tier. */
  tier: string | null;
  /** Points per unit for a buyer of this tier with no persona and no tags; null: NO_POINTS_CONFIG. */
  points: number | null;
  /** False when allowed_tiers leaves this tier out (the price is shown all the same). */
  eligible: boolean;
}

export interface PricingCondition {
  tier: string | null;
  user_type: string | null;
  persona: string | null;
  tags: string[] | null;
  points: number;
  priority: number;
}

export interface RewardPricing {
  fallback_points: number | null;
  require_points_match: boolean;
  per_tier: TierPrice[];
  conditions: PricingCondition[];
}

/** Pricing of each reward in `rewardIds` (all of `merchantId`), keyed by reward id. */
export async function rewardPricing(db: Kysely<Schema>, merchantId: string, rewardIds: string[]): Promise<Map<string, RewardPricing>> {
  const result = new Map<string, RewardPricing>();
  if (rewardIds.length === 0) return result;
  const ids = sql.join(rewardIds.map((id) => sql`${id}::uuid`));
  // The member each tier row prices: a buyer of that tier (or none), no persona, no tags.
  const [tiers, conditions, rewards] = await Promise.all([
    sql<{ reward_id: string; tier: string | null; points: number | null; eligible: boolean }>`
      select r.id as reward_id, t.name as tier, p.points::float8 as points,
             coalesce(cardinality(r.allowed_tiers), 0) = 0 or coalesce(t.id = any (r.allowed_tiers), false) as eligible
      from reward_master r
      cross join (select id, name, rank from tiers where merchant_id = ${merchantId}::uuid
                  union all select null::uuid, null::text, null::int) t
      cross join lateral rd_unit_price(r, jsonb_populate_record(null::user_accounts, jsonb_build_object(
        'merchant_id', r.merchant_id, 'tier_id', t.id, 'user_type', 'buyer', 'active', true))) p
      where r.merchant_id = ${merchantId}::uuid and r.id in (${ids})
      order by t.rank nulls last, t.name`.execute(db),
    sql<PricingCondition & { reward_id: string }>`
      select c.reward_id, t.name as tier, c.user_type, p.name as persona,
             case when cardinality(c.tag_ids) > 0 then array(select g.name from tags g where g.id = any (c.tag_ids) order by g.name) end as tags,
             c.points_required::float8 as points, c.priority
      from reward_points_conditions c
      left join tiers t on t.id = c.tier_id
      left join personas p on p.id = c.persona_id
      where c.merchant_id = ${merchantId}::uuid and c.active and c.reward_id in (${ids})
      order by t.rank nulls last, c.priority desc, c.points_required`.execute(db),
    sql<{ reward_id: string; fallback_points: number | null; require_points_match: boolean }>`
      select id as reward_id, fallback_points::float8 as fallback_points, require_points_match
      from reward_master where merchant_id = ${merchantId}::uuid and id in (${ids})`.execute(db),
  ]);
  for (const r of rewards.rows) {
    result.set(r.reward_id, {
      fallback_points: r.fallback_points === null ? null : Number(r.fallback_points),
      require_points_match: r.require_points_match,
      per_tier: [],
      conditions: [],
    });
  }
  for (const row of tiers.rows) {
    result.get(row.reward_id)?.per_tier.push({ tier: row.tier, points: row.points === null ? null : Number(row.points), eligible: row.eligible });
  }
  for (const { reward_id, ...condition } of conditions.rows) {
    result.get(reward_id)?.conditions.push({ ...condition, points: Number(condition.points), priority: Number(condition.priority) });
  }
  return result;
}
