import { bySoonestEmpty, poolStatus } from '../../src/monitoring/forecast.js';
import type { PoolHealth } from '../../src/monitoring/poolHealth.js';
import type { MetricsReport } from '../../src/monitoring/redemptionMetrics.js';
import type { Snapshot } from '../../src/tui/data/snapshot.js';

// A console snapshot with known numbers, for the component tests (tests/tui/components.test.tsx).
// The pools are listed here out of order and sorted with bySoonestEmpty, as poolHealth sorts them:
// the expected order is DRY, NOCODES (both empty; fewer available, then by code), LOWPOOL (1 h),
// HOT (5 h), STEADY (75.5 h), IDLE (never).

export const AT = '2025-06-01T12:00:00.000Z';
const HOUR = 3_600_000;

function pool(reward_code: string, id: number, f: { total: number; available: number; redeemed: number; voided?: number; expired?: number; lastHour: number; lastDay: number; short?: number }): PoolHealth {
  const rate = Math.max(f.lastHour, f.lastDay / 24);
  const hours = f.available <= 0 ? 0 : rate <= 0 ? null : f.available / rate;
  return {
    reward_id: `00000000-0000-4000-8000-00000000000${id}`,
    reward_code,
    name: `Pool ${reward_code}`,
    total: f.total,
    available: f.available,
    redeemed: f.redeemed,
    voided: f.voided ?? 0,
    expired: f.expired ?? 0,
    redeemed_last_hour: f.lastHour,
    redeemed_last_day: f.lastDay,
    depletion_per_hour: rate,
    hours_to_empty: hours,
    empty_at: hours === null ? null : new Date(Date.parse(AT) + hours * HOUR).toISOString(),
    status: poolStatus(f.available, 50),
    insufficient_codes_last_day: f.short ?? 0,
  };
}

export const POOLS: PoolHealth[] = [
  pool('HOT', 1, { total: 100, available: 60, redeemed: 30, voided: 1, expired: 9, lastHour: 12, lastDay: 24 }),
  pool('IDLE', 2, { total: 80, available: 80, redeemed: 0, lastHour: 0, lastDay: 0 }),
  pool('STEADY', 3, { total: 200, available: 151, redeemed: 49, lastHour: 0, lastDay: 48 }),
  pool('NOCODES', 4, { total: 0, available: 0, redeemed: 0, lastHour: 0, lastDay: 0 }),
  pool('LOWPOOL', 5, { total: 20, available: 10, redeemed: 10, lastHour: 10, lastDay: 10, short: 2 }),
  pool('DRY', 6, { total: 5, available: 0, redeemed: 5, lastHour: 0, lastDay: 0, short: 1 }),
].sort(bySoonestEmpty);

export const EXPECTED_ORDER = ['DRY', 'NOCODES', 'LOWPOOL', 'HOT', 'STEADY', 'IDLE'];

const histogram = ([['1', 11], ['2-5', 5], ['6-10', 1], ['11-50', 1], ['51-100', 1], ['>100', 1]] as const).map(([bucket, count]) => ({
  bucket,
  count,
  share: count / 20,
}));

export const METRICS: MetricsReport = {
  window: { since: '2025-06-01T11:00:00.000Z', until: AT },
  requests: 21,
  successes: 16,
  failures: 5,
  failures_by_code: [
    { error_code: 'INSUFFICIENT_POINTS', count: 2 },
    { error_code: 'INSUFFICIENT_CODES', count: 1 },
    { error_code: 'INVALID_QUANTITY', count: 1 },
    { error_code: 'REWARD_NOT_FOUND', count: 1 },
  ],
  quantity: { counted: 20, qty_one: 11, qty_one_share: 0.55, qty_many: 9, qty_many_share: 0.45, average: 12.6, histogram },
  patterns: { A: 11, B: 5, a_share: 11 / 16, b_share: 5 / 16 },
  latency_ms: {
    processing: { samples: 21, p50: 300, p95: 570, p99: 594, target_ms: 500, over_target: true },
    end_to_end: { samples: 5, p50: 390, p95: 624.4, p99: 645.2, target_ms: null, over_target: null },
  },
  redelivery: { redeliveries: 0, share: 0, alert_above: 0.05, flagged: false },
  points_burned: 2510,
};

/** 40 minutes at 5, 19 at 11, the last (current) minute 2: 411 in the hour, peak 11. */
export const PER_MINUTE = [...new Array<number>(40).fill(5), ...new Array<number>(19).fill(11), 2];

export function snapshot(extra: Partial<Snapshot> = {}): Snapshot {
  const at = (minutesAgo: number) => new Date(Date.parse(AT) - minutesAgo * 60_000).toISOString();
  return {
    at: AT,
    threshold: 50,
    pools: POOLS,
    metrics: METRICS,
    throughputPerMinute: PER_MINUTE,
    latestFailures: [
      { at: at(1), event_id: 'evt-0005', error_code: 'REWARD_NOT_FOUND', reward_code: null, quantity: 1 },
      { at: at(2), event_id: 'evt-0004', error_code: 'INVALID_QUANTITY', reward_code: 'PLAIN', quantity: 0 },
      { at: at(3), event_id: 'evt-0003', error_code: 'INSUFFICIENT_CODES', reward_code: 'LOWPOOL', quantity: 15 },
      { at: at(4), event_id: 'evt-0002', error_code: 'INSUFFICIENT_POINTS', reward_code: 'HOT', quantity: 2 },
      { at: at(5), event_id: 'evt-0001', error_code: 'INSUFFICIENT_POINTS', reward_code: 'HOT', quantity: 1 },
    ],
    poolDetail: {
      reward_id: POOLS[0]!.reward_id,
      hourly: [0, 0, 1, 2, 0, 0, 0, 0, 2, 0, 0, 0],
      lots: [{ lot: 'seed', available: 0, total: 5 }],
      expiring_24h: 0,
      expiring_7d: 0,
      next_expiry: null,
    },
    lag: {
      ok: true,
      value: {
        group: 'crm-reward-consumer',
        topic: 'reward_redemptions',
        state: 'Stable',
        members: 1,
        partitions: [
          { partition: 0, committed: 120, high: 130, lag: 10 },
          { partition: 1, committed: 50, high: 50, lag: 0 },
          { partition: 2, committed: null, high: 7, lag: 7 },
        ],
        total: 17,
      },
    },
    worker: {
      ok: true,
      value: {
        url: 'http://127.0.0.1:9464/metrics',
        up: true,
        processed: { succeeded: 120, refused: 5, idempotent: 2, dead_lettered: 1 },
        failures: 6,
        retries: 3,
        lag: [
          { partition: 0, lag: 10 },
          { partition: 1, lag: 0 },
          { partition: 2, lag: 7 },
        ],
      },
    },
    ...extra,
  };
}

/** The detail of another pool, as the source returns it once that pool is selected. */
export function detailFor(code: string): Snapshot['poolDetail'] {
  const p = POOLS.find((x) => x.reward_code === code)!;
  return { reward_id: p.reward_id, hourly: new Array<number>(12).fill(1), lots: [{ lot: 'A', available: p.available, total: p.total }], expiring_24h: 3, expiring_7d: 10, next_expiry: '2025-06-02T10:00:00.000Z' };
}
