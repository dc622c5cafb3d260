import { sql, type RawBuilder } from 'kysely';

// The one statement behind `pool health`, apart so the benchmark can EXPLAIN it. Run it after
// pool_counts_rollup(); poolHealth.ts shapes the rows. Field meanings: docs/monitoring.md.

export interface PoolHealthRow {
  now: Date;
  reward_id: string;
  reward_code: string;
  name: string;
  total: number;
  /** pool_counts.available: expired codes included */
  in_pool: number;
  redeemed: number;
  voided: number;
  expired: number;
  last_hour: number;
  last_day: number;
  insufficient: number;
}

export function poolHealthQuery(merchantId: string, now: Date | undefined): RawBuilder<PoolHealthRow> {
  return sql<PoolHealthRow>`
    with t as (select coalesce(${now?.toISOString() ?? null}::timestamptz, now()) as now),
    pools as (
      select m.id, m.reward_code, m.name, coalesce(c.total, 0) as total, coalesce(c.available, 0) as in_pool,
             coalesce(c.redeemed, 0) as redeemed, coalesce(c.voided, 0) as voided
      from reward_master m left join pool_counts c on c.reward_id = m.id
      where m.merchant_id = ${merchantId}::uuid and m.assign_promocode and m.active
    ),
    -- Live units of the last day: a range of ledger_merchant_time (docs/monitoring.md, EXPLAIN).
    -- Grouped over every reward of the merchant and joined to the pools after: one probe per
    -- reward rather than one per row; the rows of rewards without a pool are dropped by the join.
    -- Materialized, so it runs once whatever the statistics say: right after a bulk change (no
    -- ANALYZE yet) the planner took the day's rows for one and re-ran this sort per pool reward,
    -- 50 times on the health benchmark (675 ms instead of about 80).
    recent as materialized (
      select l.reward_id, coalesce(sum(l.qty) filter (where l.created_at > t.now - interval '1 hour'), 0) as last_hour,
             sum(l.qty) as last_day
      from reward_redemptions_ledger l, t
      where l.merchant_id = ${merchantId}::uuid
        and l.created_at > t.now - interval '1 day' and l.created_at <= t.now
        and l.success and l.cancelled_at is null
      group by l.reward_id
    ),
    -- Requests refused for want of codes: the partial index redemption_requests_failed.
    -- Materialized for the same reason as recent.
    short as materialized (
      select r.reward_id, count(*) as n
      from redemption_requests r, t
      where r.merchant_id = ${merchantId}::uuid and r.status = 'failed'
        and r.created_at > t.now - interval '1 day' and r.created_at <= t.now
        and r.error_code = 'INSUFFICIENT_CODES'
      group by r.reward_id
    )
    select t.now, p.id as reward_id, p.reward_code, p.name, p.total::float8 as total, p.in_pool::float8 as in_pool,
           p.redeemed::float8 as redeemed, p.voided::float8 as voided,
           -- Expired but still 'available': a range of the partial index reward_promo_code_expiry.
           (select count(*) from reward_promo_code e
             where e.reward_id = p.id and e.status = 'available' and e.expires_at is not null and e.expires_at <= t.now)::float8 as expired,
           coalesce(r.last_hour, 0)::float8 as last_hour, coalesce(r.last_day, 0)::float8 as last_day,
           coalesce(s.n, 0)::float8 as insufficient
    from pools p cross join t
    left join recent r on r.reward_id = p.id
    left join short s on s.reward_id = p.id`;
}
