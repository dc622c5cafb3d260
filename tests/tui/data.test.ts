import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { startMetricsServer } from '../../src/shared/metricsServer.js';
import { poolHealth } from '../../src/monitoring/poolHealth.js';
import { redemptionMetrics } from '../../src/monitoring/redemptionMetrics.js';
import { DEFAULT_TOPIC } from '../../src/kafka/settings.js';
import { createDatabaseSource } from '../../src/tui/data/databaseSource.js';
import { kafkaLagPoller } from '../../src/tui/data/kafkaSide.js';
import { RefreshError } from '../../src/tui/data/refreshError.js';
import { SidePoller } from '../../src/tui/data/sidePoller.js';
import { fetchWorkerState } from '../../src/tui/data/workerState.js';
import { createWorkerMetrics } from '../../src/worker/workerMetrics.js';
import { createServerDatabase, type TestDatabase } from '../support/databases.js';
import { admin, brokers, closeAll, createTopic, producer, randomName } from '../support/eventsKafka.js';
import { PgProxy } from '../support/pgProxy.js';
import type { Scenario } from '../support/scenario.js';
import { buildTuiDataset, EXPECTED_POOLS, expectedPerMinute } from '../support/tuiDataset.js';

// The console's data layer against a real PostgreSQL, a real broker and a real metrics endpoint:
// the same figures as `pool health` and `metrics`, plus its own reads, with known numbers.

let handle: TestDatabase;
let s: Scenario;
const NOW = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 30_000);
const source = (db = handle.database.db) => createDatabaseSource({ db, merchantId: s.merchantId, threshold: 50, clock: () => NOW });

beforeAll(async () => {
  handle = await createServerDatabase({ poolSize: 6 });
  s = await buildTuiDataset(handle.database.db, NOW);
});
afterAll(async () => {
  await handle?.drop();
  await closeAll();
});

describe('the database source', () => {
  it('reads pools and metrics through the functions of `pool health` and `metrics`', async () => {
    const snap = await source().snapshot(null);
    const db = handle.database.db;
    expect(snap.at).toBe(NOW.toISOString());
    expect(snap.pools).toEqual((await poolHealth(db, { merchantId: s.merchantId, threshold: 50, now: NOW })).pools);
    expect(snap.metrics).toEqual(await redemptionMetrics(db, { merchantId: s.merchantId, since: new Date(NOW.getTime() - 3_600_000), now: NOW }));
    expect(snap.pools.map(({ reward_code, status, available, hours_to_empty }) => ({ reward_code, status, available, hours_to_empty }))).toEqual(EXPECTED_POOLS);
    // 30 + 10 + 5 successes and 3 failures in the hour; FLASH's 5 were 90 minutes ago.
    expect(snap.metrics).toMatchObject({ requests: 48, successes: 45, failures: 3 });
    expect(snap.metrics.failures_by_code).toEqual([
      { error_code: 'INSUFFICIENT_POINTS', count: 2 },
      { error_code: 'INSUFFICIENT_CODES', count: 1 },
    ]);
    expect(snap.lag).toBeUndefined();
    expect(snap.worker).toBeUndefined();
  });

  it('counts successes per minute over the hour, oldest first', async () => {
    const { throughputPerMinute } = await source().snapshot(null);
    expect(throughputPerMinute).toHaveLength(60);
    expect(throughputPerMinute).toEqual(expectedPerMinute());
    expect(throughputPerMinute.reduce((a, b) => a + b, 0)).toBe(45);
    // 5 minutes ago: a VOUCHER and a COFFEE; the minute ending now: nothing.
    expect(throughputPerMinute[54]).toBe(2);
    expect(throughputPerMinute[59]).toBe(0);
  });

  it('lists the latest failures, newest first', async () => {
    const { latestFailures } = await source().snapshot(null);
    expect(latestFailures.map((f) => [f.error_code, f.reward_code, f.quantity])).toEqual([
      ['INSUFFICIENT_POINTS', 'PLAIN', 1],
      ['INSUFFICIENT_POINTS', 'PLAIN', 2],
      ['INSUFFICIENT_CODES', 'FLASH', 1],
    ]);
    expect(latestFailures[0]!.at).toBe(new Date(NOW.getTime() - 2 * 60_000).toISOString());
  });

  it('reads the detail of the selected pool, and of the top one without a selection', async () => {
    expect((await source().snapshot(null)).poolDetail).toMatchObject({ reward_id: s.reward('FLASH'), lots: [{ lot: 'seed', available: 0, total: 5 }] });
    const voucher = (await source().snapshot(s.reward('VOUCHER'))).poolDetail!;
    expect(voucher.reward_id).toBe(s.reward('VOUCHER'));
    expect(voucher.hourly).toEqual([...new Array<number>(11).fill(0), 30]);
    // Codes are claimed in id order: VOUCHER-000001..30 went, so lot A (1..20) has none left.
    expect(voucher.lots).toEqual([
      { lot: 'B', available: 10, total: 20 },
      { lot: 'A', available: 0, total: 20 },
    ]);
    expect(voucher).toMatchObject({ expiring_24h: 3, expiring_7d: 5, next_expiry: new Date(NOW.getTime() + 6 * 3_600_000).toISOString() });
    const coffee = (await source().snapshot(s.reward('COFFEE'))).poolDetail!;
    expect(coffee.hourly[11]).toBe(20);
    // A selection that is no longer listed falls back to the top pool.
    expect((await source().snapshot('00000000-0000-4000-8000-000000000000')).poolDetail!.reward_id).toBe(s.reward('FLASH'));
  });

  it('rejects with "database unreachable" while the server is away, and reads again when it is back', async () => {
    const proxy = await PgProxy.start({ host: new URL(handle.url!).hostname, port: Number(new URL(handle.url!).port || 5432) });
    const away = await openDatabase({ url: proxy.url(handle.url!), poolSize: 2 });
    try {
      const through = source(away.db);
      expect((await through.snapshot(null)).pools).toHaveLength(4);
      await proxy.cut();
      const error = await through.snapshot(null).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(RefreshError);
      expect((error as RefreshError).unreachable).toBe(true);
      expect((error as RefreshError).message).toMatch(/^database unreachable: /);
      await proxy.restore();
      expect((await through.snapshot(null)).pools).toHaveLength(4);
    } finally {
      await away.close();
      await proxy.close();
    }
  });
});

describe('consumer lag from the broker', () => {
  it('reports committed, high watermark and lag per partition', async () => {
    const topic = await createTopic('tui-lag', 3);
    const group = randomName('tui-lag-group');
    const p = await producer();
    await p.send({ topic, messages: [...Array.from({ length: 5 }, () => ({ partition: 0, value: 'x' })), ...Array.from({ length: 3 }, () => ({ partition: 1, value: 'y' }))] });
    await (await admin()).setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: '2' }] });

    const lag = kafkaLagPoller({ brokers: [brokers], topic, dlqTopic: `${topic}.dlq` }, group, 15_000);
    try {
      const side = await lag.poller.poll();
      expect(side.ok, JSON.stringify(side)).toBe(true);
      if (!side.ok) return;
      expect(side.value).toMatchObject({ group, topic, state: 'Empty', members: 0, total: 6 });
      expect(side.value.partitions).toEqual([
        { partition: 0, committed: 2, high: 5, lag: 3 },
        { partition: 1, committed: null, high: 3, lag: 3 },
        { partition: 2, committed: null, high: 0, lag: 0 },
      ]);
    } finally {
      await lag.close();
    }
  });

  it('a broker that does not answer is an error in the lag panel, within the timeout', async () => {
    const lag = kafkaLagPoller({ brokers: ['127.0.0.1:1'], topic: DEFAULT_TOPIC, dlqTopic: `${DEFAULT_TOPIC}.dlq` }, 'g', 500);
    try {
      const started = Date.now();
      const side = await lag.poller.poll();
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(side.ok).toBe(false);
      if (!side.ok) expect(side.error).toMatch(/no answer within 0\.5 s|Kafka at 127\.0\.0\.1:1/);
    } finally {
      await lag.close();
    }
  });
});

describe("the worker's metrics endpoint", () => {
  it('reads up, outcomes, failures, retries and lag from the Prometheus text', async () => {
    const registry = new Registry();
    const m = createWorkerMetrics(registry);
    m.up.set(1);
    m.processed.inc({ outcome: 'succeeded' }, 120);
    m.processed.inc({ outcome: 'refused' }, 5);
    m.failures.inc({ error_code: 'INSUFFICIENT_POINTS' }, 4);
    m.failures.inc({ error_code: 'INVALID_EVENT' }, 1);
    m.retries.inc({ reason: 'transient_error' }, 3);
    m.lag.set({ topic: 't', partition: '1' }, 7);
    m.lag.set({ topic: 't', partition: '0' }, 2);
    const server = await startMetricsServer(registry, 0);
    try {
      const url = `http://127.0.0.1:${server.port}/metrics`;
      expect(await fetchWorkerState(url, 2_000)).toEqual({
        url,
        up: true,
        processed: { succeeded: 120, refused: 5 },
        failures: 5,
        retries: 3,
        lag: [
          { partition: 0, lag: 2 },
          { partition: 1, lag: 7 },
        ],
      });
    } finally {
      await server.close();
    }
  });

  it('an endpoint that is down is an error, and the last good state is kept', async () => {
    // A port nothing listens on (fetch refuses well-known ones such as 1 outright).
    const closed = await startMetricsServer(new Registry(), 0);
    await closed.close();
    const url = `http://127.0.0.1:${closed.port}/metrics`;
    let calls = 0;
    const poller = new SidePoller(async () => {
      calls++;
      if (calls > 1) return fetchWorkerState(url, 500);
      return { url: 'u', up: true, processed: {}, failures: 0, retries: 0, lag: [] };
    }, 2_000);
    expect(await poller.poll()).toMatchObject({ ok: true });
    const down = await poller.poll();
    expect(down).toMatchObject({ ok: false, error: `${url}: connect ECONNREFUSED 127.0.0.1:${closed.port}`, last: { url: 'u', up: true } });
  });
});

describe('SidePoller', () => {
  it('does not start a read while one runs: a slow one answers "no answer" and is reused', async () => {
    let calls = 0;
    let release: (value: number) => void = () => {};
    const poller = new SidePoller<number>(
      () => {
        calls++;
        return new Promise<number>((resolve) => (release = resolve));
      },
      100,
    );
    expect(await poller.poll()).toEqual({ ok: false, error: 'no answer within 0.1 s' });
    expect(await poller.poll()).toMatchObject({ ok: false });
    expect(calls).toBe(1);
    release(7);
    await new Promise((resolve) => setTimeout(resolve, 0));
    const next = poller.poll();
    release(8);
    expect(await next).toEqual({ ok: true, value: 8 });
    expect(calls).toBe(2);
  });
});
