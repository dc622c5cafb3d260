import { sql, type Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { isoTime } from './time.js';

// The active limits of rewards, with their current calendar window in the merchant's time zone
// and, for merchant-wide (total) limits, the usage in it, read through the engine's own
// rd_window_start / rd_limit_used (sql/0002_rules.sql).

export interface RewardLimit {
  scope: 'user' | 'total';
  /** day, week, month, year or all_time. */
  unit: string;
  /** The count allowed per window. */
  max: number;
  /** Start of the current window (null for all_time). */
  window_start: string | null;
  /** Units used in the current window: total scope only (user scope is per member: see quote). */
  used: number | null;
}

export async function rewardLimits(db: Kysely<Schema>, merchantId: string, rewardIds: string[]): Promise<Map<string, RewardLimit[]>> {
  const result = new Map<string, RewardLimit[]>();
  if (rewardIds.length === 0) return result;
  const { rows } = await sql<{ reward_id: string; scope: 'user' | 'total'; unit: string; max: number; window_start: Date | null; used: number | null }>`
    select l.reward_id, l.scope, l.time_unit as unit, l.max_count::float8 as max,
           case when l.time_unit <> 'all_time' then rd_window_start(l.time_unit, m.time_zone) end as window_start,
           case when l.scope = 'total' then rd_limit_used(l, null, m.time_zone)::float8 end as used
    from transaction_limits l
    join merchants m on m.id = l.merchant_id
    where l.merchant_id = ${merchantId}::uuid and l.active
      and l.reward_id in (${sql.join(rewardIds.map((id) => sql`${id}::uuid`))})
    order by l.scope, l.time_unit`.execute(db);
  for (const { reward_id, ...limit } of rows) {
    const list = result.get(reward_id) ?? [];
    list.push({ ...limit, max: Number(limit.max), window_start: isoTime(limit.window_start), used: limit.used === null ? null : Number(limit.used) });
    result.set(reward_id, list);
  }
  return result;
}
