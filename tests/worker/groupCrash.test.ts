// A `redeemctl worker` process killed with SIGKILL in the middle of a group (many events in one
// open transaction, docs/worker.md, "Groups"), twice, then restarted: every event has exactly one
// effect. A trigger slows each request record down so that a group of 40 stays open for a while,
// and each kill waits until the worker's connection holds a transaction that has written.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDist, REPO_ROOT, runBinary } from '../support/cliHarness.js';
import { Scenario, useTestDatabase } from '../support/scenario.js';
import { WorkerProcess } from '../support/workerProcess.js';
import { brokers, eventFor, KafkaKit, names, pollUntil, recorded, wrongEffects } from '../support/workerHarness.js';

const test = useTestDatabase('postgres');
const kit = new KafkaKit();
const spawned: WorkerProcess[] = [];
const APP = 'redeemctl-group-crash';

beforeAll(async () => {
  const build = await ensureDist();
  if (build.built) console.log(`npm run build: ${build.ms} ms`);
});

afterAll(async () => {
  for (const w of spawned) await w.dispose();
  await sql`drop trigger if exists test_slow_request on redemption_requests`.execute(test().database.db);
  await kit.close();
});

/** Open transactions of a worker started at `since` that have written something (they hold an xid). */
async function writingTransactions(since: Date): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from pg_stat_activity
    where application_name = ${APP} and backend_start >= ${since} and backend_xid is not null and xact_start is not null`.execute(test().database.db);
  return rows[0]!.n;
}

describe('worker groups and SIGKILL', () => {
  it('loses nothing and applies nothing twice when killed mid-group, twice', async () => {
    const db = test().database.db;
    await sql`create or replace function test_slow_request() returns trigger language plpgsql as $$
      begin perform pg_sleep(0.005); return new; end $$`.execute(db);
    await sql`create trigger test_slow_request before insert on redemption_requests for each row execute function test_slow_request()`.execute(db);
    const s = await Scenario.create(db, {
      merchant: { name: `Group crash ${Date.now()}` },
      users: Array.from({ length: 20 }, (_, i) => ({ email: `m${i + 1}@w.test`, points: 1_000_000 })),
      rewards: [
        { reward_code: 'MUG', name: 'Mug', fallback_points: 10 },
        { reward_code: 'VOUCHER', name: 'Voucher', assign_promocode: true, fallback_points: 20, codes: { generate: 600, prefix: 'V-' } },
      ],
    });
    const events = Array.from({ length: 240 }, (_, i) => eventFor(s, `m${(i % 20) + 1}@w.test`, i % 2 ? 'VOUCHER' : 'MUG', 1 + (i % 3)));
    const expected = new Map(events.map((e) => [e.event_id, e.reward_id === s.reward('VOUCHER') ? e.quantity : 1]));
    const ids = events.map((e) => e.event_id);
    const { topic, group } = names('group-crash');
    await kit.createTopic(topic, 2);
    kit.useGroup(group);
    const producer = await kit.producer();
    await producer.send({ topic, messages: events.map((e) => ({ key: e.user_id, value: JSON.stringify(e) })) });

    const url = new URL(test().url!);
    url.searchParams.set('application_name', APP);
    const spawn = () => {
      const worker = WorkerProcess.spawn(
        ['--brokers', brokers(), '--topic', topic, '--group', group, '--session-timeout', '3000', '--batch-size', '40', '--batch-max-ms', '5000'],
        { DATABASE_URL: url.toString() },
      );
      spawned.push(worker);
      return worker;
    };
    const count = async () => (await recorded(db, ids)).requests;
    const killedAt: number[] = [];
    for (let kill = 1; kill <= 2; kill++) {
      const worker = spawn();
      await worker.waitForLine(/Worker started: .*batch=40 events\/5000ms/);
      // some groups of this worker committed, and one is open with writes in it
      const before = killedAt.at(-1) ?? 0;
      await pollUntil(async () => (await count()) > before && (await writingTransactions(new Date(worker.startedAt))) > 0, {
        timeoutMs: 30_000,
        intervalMs: 10,
        what: `worker ${kill} inside a group after a commit`,
      });
      worker.kill('SIGKILL');
      expect((await worker.exited).signal).toBe('SIGKILL');
      killedAt.push(await count());
    }
    const last = spawn();
    await pollUntil(async () => (await count()) >= ids.length, { timeoutMs: 60_000, what: 'every event after the restarts' });
    last.kill('SIGTERM');
    expect((await last.exited).code).toBe(0);
    const redelivered = spawned.map((w) => w.lines().filter((l) => l.includes('was already processed (duplicate delivery')).length);
    console.log(`group crash: request records after each kill ${killedAt.join(', ')}; duplicate deliveries per worker ${redelivered.join(', ')}`);

    expect(killedAt[0]!).toBeGreaterThan(0);
    expect(killedAt[1]!).toBeGreaterThan(killedAt[0]!);
    expect(killedAt[1]!).toBeLessThan(ids.length);
    expect(await wrongEffects(db, expected)).toEqual([]);
    const { rows } = await sql<{ status: string; n: number }>`
      select status, count(*)::int as n from redemption_requests where event_id = any (${ids}::text[]) group by status`.execute(db);
    expect(rows).toEqual([{ status: 'succeeded', n: ids.length }]);
    const poolUnits = events.filter((e) => e.reward_id === s.reward('VOUCHER')).reduce((n, e) => n + e.quantity, 0);
    expect((await s.codeStatuses('VOUCHER')).redeemed).toBe(poolUnits);
    const burnt = events.reduce((n, e) => n + (e.reward_id === s.reward('VOUCHER') ? 20 * e.quantity : 10 * e.quantity), 0);
    const balances = await Promise.all(Array.from({ length: 20 }, (_, i) => s.balance(`m${i + 1}@w.test`)));
    expect(20 * 1_000_000 - balances.reduce((a, b) => a + b, 0)).toBe(burnt);
  }, 90_000);

  it('refuses a --batch-size or --batch-max-ms out of range with exit 2, naming the flag', async () => {
    const env = { DATABASE_URL: test().url!, KAFKA_BROKERS: brokers() };
    const size = await runBinary(['worker', '--batch-size', '0'], env, REPO_ROOT);
    expect(size.code).toBe(2);
    expect(size.stderr).toMatch(/--batch-size/);
    const wait = await runBinary(['worker', '--batch-max-ms', '10001'], env, REPO_ROOT);
    expect(wait.code).toBe(2);
    expect(wait.stderr).toMatch(/--batch-max-ms/);
  });
});
