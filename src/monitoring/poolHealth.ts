import { sql, type Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import {
  bySoonestEmpty,
  DEFAULT_THRESHOLD,
  depletionPerHour,
  emptyAt,
  hoursToEmpty,
  isAlert,
  poolStatus,
  type PoolStatus,
} from './forecast.js';
import { poolHealthQuery, type PoolHealthRow } from './poolHealthQuery.js';
import { withoutJit } from './withoutJit.js';

// `pool health` and the console's pool list read through here: one implementation, two
// presentations. Field names are the JSON document's (snake_case, like the engine's results).

export interface PoolHealth {
  reward_id: string;
  reward_code: string;
  name: string;
  /** total = available + expired + redeemed + voided */
  total: number;
  /** claimable now: status available and not past expires_at */
  available: number;
  redeemed: number;
  voided: number;
  /** status available but past expires_at: in the pool, never claimable */
  expired: number;
  redeemed_last_hour: number;
  redeemed_last_day: number;
  depletion_per_hour: number;
  hours_to_empty: number | null;
  empty_at: string | null;
  status: PoolStatus;
  insufficient_codes_last_day: number;
}

export interface PoolHealthReport {
  generated_at: string;
  threshold: number;
  pools: PoolHealth[];
  /** The LOW and EMPTY pools, in the same order. */
  alerts: Array<Pick<PoolHealth, 'reward_code' | 'status' | 'available' | 'hours_to_empty'>>;
}

export interface PoolHealthQuery {
  merchantId: string;
  threshold?: number;
  /** The instant the windows end at; default the database's now(). Tests pin it. */
  now?: Date;
}

export async function poolHealth(db: Kysely<Schema>, query: PoolHealthQuery): Promise<PoolHealthReport> {
  const threshold = query.threshold ?? DEFAULT_THRESHOLD;
  // Fold pending deltas first (sql/0007_pool_counts.sql): then pool_counts is exact, read in
  // constant time per reward, and the codes are never counted by status.
  await sql`select pool_counts_rollup()`.execute(db);
  const { rows } = await withoutJit(db, (trx) => poolHealthQuery(query.merchantId, query.now).execute(trx));

  const now = rows[0]?.now ?? query.now ?? new Date();
  const pools = rows.map((row) => toHealth(row, now, threshold)).sort(bySoonestEmpty);
  return {
    generated_at: new Date(now).toISOString(),
    threshold,
    pools,
    alerts: pools
      .filter((p) => isAlert(p.status))
      .map(({ reward_code, status, available, hours_to_empty }) => ({ reward_code, status, available, hours_to_empty })),
  };
}

function toHealth(row: PoolHealthRow, now: Date, threshold: number): PoolHealth {
  const expired = Number(row.expired);
  const available = Math.max(0, Number(row.in_pool) - expired);
  const lastHour = Number(row.last_hour);
  const lastDay = Number(row.last_day);
  const rate = depletionPerHour(lastHour, lastDay);
  const hours = hoursToEmpty(available, rate);
  return {
    reward_id: row.reward_id,
    reward_code: row.reward_code,
    name: row.name,
    total: Number(row.total),
    available,
    redeemed: Number(row.redeemed),
    voided: Number(row.voided),
    expired,
    redeemed_last_hour: lastHour,
    redeemed_last_day: lastDay,
    depletion_per_hour: rate,
    hours_to_empty: hours,
    empty_at: emptyAt(new Date(now), hours)?.toISOString() ?? null,
    status: poolStatus(available, threshold),
    insufficient_codes_last_day: Number(row.insufficient),
  };
}
