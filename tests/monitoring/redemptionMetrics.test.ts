import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { redemptionMetrics } from '../../src/monitoring/redemptionMetrics.js';
import { BACKENDS } from '../support/databases.js';
import { useTestDatabase } from '../support/scenario.js';
import { buildMetricsDataset, NOW, PLAN, SINCE_24H, type MetricsDataset } from './metricsDataset.js';

// Metrics against a dataset with known numbers (metricsDataset.ts), on both backends.

describe.each(BACKENDS)('metrics on %s', (backend) => {
  const handle = useTestDatabase(backend);
  let data: MetricsDataset;
  const metrics = (since = SINCE_24H, merchantId = data.scenario.merchantId) =>
    redemptionMetrics(handle().database.db, { merchantId, since, now: NOW });
  const minutesBefore = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000);

  it('builds the dataset (and a second merchant whose requests must not count)', async () => {
    data = await buildMetricsDataset(handle().database.db);
    await buildMetricsDataset(handle().database.db);
  });

  it('counts requests, successes and failures by error code over the window', async () => {
    const m = await metrics();
    expect(m.window).toEqual({ since: SINCE_24H.toISOString(), until: NOW.toISOString() });
    expect(m).toMatchObject({ requests: 21, successes: 16, failures: 5 });
    expect(m.failures_by_code).toEqual([
      { error_code: 'INSUFFICIENT_POINTS', count: 2 },
      { error_code: 'INSUFFICIENT_CODES', count: 1 },
      { error_code: 'INVALID_QUANTITY', count: 1 },
      { error_code: 'REWARD_NOT_FOUND', count: 1 },
    ]);
  });

  it('gives the quantity distribution: shares, average and the histogram', async () => {
    expect((await metrics()).quantity).toEqual({
      counted: 20, // the INVALID_QUANTITY request asked for 0: no quantity to count
      qty_one: 11,
      qty_one_share: 0.55,
      qty_many: 9,
      qty_many_share: 0.45,
      average: 13.15, // 263 units / 20
      histogram: [
        { bucket: '1', count: 11, share: 0.55 },
        { bucket: '2-5', count: 5, share: 0.25 },
        { bucket: '6-10', count: 1, share: 0.05 },
        { bucket: '11-50', count: 1, share: 0.05 },
        { bucket: '51-100', count: 1, share: 0.05 },
        { bucket: '>100', count: 1, share: 0.05 },
      ],
    });
  });

  it('splits successes into pattern A and B and sums the points burned', async () => {
    const m = await metrics();
    expect(m.patterns).toEqual({ A: 11, B: 5, a_share: 0.6875, b_share: 0.3125 });
    expect(m.points_burned).toBe(246 * 10 + 10 * 5);
  });

  it('computes processing and end-to-end percentiles against the targets', async () => {
    const { processing, end_to_end } = (await metrics()).latency_ms;
    // processing_ms = 0, 30, …, 600: p50 300, p95 at 19 of 20 → 570, p99 at 19.8 → 594.
    expect(processing).toMatchObject({ samples: 21, target_ms: 500, over_target: true });
    expect(processing.p50).toBeCloseTo(300, 9);
    expect(processing.p95).toBeCloseTo(570, 9);
    expect(processing.p99).toBeCloseTo(594, 9);
    // end to end = 130, 260, 390, 520, 650: p50 390, p95 at 3.8 of 4 → 624, p99 at 3.96 → 644.8.
    expect(end_to_end).toMatchObject({ samples: 5, target_ms: null, over_target: null });
    expect(end_to_end.p50).toBeCloseTo(390, 9);
    expect(end_to_end.p95).toBeCloseTo(624, 9);
    expect(end_to_end.p99).toBeCloseTo(644.8, 9);
  });

  it('the window decides what counts: its start is included', async () => {
    // 10 minutes: requests 0..9, all pattern A, 96 units.
    const recent = await metrics(minutesBefore(10));
    expect(recent).toMatchObject({ requests: 10, successes: 10, failures: 0, points_burned: 960, patterns: { A: 10, B: 0, a_share: 1, b_share: 0 } });
    expect(recent.latency_ms.processing.p50).toBeCloseTo(135, 9);
    // Two days back: the request a day and a minute ago and the one exactly two days ago join.
    expect(await metrics(minutesBefore(2 * 24 * 60))).toMatchObject({ requests: 23, successes: 18, points_burned: 2510 + 2 * 40 });
  });

  it('flags idempotent redeliveries above 5% of deliveries', async () => {
    const redeliver = async () => {
      const r = await data.scenario.redeem('rich@t.test', 'PLAIN', PLAN[0]!.quantity, { eventId: data.eventIds[0]! });
      expect(r.idempotent).toBe(true);
    };
    expect((await metrics()).redelivery).toEqual({ redeliveries: 0, share: 0, alert_above: 0.05, flagged: false });
    await redeliver();
    expect((await metrics()).redelivery).toEqual({ redeliveries: 1, share: 1 / 22, alert_above: 0.05, flagged: false });
    await redeliver();
    expect((await metrics()).redelivery).toEqual({ redeliveries: 2, share: 2 / 23, alert_above: 0.05, flagged: true });
    // A redelivery changes nothing else.
    expect(await metrics()).toMatchObject({ requests: 21, successes: 16, points_burned: 2510 });
  });

  it('an empty window reports zeros and no percentiles', async () => {
    const m = await metrics(SINCE_24H, randomUUID());
    expect(m).toMatchObject({ requests: 0, successes: 0, failures: 0, failures_by_code: [], points_burned: 0 });
    expect(m.quantity).toMatchObject({ counted: 0, qty_one_share: 0, average: null });
    expect(m.latency_ms.processing).toEqual({ samples: 0, p50: null, p95: null, p99: null, target_ms: 500, over_target: null });
    expect(m.redelivery).toMatchObject({ share: 0, flagged: false });
  });
});
