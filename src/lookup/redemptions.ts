import { sql, type Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { isoTime } from './time.js';

// One member's redemptions (successful ledger rows), newest first. A failed request leaves a
// ledger row too, but it redeemed nothing; it is not listed (docs/lookup.md, "Redemptions").

/** cancelled, used, expired (past use_expire_date, unused) or redeemed (live). */
export type RedemptionStatus = 'cancelled' | 'used' | 'expired' | 'redeemed';

export interface RedemptionLine {
  redemption_id: string;
  redemption_code: string;
  event_id: string;
  reward_id: string | null;
  reward_code: string | null;
  qty: number;
  points: number;
  promo_code: string | null;
  status: RedemptionStatus;
  mode: string;
  source_type: string;
  redeemed_at: string;
  use_expire_date: string | null;
  used_at: string | null;
  cancelled_at: string | null;
}

export interface RedemptionFilter {
  merchantId: string;
  userId: string;
  rewardId?: string | null;
  since?: Date | null;
  limit: number;
}

interface Row extends Omit<RedemptionLine, 'redeemed_at' | 'use_expire_date' | 'used_at' | 'cancelled_at'> {
  redeemed_at: Date;
  use_expire_date: Date | null;
  used_at: Date | null;
  cancelled_at: Date | null;
}

/**
 * At most `limit` rows, newest first (the rows of one request in code order); `truncated` says
 * more exist. Reads the partial index ledger_user_reward (user_id, reward_id, redeemed_at) where
 * success: bounded by this member's own history, whatever the ledger's size.
 */
export async function memberRedemptions(
  db: Kysely<Schema>,
  filter: RedemptionFilter,
): Promise<{ redemptions: RedemptionLine[]; truncated: boolean }> {
  const { rows } = await sql<Row>`
    select l.id as redemption_id, l.code as redemption_code, l.event_id, l.reward_id, r.reward_code,
           l.qty, l.points_deducted::float8 as points, l.promo_code, l.mode, l.source_type,
           case when l.cancelled_at is not null then 'cancelled'
                when l.used_at is not null then 'used'
                when l.use_expire_date < now() then 'expired'
                else 'redeemed' end as status,
           l.redeemed_at, l.use_expire_date, l.used_at, l.cancelled_at
    from reward_redemptions_ledger l
    left join reward_master r on r.id = l.reward_id and r.merchant_id = l.merchant_id
    where l.user_id = ${filter.userId}::uuid and l.merchant_id = ${filter.merchantId}::uuid and l.success
      and (${filter.rewardId ?? null}::uuid is null or l.reward_id = ${filter.rewardId ?? null}::uuid)
      and (${isoTime(filter.since)}::timestamptz is null or l.redeemed_at >= ${isoTime(filter.since)}::timestamptz)
    order by l.redeemed_at desc, l.event_id, l.promo_code_id nulls first, l.code
    limit ${filter.limit + 1}`.execute(db);
  const redemptions = rows.slice(0, filter.limit).map((row) => ({
    ...row,
    qty: Number(row.qty),
    points: Number(row.points),
    redeemed_at: isoTime(row.redeemed_at)!,
    use_expire_date: isoTime(row.use_expire_date),
    used_at: isoTime(row.used_at),
    cancelled_at: isoTime(row.cancelled_at),
  }));
  return { redemptions, truncated: rows.length > filter.limit };
}
