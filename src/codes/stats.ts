import { sql, type Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';

export interface Counts {
  /** Available and not expired: what a redemption can draw. */
  available: number;
  /** Available with expires_at in the past: never drawn, not yet voided. */
  expired: number;
  redeemed: number;
  voided: number;
  total: number;
}

export interface LotStats extends Counts {
  lot: string | null;
}

export interface RewardStats extends Counts {
  reward_id: string;
  reward_code: string;
  lots: LotStats[];
}

interface Row extends LotStats {
  reward_id: string;
  reward_code: string;
}

/**
 * Codes per reward and lot, by status. A count over the codes themselves (pool_counts has no
 * lots), so it reads every code of the rewards asked for; `pool health` is the constant-time view.
 * Pool rewards without any code are listed too, with zeros.
 */
export async function codeStats(db: Kysely<Schema>, merchantId: string, rewardId: string | null): Promise<RewardStats[]> {
  const { rows } = await sql<Row>`
    select r.id as reward_id, r.reward_code, p.lot,
           count(p.id) filter (where p.status = 'available' and (p.expires_at is null or p.expires_at > now())) as available,
           count(p.id) filter (where p.status = 'available' and p.expires_at <= now()) as expired,
           count(p.id) filter (where p.status = 'redeemed') as redeemed,
           count(p.id) filter (where p.status = 'voided') as voided,
           count(p.id) as total
    from reward_master r
    left join reward_promo_code p on p.reward_id = r.id
    where r.merchant_id = ${merchantId}::uuid
      and (r.assign_promocode or p.id is not null)
      and (${rewardId}::uuid is null or r.id = ${rewardId}::uuid)
    group by r.id, r.reward_code, p.lot
    order by r.reward_code, p.lot nulls first`.execute(db);
  const rewards = new Map<string, RewardStats>();
  for (const row of rows) {
    const lot: LotStats = {
      lot: row.lot,
      available: Number(row.available),
      expired: Number(row.expired),
      redeemed: Number(row.redeemed),
      voided: Number(row.voided),
      total: Number(row.total),
    };
    let reward = rewards.get(row.reward_id);
    if (!reward) {
      reward = { reward_id: row.reward_id, reward_code: row.reward_code, available: 0, expired: 0, redeemed: 0, voided: 0, total: 0, lots: [] };
      rewards.set(row.reward_id, reward);
    }
    if (lot.total > 0) reward.lots.push(lot);
    for (const key of ['available', 'expired', 'redeemed', 'voided', 'total'] as const) reward[key] += lot[key];
  }
  return [...rewards.values()];
}
