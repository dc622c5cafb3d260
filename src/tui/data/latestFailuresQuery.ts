import { sql, type Kysely } from 'kysely';
import type { Schema } from '../../db/schema.js';
import type { LatestFailure } from './snapshot.js';

// The newest refused requests of one merchant up to `now`: a backward range of the partial index
// redemption_requests_failed (merchant_id, created_at) where status = 'failed', stopped at `limit`.

export async function latestFailures(db: Kysely<Schema>, merchantId: string, now: Date, limit: number): Promise<LatestFailure[]> {
  const { rows } = await sql<{ at: Date; event_id: string; error_code: string | null; reward_code: string | null; quantity: number | null }>`
    select r.created_at as at, r.event_id, r.error_code, m.reward_code, r.quantity
    from redemption_requests r
    left join reward_master m on m.id = r.reward_id
    where r.merchant_id = ${merchantId}::uuid and r.status = 'failed' and r.created_at <= ${now.toISOString()}::timestamptz
    order by r.created_at desc, r.event_id
    limit ${limit}`.execute(db);
  return rows.map((row) => ({
    at: new Date(row.at).toISOString(),
    event_id: row.event_id,
    error_code: row.error_code ?? 'UNKNOWN',
    reward_code: row.reward_code,
    quantity: row.quantity === null ? null : Number(row.quantity),
  }));
}
