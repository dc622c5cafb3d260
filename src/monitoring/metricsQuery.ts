import { sql, type Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { withoutJit } from './withoutJit.js';

// The one statement behind `metrics`: every figure over the requests of one merchant created in
// [since, now], read through the index redemption_requests_merchant_time. Shaped into a report
// by redemptionMetrics.ts. Histogram bounds here and QUANTITY_BUCKETS there change together.

export interface MetricsRow {
  now: Date;
  requests: number;
  successes: number;
  failures: number;
  failures_by_code: Record<string, number> | null;
  with_quantity: number;
  qty_one: number;
  qty_many: number;
  qty_average: number | null;
  b_1: number;
  b_2_5: number;
  b_6_10: number;
  b_11_50: number;
  b_51_100: number;
  b_over_100: number;
  pattern_a: number;
  pattern_b: number;
  processing_samples: number;
  processing: number[] | null;
  end_to_end_samples: number;
  end_to_end: number[] | null;
  redeliveries: number;
  points_burned: number;
}

export async function readMetricsRow(db: Kysely<Schema>, merchantId: string, since: Date, now: Date | undefined): Promise<MetricsRow> {
  const { rows } = await withoutJit(db, (trx) => sql<MetricsRow>`
    with t as (select coalesce(${now?.toISOString() ?? null}::timestamptz, now()) as now),
    w as (
      select r.status, r.error_code, r.quantity, r.result, r.processing_ms, r.redelivery_count,
             -- end to end: from the event's timestamp to the ledger write (the request's end).
             case when r.event_timestamp is not null and r.processing_ms is not null
                  then extract(epoch from r.created_at - r.event_timestamp) * 1000 + r.processing_ms end as e2e_ms
      from redemption_requests r, t
      where r.merchant_id = ${merchantId}::uuid and r.created_at >= ${since.toISOString()}::timestamptz and r.created_at <= t.now
    )
    select (select now from t) as now,
      count(*)::float8 as requests,
      count(*) filter (where status = 'succeeded')::float8 as successes,
      count(*) filter (where status = 'failed')::float8 as failures,
      (select jsonb_object_agg(code, n) from (
         select coalesce(error_code, 'UNKNOWN') as code, count(*) as n from w where status = 'failed' group by 1) f) as failures_by_code,
      count(*) filter (where quantity >= 1)::float8 as with_quantity,
      count(*) filter (where quantity = 1)::float8 as qty_one,
      count(*) filter (where quantity > 1)::float8 as qty_many,
      (avg(quantity) filter (where quantity >= 1))::float8 as qty_average,
      count(*) filter (where quantity = 1)::float8 as b_1,
      count(*) filter (where quantity between 2 and 5)::float8 as b_2_5,
      count(*) filter (where quantity between 6 and 10)::float8 as b_6_10,
      count(*) filter (where quantity between 11 and 50)::float8 as b_11_50,
      count(*) filter (where quantity between 51 and 100)::float8 as b_51_100,
      count(*) filter (where quantity > 100)::float8 as b_over_100,
      count(*) filter (where status = 'succeeded' and result->>'pattern' = 'A')::float8 as pattern_a,
      count(*) filter (where status = 'succeeded' and result->>'pattern' = 'B')::float8 as pattern_b,
      count(processing_ms)::float8 as processing_samples,
      percentile_cont(array[0.5, 0.95, 0.99]) within group (order by processing_ms) as processing,
      count(e2e_ms)::float8 as end_to_end_samples,
      percentile_cont(array[0.5, 0.95, 0.99]) within group (order by e2e_ms) as end_to_end,
      coalesce(sum(redelivery_count), 0)::float8 as redeliveries,
      coalesce(sum((result->>'total_points_deducted')::bigint) filter (where status = 'succeeded'), 0)::float8 as points_burned
    from w`.execute(trx));
  return rows[0]!;
}
