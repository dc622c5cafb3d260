import { sql, type Kysely } from 'kysely';
import type { Schema } from '../../db/schema.js';

// Redemptions per minute for the console's chart: succeeded requests of one merchant in the
// `minutes` minutes ending at `now`, read through redemption_requests_merchant_time. Minute i of
// the result (oldest first) holds the requests created in (now − (minutes − i) min, now − (minutes − i − 1) min].

export async function throughputPerMinute(db: Kysely<Schema>, merchantId: string, now: Date, minutes: number): Promise<number[]> {
  const { rows } = await sql<{ ago: number; n: number }>`
    select floor(extract(epoch from (${now.toISOString()}::timestamptz - r.created_at)) / 60)::int as ago, count(*)::float8 as n
    from redemption_requests r
    where r.merchant_id = ${merchantId}::uuid and r.status = 'succeeded'
      and r.created_at > ${now.toISOString()}::timestamptz - make_interval(mins => ${minutes}::int)
      and r.created_at <= ${now.toISOString()}::timestamptz
    group by 1`.execute(db);
  const perMinute = new Array<number>(minutes).fill(0);
  for (const row of rows) {
    // A request exactly `minutes` ago is outside (the start is open); one at now is minute 0 ago.
    const ago = Math.min(Number(row.ago), minutes - 1);
    perMinute[minutes - 1 - ago]! += Number(row.n);
  }
  return perMinute;
}
