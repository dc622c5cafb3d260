// The worker's groups (docs/worker.md, "Groups"): many events of a partition in one database
// transaction. (a) A random mix of events through the grouped worker leaves exactly what
// processing them one at a time leaves; (b) a lock held past lock_timeout inside a group rolls the
// group back and its events go on one by one, none dead-lettered. The SIGKILL test of a worker
// killed mid-group is tests/worker/groupCrash.test.ts.
import fc from 'fast-check';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/database.js';
import { redeem } from '../../src/engine/redeem.js';
import type { FixtureInput } from '../../src/demo/fixtureSchema.js';
import { parseRedemptionEvent, type RedemptionEvent } from '../../src/kafka/redemptionEvent.js';
import { redeemRequestFor } from '../../src/worker/eventRequest.js';
import { invalidEventArgs, recordInvalidEvent } from '../../src/worker/invalidEvent.js';
import { Scenario, uniqueName, useTestDatabase } from '../support/scenario.js';
import { eventFor, KafkaKit, names, pollUntil, startTestWorker, wrongEffects, type TestWorker } from '../support/workerHarness.js';

const test = useTestDatabase('postgres');
const kit = new KafkaKit();
const workers: TestWorker[] = [];
const opened: Database[] = [];
const clients: pg.Client[] = [];

afterAll(async () => {
  for (const w of workers) await w.handle.stop();
  for (const c of clients) await c.end().catch(() => {});
  for (const d of opened) await d.close().catch(() => {});
  await kit.close();
});

async function topicWithOnePartition(prefix: string): Promise<{ topic: string; group: string }> {
  const { topic, group } = names(prefix);
  await kit.createTopic(topic, 1);
  kit.useGroup(group);
  return { topic, group };
}

async function dlqCount(topic: string): Promise<number> {
  const offsets = await (await kit.admin()).fetchTopicOffsets(`${topic}.dlq`);
  return offsets.reduce((sum, o) => sum + Number(o.high) - Number(o.low), 0);
}

// --- (a) the model: grouped == one at a time ------------------------------------------------------

const MEMBERS = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6'];
const REWARDS = ['MUG', 'VOUCHER', 'SMALL', 'STOCKED', 'LIMITED'];
const UNKNOWN_USER = '0b8a3c1e-5f7d-4e2a-9c6b-1d2e3f4a5b6c';

function modelFixture(): FixtureInput {
  const points = [1_000, 1_000, 60, 25, 1_000, 1_000];
  return {
    merchant: { name: uniqueName('Groups') },
    users: MEMBERS.map((m, i) => ({ email: `${m}@g.test`, points: points[i]!, active: m !== 'm6' })),
    rewards: [
      { reward_code: 'MUG', name: 'Mug', fallback_points: 10 },
      { reward_code: 'VOUCHER', name: 'Voucher', assign_promocode: true, fallback_points: 20, codes: { generate: 25, prefix: 'V-' } },
      { reward_code: 'SMALL', name: 'Small', assign_promocode: true, fallback_points: 30, codes: { generate: 4, prefix: 'S-' } },
      { reward_code: 'STOCKED', name: 'Stocked', fallback_points: 5, stock_total: 6 },
      {
        reward_code: 'LIMITED',
        name: 'Limited',
        fallback_points: 5,
        limits: [
          { scope: 'total', max: 5, unit: 'all_time' },
          { scope: 'user', max: 2, unit: 'all_time' },
        ],
      },
    ],
  };
}

type Op =
  | { kind: 'redeem'; member: number; reward: number; quantity: number }
  | { kind: 'repeat'; of: number }
  | { kind: 'conflict'; of: number }
  | { kind: 'garbage' }
  | { kind: 'invalid' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ kind: fc.constant('redeem' as const), member: fc.nat({ max: MEMBERS.length }), reward: fc.nat({ max: REWARDS.length - 1 }), quantity: fc.constantFrom(1, 1, 1, 2, 3, 0, 1001) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('repeat' as const), of: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('conflict' as const), of: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'garbage' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'invalid' as const }) },
);

/** The messages of `ops` for one merchant's world, in order: event JSON, or unreadable bytes. */
function messagesFor(s: Scenario, ops: Op[], seed: number): Array<{ key: string; value: string }> {
  const events: RedemptionEvent[] = [];
  const out: Array<{ key: string; value: string }> = [];
  for (const [i, op] of ops.entries()) {
    const earlier = events.length > 0 && (op.kind === 'repeat' || op.kind === 'conflict') ? events[op.of % events.length]! : undefined;
    if (op.kind === 'garbage') out.push({ key: 'g', value: `not json ${i}` });
    else if (op.kind === 'invalid') out.push({ key: 'i', value: JSON.stringify({ event_id: `bad-${seed}-${i}`, merchant_id: s.merchantId, user_id: 'nope', reward_id: 'nope' }) });
    else if (earlier && op.kind === 'repeat') out.push({ key: earlier.user_id, value: JSON.stringify(earlier) });
    else if (earlier) out.push({ key: earlier.user_id, value: JSON.stringify({ ...earlier, quantity: earlier.quantity + 1 }) });
    else {
      const r = op.kind === 'redeem' ? op : { member: 0, reward: 0, quantity: 1 };
      const event = eventFor(s, `${MEMBERS[r.member % MEMBERS.length]}@g.test`, REWARDS[r.reward]!, r.quantity);
      const withUser = r.member === MEMBERS.length ? { ...event, user_id: UNKNOWN_USER } : event;
      const fixed = { ...withUser, event_id: `ev-${seed}-${i}` };
      events.push(fixed);
      out.push({ key: fixed.user_id, value: JSON.stringify(fixed) });
    }
  }
  return out;
}

/** One at a time, as the worker with groups of one does: the engine per event, INVALID_EVENT for the unreadable. */
async function oneAtATime(s: Scenario, messages: Array<{ value: string }>): Promise<void> {
  for (const [i, m] of messages.entries()) {
    const value = Buffer.from(m.value);
    const parsed = parseRedemptionEvent(value);
    if (parsed.ok) await redeem(s.db, redeemRequestFor(parsed.event, { topic: 'reference', partition: 0, offset: String(i) }, undefined));
    else {
      const args = invalidEventArgs(value);
      if (args) await recordInvalidEvent(s.db, args, parsed.reason);
    }
  }
}

/** What a world's merchant holds after the run, without ids that differ between worlds. */
async function outcome(s: Scenario): Promise<unknown> {
  const m = s.merchantId;
  const db = s.db;
  const requests = await sql`
    select event_id, status, error_code, quantity, redelivery_count, result->'total_quantity' as units,
           result->'total_points_deducted' as points, result->'new_balance' as balance,
           (select jsonb_agg(x->'promo_code' order by x->>'promo_code') from jsonb_array_elements(result->'redemptions') x) as codes
    from redemption_requests where merchant_id = ${m} order by event_id`.execute(db);
  const ledger = await sql`
    select event_id, success, error_code, qty, promo_code, points_deducted
    from reward_redemptions_ledger where merchant_id = ${m} order by event_id, promo_code nulls first, error_code`.execute(db);
  const wallets = await sql`
    select u.email, w.points_balance from user_wallet w join user_accounts u on u.id = w.user_id
    where u.merchant_id = ${m} order by u.email`.execute(db);
  const codes = await sql`
    select r.reward_code, c.promo_code, c.status from reward_promo_code c join reward_master r on r.id = c.reward_id
    where r.merchant_id = ${m} order by c.promo_code`.execute(db);
  const counters = await sql`
    select r.reward_code, s.issued, (select jsonb_agg(u.used order by l.scope) from transaction_limits l join limit_usage u on u.limit_id = l.id where l.reward_id = r.id) as used
    from reward_master r left join reward_stock_usage s on s.reward_id = r.id where r.merchant_id = ${m} order by r.reward_code`.execute(db);
  return { requests: requests.rows, ledger: ledger.rows, wallets: wallets.rows, codes: codes.rows, counters: counters.rows };
}

describe('worker groups', () => {
  it('a random mix of events through the grouped worker leaves exactly what one at a time leaves', async () => {
    const seed = Number(process.env.GROUPS_SEED ?? Date.now() % 1_000_000);
    console.log(`groups model: seed ${seed} (GROUPS_SEED=${seed} to replay)`);
    const [ops] = fc.sample(fc.array(opArb, { minLength: 80, maxLength: 120 }), { seed, numRuns: 1 });
    const db = test().database.db;
    const grouped = await Scenario.create(db, modelFixture());
    const reference = await Scenario.create(db, modelFixture());
    const messages = messagesFor(grouped, ops!, seed);
    await oneAtATime(reference, messagesFor(reference, ops!, seed));

    const { topic, group } = await topicWithOnePartition('groups-model');
    const producer = await kit.producer();
    await producer.send({ topic, messages });
    const worker = await startTestWorker({ database: test().database, topic, group, batchSize: 50, batchMaxMs: 2_000 });
    workers.push(worker);
    await pollUntil(() => worker.processed.length >= messages.length, { timeoutMs: 30_000, what: `${messages.length} messages processed` });

    expect(await outcome(grouped), `seed ${seed}`).toEqual(await outcome(reference));
    // it did run in groups, and none rolled back
    expect(Math.max(...worker.processed.map((p) => p.group ?? 1)), `seed ${seed}`).toBeGreaterThan(1);
    expect(worker.lines().filter((l) => l.includes('rolled back'))).toEqual([]);
    const unreadable = ops!.filter((o) => o.kind === 'garbage' || o.kind === 'invalid').length;
    expect(await dlqCount(topic)).toBe(unreadable);
    await worker.handle.stop();
  }, 60_000);

  it('rolls a group back on a lock held past lock_timeout (55P03) and goes on one by one, dead-lettering nothing', async () => {
    const db = test().database.db;
    const s = await Scenario.create(db, { ...modelFixture(), users: ['a', 'b', 'c'].map((k) => ({ email: `${k}@g.test`, points: 1_000 })) });
    const events = ['a', 'b', 'c'].map((k) => eventFor(s, `${k}@g.test`, 'MUG'));
    const ids = events.map((e) => e.event_id);
    const requestsOf = async (wanted: string[]) =>
      (await sql<{ n: number }>`select count(*)::int as n from redemption_requests where event_id = any (${wanted}::text[])`.execute(db)).rows[0]!.n;

    // b's wallet is held by someone else, past the worker's lock_timeout
    const holder = new pg.Client({ connectionString: test().url });
    clients.push(holder);
    await holder.connect();
    await holder.query('begin');
    await holder.query('select 1 from user_wallet where user_id = $1 for update', [s.user('b@g.test')]);

    const { topic, group } = await topicWithOnePartition('groups-lock');
    const producer = await kit.producer();
    await producer.send({ topic, messages: events.map((e) => ({ key: e.user_id, value: JSON.stringify(e) })) });
    const url = new URL(test().url!);
    url.searchParams.set('options', '-c lock_timeout=200');
    const database = await openDatabase({ url: url.toString(), poolSize: 2 });
    opened.push(database);
    const worker = await startTestWorker({ database, topic, group, batchSize: 50, batchMaxMs: 2_000 });
    workers.push(worker);

    // the group of three rolled back; a, alone, committed while b still waits
    await pollUntil(() => worker.lines().some((l) => /Group of 3 events from \S+\/0\/0 rolled back after error: .*\(55P03\); processing them one by one/.test(l)), {
      what: 'the group rolled back',
    });
    await pollUntil(async () => (await requestsOf([ids[0]!])) === 1, { what: "a's event alone" });
    await pollUntil(() => worker.lines().some((l) => l.includes(`Retrying event ${ids[1]}`) && l.includes('(55P03)')), { what: "b's event retried" });
    expect(await requestsOf(ids.slice(1))).toBe(0);

    await holder.query('commit');
    await pollUntil(async () => (await requestsOf(ids)) === 3, { what: 'every event after the lock' });
    expect(await wrongEffects(db, new Map(ids.map((id) => [id, 1])))).toEqual([]);
    expect(worker.processed.map((p) => [p.eventId, p.outcome])).toEqual(ids.map((id) => [id, 'succeeded']));
    expect(await dlqCount(topic)).toBe(0);
    expect(await worker.metric('redeemctl_worker_retries_total', { reason: 'transient_error' })).toBeGreaterThanOrEqual(2);
    await worker.handle.stop();
  }, 60_000);
});
