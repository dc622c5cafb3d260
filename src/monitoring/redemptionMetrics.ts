import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { readMetricsRow, type MetricsRow } from './metricsQuery.js';

// `metrics` and the console's figures read through here: one implementation, two presentations.

/** docs/domain.md: event processing under 500 ms; replays alert above 5%. */
export const PROCESSING_TARGET_MS = 500;
export const REDELIVERY_ALERT_SHARE = 0.05;
/** Histogram bounds: metricsQuery.ts counts the same ranges (change together). */
export const QUANTITY_BUCKETS = ['1', '2-5', '6-10', '11-50', '51-100', '>100'] as const;

export interface Percentiles {
  samples: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  /** null where docs/domain.md sets no target */
  target_ms: number | null;
  /** p99 above the target; null without a target or without samples */
  over_target: boolean | null;
}

export interface MetricsReport {
  window: { since: string; until: string };
  requests: number;
  successes: number;
  failures: number;
  failures_by_code: Array<{ error_code: string; count: number }>;
  quantity: {
    /** requests with a quantity of at least 1 (INVALID_QUANTITY requests with none are left out) */
    counted: number;
    qty_one: number;
    qty_one_share: number;
    qty_many: number;
    qty_many_share: number;
    average: number | null;
    histogram: Array<{ bucket: (typeof QUANTITY_BUCKETS)[number]; count: number; share: number }>;
  };
  patterns: { A: number; B: number; a_share: number; b_share: number };
  latency_ms: { processing: Percentiles; end_to_end: Percentiles };
  redelivery: { redeliveries: number; share: number; alert_above: number; flagged: boolean };
  points_burned: number;
}

export interface MetricsQuery {
  merchantId: string;
  since: Date;
  /** The end of the window; default the database's now(). Tests pin it. */
  now?: Date;
}

export async function redemptionMetrics(db: Kysely<Schema>, query: MetricsQuery): Promise<MetricsReport> {
  return toReport(await readMetricsRow(db, query.merchantId, query.since, query.now), query.since);
}

const share = (part: number, whole: number): number => (whole > 0 ? part / whole : 0);

function percentiles(values: number[] | null, samples: number, target: number | null): Percentiles {
  const [p50 = null, p95 = null, p99 = null] = values ?? [];
  return {
    samples,
    p50,
    p95,
    p99,
    target_ms: target,
    over_target: target === null || p99 === null ? null : p99 > target,
  };
}

export function toReport(row: MetricsRow, since: Date): MetricsReport {
  const n = (value: unknown): number => Number(value ?? 0);
  const counted = n(row.with_quantity);
  const bucketCounts = [row.b_1, row.b_2_5, row.b_6_10, row.b_11_50, row.b_51_100, row.b_over_100].map(n);
  const successes = n(row.successes);
  const requests = n(row.requests);
  const redeliveries = n(row.redeliveries);
  const redeliveryShare = share(redeliveries, requests + redeliveries);
  return {
    window: { since: since.toISOString(), until: new Date(row.now).toISOString() },
    requests,
    successes,
    failures: n(row.failures),
    failures_by_code: Object.entries(row.failures_by_code ?? {})
      .map(([error_code, count]) => ({ error_code, count: n(count) }))
      .sort((a, b) => b.count - a.count || (a.error_code < b.error_code ? -1 : 1)),
    quantity: {
      counted,
      qty_one: n(row.qty_one),
      qty_one_share: share(n(row.qty_one), counted),
      qty_many: n(row.qty_many),
      qty_many_share: share(n(row.qty_many), counted),
      average: row.qty_average === null ? null : n(row.qty_average),
      histogram: QUANTITY_BUCKETS.map((bucket, i) => ({ bucket, count: bucketCounts[i]!, share: share(bucketCounts[i]!, counted) })),
    },
    patterns: {
      A: n(row.pattern_a),
      B: n(row.pattern_b),
      a_share: share(n(row.pattern_a), successes),
      b_share: share(n(row.pattern_b), successes),
    },
    latency_ms: {
      processing: percentiles(row.processing, n(row.processing_samples), PROCESSING_TARGET_MS),
      end_to_end: percentiles(row.end_to_end, n(row.end_to_end_samples), null),
    },
    redelivery: {
      redeliveries,
      share: redeliveryShare,
      alert_above: REDELIVERY_ALERT_SHARE,
      flagged: redeliveryShare > REDELIVERY_ALERT_SHARE,
    },
    points_burned: n(row.points_burned),
  };
}
