// The database goes away while events flow (a TCP proxy between the worker and PostgreSQL refuses
// new connections and cuts the open ones): the worker retries with back-off, pauses rather than
// skips, never commits an offset past an unprocessed event, and catches up once it is back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/database.js';
import { PgProxy } from '../support/pgProxy.js';
import { Scenario, useTestDatabase } from '../support/scenario.js';
import {
  committedToEnd,
  eventFor,
  pollUntil,
  recorded,
  requestsByPartition,
  startTestWorker,
  useWorkerTopic,
  workerFixture,
  wrongEffects,
  type TestWorker,
} from '../support/workerHarness.js';

const test = useTestDatabase('postgres');
const kafka = useWorkerTopic('dbaway');
const { kit, topic, group } = kafka;
let proxy: PgProxy;
let throughProxy: Database;
let worker: TestWorker;

beforeAll(async () => {
  proxy = await PgProxy.start();
  throughProxy = await openDatabase({ url: proxy.url(test().url!), poolSize: 4 });
  worker = await startTestWorker({ database: throughProxy, topic, group });
});

// Registered after useWorkerTopic's, so it runs first: the worker stops before its database closes.
afterAll(async () => {
  await proxy?.restore();
  await worker?.handle.stop();
  await throughProxy?.close();
  await proxy?.close();
});

describe('worker: the database goes away', () => {
  it('retries, pauses instead of skipping, and processes every event exactly once', async () => {
    const db = test().database.db;
    const s = await Scenario.create(db, workerFixture(9, 300));
    const events = Array.from({ length: 150 }, (_, i) => eventFor(s, `m${(i % 9) + 1}@w.test`, i % 2 ? 'VOUCHER' : 'MUG', 1 + (i % 2)));
    const ids = events.map((e) => e.event_id);
    const [before, during, after] = [events.slice(0, 50), events.slice(50, 100), events.slice(100)];

    await kafka.publisher.publish(before);
    await pollUntil(async () => (await recorded(db, ids)).requests >= 50, { what: 'the first 50 events' });

    await proxy.cut();
    await kafka.publisher.publish(during);
    // stay away until the worker has visibly retried several times (a few seconds of back-off)
    // (redeem() retries 6 times in under a second; each line below is one round of the worker's own
    // back-off after that, so 6 of them across the partitions take a few seconds)
    const cutAt = Date.now();
    const retryLine = /\[RewardConsumer\] Retrying event \S+ in \d+ms after transient error \(attempt \d+\)/;
    await pollUntil(() => worker.lines().filter((l) => retryLine.test(l)).length >= 6, { timeoutMs: 30_000, what: 'retries while the database is away' });
    expect(Date.now() - cutAt).toBeGreaterThan(1_000);
    expect(await worker.metric('redeemctl_worker_retries_total', { reason: 'transient_error' })).toBeGreaterThan(6);
    const stuckAt = (await recorded(db, ids)).requests;
    expect(stuckAt).toBeLessThan(150);
    // no committed offset is past an event without its request record
    const committed = await kit.committed(group, topic);
    const done = await requestsByPartition(db, topic);
    for (const [partition, offset] of committed) {
      if (offset < 0) continue;
      expect(done.get(partition)?.count, `partition ${partition}`).toBe(offset);
      expect(done.get(partition)?.maxOffset, `partition ${partition}`).toBe(offset - 1);
    }

    await kafka.publisher.publish(after);
    await proxy.restore();
    await pollUntil(async () => (await recorded(db, ids)).requests >= 150, { timeoutMs: 30_000, what: 'all 150 events after the database came back' });

    const expected = new Map(events.map((e) => [e.event_id, e.reward_id === s.reward('VOUCHER') ? e.quantity : 1]));
    expect(await wrongEffects(db, expected)).toEqual([]);
    expect((await recorded(db, ids)).requests).toBe(150);
    expect(await worker.metric('redeemctl_worker_events_processed_total')).toBe(worker.processed.length);
    expect(worker.processed.filter((p) => p.outcome === 'dead_lettered')).toEqual([]);
    // the offsets reach the end: nothing skipped, nothing left behind
    const ends = await (await kit.admin()).fetchTopicOffsets(topic);
    await pollUntil(async () => committedToEnd(ends, await kit.committed(group, topic)), { timeoutMs: 30_000, what: 'offsets committed to the end' });
  });
});
