// A database failover, for real: the worker's database turns read-only (25006, what a demoted
// primary answers) and, later, a lock the redemption needs is held past the worker's lock_timeout
// (55P03). Both are transient: the partition pauses and retries (log line, metric), nothing goes
// to the DLQ, no failure row is written; once the cause ends, every event has exactly one effect.
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/database.js';
import { adminUrl } from '../support/pgUrls.js';
import { Scenario, useTestDatabase } from '../support/scenario.js';
import { eventFor, pollUntil, recorded, useWorkerTopic, workerFixture, wrongEffects, type TestWorker } from '../support/workerHarness.js';

const test = useTestDatabase('postgres');
const kafka = useWorkerTopic('failover');
const { kit, topic } = kafka;
const APP = 'redeemctl-failover-worker';
const opened: Database[] = [];
const clients: pg.Client[] = [];

async function sqlOn(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

function workerUrl(extra: Record<string, string> = {}): string {
  const url = new URL(test().url!);
  url.searchParams.set('application_name', APP);
  for (const [k, v] of Object.entries(extra)) url.searchParams.set(k, v);
  return url.toString();
}

async function openForWorker(url: string): Promise<Database> {
  const database = await openDatabase({ url, poolSize: 4 });
  opened.push(database);
  return database;
}

/** The highest attempt number among the worker's transient retry lines naming `state`. */
function highestAttempt(worker: TestWorker, state: string): number {
  const attempts = worker
    .lines()
    .filter((l) => l.includes('after transient error') && l.includes(`(${state})`))
    .map((l) => Number(/\(attempt (\d+)\)/.exec(l)?.[1] ?? 0));
  return Math.max(0, ...attempts);
}

async function dlqCount(): Promise<number> {
  const offsets = await (await kit.admin()).fetchTopicOffsets(`${topic}.dlq`);
  return offsets.reduce((sum, o) => sum + Number(o.high) - Number(o.low), 0);
}

afterAll(async () => {
  for (const c of clients) await c.end().catch(() => {});
  await sqlOn(adminUrl(), `alter database "${test().name}" reset default_transaction_read_only`).catch(() => {});
  for (const d of opened) await d.close().catch(() => {});
});

describe('worker: a database failover does not dead-letter good events', () => {
  it('pauses while the database is read-only (25006) and processes every event once it is writable', async () => {
    const db = test().database.db;
    const s = await Scenario.create(db, workerFixture(6, 100));
    const events = Array.from({ length: 12 }, (_, i) => eventFor(s, `m${(i % 6) + 1}@w.test`, i % 2 ? 'VOUCHER' : 'MUG'));
    const ids = events.map((e) => e.event_id);
    // reads while the database is read-only go through their own pool: a connection the test's
    // pool opened now would stay read-only for the rest of the file
    const reader = await openForWorker(test().url!);

    await sqlOn(adminUrl(), `alter database "${test().name}" set default_transaction_read_only = on`);
    let worker: TestWorker;
    try {
      worker = await kafka.startWorker({ database: await openForWorker(workerUrl()) });
      await kafka.publisher.publish(events);

      // well past the 5 tries after which a non-transient error is dead-lettered
      await pollUntil(() => highestAttempt(worker, '25006') >= 6, { timeoutMs: 45_000, what: 'retries on the read-only database' });
      expect(await worker.metric('redeemctl_worker_retries_total', { reason: 'transient_error' })).toBeGreaterThanOrEqual(6);
      expect(await dlqCount()).toBe(0);
      expect(await recorded(reader.db, ids)).toEqual({ requests: 0, rows: 0 });
      expect(worker.processed).toEqual([]);
    } finally {
      // the failover ends: writable again, and the old connections are gone
      await sqlOn(adminUrl(), `alter database "${test().name}" reset default_transaction_read_only`);
    }
    await sqlOn(adminUrl(), `select pg_terminate_backend(pid) from pg_stat_activity where application_name = '${APP}'`);
    await reader.close();
    await pollUntil(async () => (await recorded(db, ids)).requests >= ids.length, { timeoutMs: 45_000, what: 'every event after the failover' });

    const expected = new Map(events.map((e) => [e.event_id, 1]));
    expect(await wrongEffects(db, expected)).toEqual([]);
    expect(worker.processed.filter((p) => p.outcome !== 'succeeded')).toEqual([]);
    expect(await dlqCount()).toBe(0);
    await worker.handle.stop();
  });

  it('pauses while a lock it needs outlives lock_timeout (55P03) and goes on once it is released', async () => {
    const db = test().database.db;
    const s = await Scenario.create(db, workerFixture(4, 50));
    const events = Array.from({ length: 8 }, (_, i) => eventFor(s, `m${(i % 4) + 1}@w.test`, 'MUG'));
    const ids = events.map((e) => e.event_id);

    const holder = new pg.Client({ connectionString: test().url });
    clients.push(holder);
    await holder.connect();
    await holder.query('begin');
    await holder.query('lock table redemption_requests in exclusive mode');

    const worker = await kafka.startWorker({ database: await openForWorker(workerUrl({ options: '-c lock_timeout=200' })) });
    await kafka.publisher.publish(events);
    await pollUntil(() => highestAttempt(worker, '55P03') >= 6, { timeoutMs: 45_000, what: 'retries while the lock is held' });
    expect(await dlqCount()).toBe(0);
    expect(worker.processed).toEqual([]);

    await holder.query('commit');
    await pollUntil(async () => (await recorded(db, ids)).requests >= ids.length, { timeoutMs: 45_000, what: 'every event after the lock' });
    expect(await wrongEffects(db, new Map(ids.map((id) => [id, 1])))).toEqual([]);
    expect(worker.processed.filter((p) => p.outcome !== 'succeeded')).toEqual([]);
    expect(await dlqCount()).toBe(0);
    await worker.handle.stop();
  });
});
