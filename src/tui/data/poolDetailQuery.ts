import { sql, type Kysely } from 'kysely';
import type { Schema } from '../../db/schema.js';
import type { LotCount, PoolDetail } from './snapshot.js';

// The selected pool's detail: units redeemed per hour, codes per lot, codes about to expire.
// One reward only, so each read is a range of an index on reward_id:
// - per hour: live ledger rows (success, not cancelled), as pool health counts them;
// - lots: reward_promo_code_stats (reward_id, status, lot);
// - expiring: reward_promo_code_expiry (reward_id, expires_at) where status = 'available'.

export const DETAIL_HOURS = 12;
const MAX_LOTS = 6;

export async function poolDetail(db: Kysely<Schema>, merchantId: string, rewardId: string, now: Date): Promise<PoolDetail> {
  const at = now.toISOString();
  const [hours, lots, expiring] = await Promise.all([
    sql<{ ago: number; units: number }>`
      select floor(extract(epoch from (${at}::timestamptz - l.created_at)) / 3600)::int as ago, sum(l.qty)::float8 as units
      from reward_redemptions_ledger l
      where l.merchant_id = ${merchantId}::uuid and l.reward_id = ${rewardId}::uuid
        and l.created_at > ${at}::timestamptz - make_interval(hours => ${DETAIL_HOURS}::int) and l.created_at <= ${at}::timestamptz
        and l.success and l.cancelled_at is null
      group by 1`.execute(db),
    sql<{ lot: string | null; available: number; total: number }>`
      select c.lot,
             count(*) filter (where c.status = 'available' and (c.expires_at is null or c.expires_at > ${at}::timestamptz))::float8 as available,
             count(*)::float8 as total
      from reward_promo_code c
      where c.reward_id = ${rewardId}::uuid
      group by c.lot
      order by available desc, c.lot nulls last
      limit ${MAX_LOTS}`.execute(db),
    sql<{ in_24h: number; in_7d: number; next_expiry: Date | null }>`
      select count(*) filter (where e.expires_at <= ${at}::timestamptz + interval '1 day')::float8 as in_24h,
             count(*)::float8 as in_7d,
             min(e.expires_at) as next_expiry
      from reward_promo_code e
      where e.reward_id = ${rewardId}::uuid and e.status = 'available' and e.expires_at is not null
        and e.expires_at > ${at}::timestamptz and e.expires_at <= ${at}::timestamptz + interval '7 days'`.execute(db),
  ]);

  const hourly = new Array<number>(DETAIL_HOURS).fill(0);
  for (const row of hours.rows) hourly[DETAIL_HOURS - 1 - Math.min(Number(row.ago), DETAIL_HOURS - 1)]! += Number(row.units);
  const soon = expiring.rows[0];
  return {
    reward_id: rewardId,
    hourly,
    lots: lots.rows.map((row): LotCount => ({ lot: row.lot, available: Number(row.available), total: Number(row.total) })),
    expiring_24h: Number(soon?.in_24h ?? 0),
    expiring_7d: Number(soon?.in_7d ?? 0),
    next_expiry: soon?.next_expiry ? new Date(soon.next_expiry).toISOString() : null,
  };
}
