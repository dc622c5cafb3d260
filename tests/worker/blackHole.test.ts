// The database host becomes unreachable without a word (issue 10, point 6): a proxy between the
// worker and PostgreSQL stops forwarding bytes but closes nothing. With the pool's query and
// connect timeouts the worker sees an error within seconds, logs it, retries with back-off, and
// once the hole ends it resumes: every event has exactly one effect, nothing is dead-lettered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/database.js';
import { PgProxy } from '../support/pgProxy.js';
import { Scenario, useTestDatabase } from '../support/scenario.js';
import { eventFor, pollUntil, recorded, useWorkerTopic, workerFixture, wrongEffects, type TestWorker } from '../support/workerHarness.js';

const test = useTestDatabase('postgres');
const kafka = useWorkerTopic('blackhole');
let proxy: PgProxy | undefined;
let throughProxy: Database | undefined;
let worker: TestWorker;

beforeAll(async () => {
  proxy = await PgProxy.start();
  throughProxy = await openDatabase({
    url: proxy.url(test().url!),
    poolSize: 4,
    timeouts: { queryTimeoutMs: 2_000, statementTimeoutMs: 1_500, connectTimeoutMs: 2_000 },
  });
  worker = await kafka.startWorker({ database: throughProxy });
});

// Registered after useWorkerTopic's, so it runs first: the worker stops before its database closes.
afterAll(async () => {
  proxy?.heal();
  await worker?.handle.stop();
  await throughProxy?.close();
  await proxy?.close();
});

describe('worker: the database host black-holed', () => {
  it('times out, retries, and resumes after the hole ends, every event exactly once', async () => {
    const db = test().database.db;
    const s = await Scenario.create(db, workerFixture(6, 200));
    const events = Array.from({ length: 60 }, (_, i) => eventFor(s, `m${(i % 6) + 1}@w.test`, i % 2 ? 'VOUCHER' : 'MUG'));
    const ids = events.map((e) => e.event_id);
    const [before, during] = [events.slice(0, 20), events.slice(20)];

    await kafka.publisher.publish(before);
    await pollUntil(async () => (await recorded(db, ids)).requests >= 20, { what: 'the first 20 events' });

    proxy!.blackHole();
    await kafka.publisher.publish(during);
    const timeoutLine = /\[RewardConsumer\] Retrying event \S+ in \d+ms after transient error \(attempt \d+\): .*(timeout|timed out)/i;
    await pollUntil(() => worker.lines().filter((l) => timeoutLine.test(l)).length >= 3, { timeoutMs: 40_000, what: 'timeouts logged while the host is black-holed' });
    expect((await recorded(db, ids)).requests).toBeLessThan(60);

    proxy!.heal();
    await pollUntil(async () => (await recorded(db, ids)).requests >= 60, { timeoutMs: 45_000, what: 'every event after the hole ended' });
    const expected = new Map(events.map((e) => [e.event_id, 1]));
    expect(await wrongEffects(db, expected)).toEqual([]);
    expect(worker.processed.filter((p) => p.outcome === 'dead_lettered')).toEqual([]);
  });
});
