// The five cases of the original testing guide, through Kafka and the worker: events published
// with EventPublisher, consumed by startWorker, checked in the database and in the log lines.
import { beforeAll, describe, expect, it } from 'vitest';
import { Scenario, uniqueName, useTestDatabase } from '../support/scenario.js';
import { eventFor, pollUntil, useWorkerTopic, workerFixture, type TestWorker } from '../support/workerHarness.js';

const test = useTestDatabase('postgres');
const kafka = useWorkerTopic('cases');
const { topic } = kafka;
let worker: TestWorker;

beforeAll(async () => {
  worker = await kafka.startWorker({ database: test().database });
});

describe('worker: the five cases of the testing guide', () => {
  it('redeems, refuses and logs each case as the guide says', async () => {
    const db = test().database.db;
    const s = await Scenario.create(db, workerFixture());
    const other = await Scenario.create(db, {
      merchant: { name: uniqueName('Other') },
      rewards: [{ reward_code: 'ELSEWHERE', name: 'Another merchant', fallback_points: 1 }],
    });
    const one = eventFor(s, 'm1@w.test', 'MUG', 1);
    const five = eventFor(s, 'm1@w.test', 'MUG', 5);
    const pool = eventFor(s, 'm2@w.test', 'VOUCHER', 5);
    const tooMany = eventFor(s, 'm2@w.test', 'SMALL', 100);
    const oldProducer = { ...eventFor(s, 'm3@w.test', 'MUG'), quantity: undefined as unknown as number };
    const foreign = { ...eventFor(s, 'm3@w.test', 'MUG'), reward_id: other.reward('ELSEWHERE') };
    const all = [one, five, pool, tooMany, oldProducer, foreign];
    await kafka.publisher.publish(all);

    await pollUntil(() => all.every((e) => worker.processed.some((p) => p.eventId === e.event_id)), { what: 'all six events processed' });

    // quantity 1 and 5 without codes: one row each, of qty 1 and qty 5
    expect((await s.ledgerRows(one.event_id)).map((r) => [r.qty, r.success])).toEqual([[1, true]]);
    expect((await s.ledgerRows(five.event_id)).map((r) => [r.qty, r.success])).toEqual([[5, true]]);
    // 5 on a pool: 5 rows of qty 1 with 5 distinct codes
    const poolRows = await s.ledgerRows(pool.event_id);
    expect(poolRows.map((r) => r.qty)).toEqual([1, 1, 1, 1, 1]);
    expect(new Set(poolRows.map((r) => r.promo_code)).size).toBe(5);
    expect(poolRows.every((r) => r.success && r.promo_code?.startsWith('V-'))).toBe(true);
    // 100 on a pool of 7: one failure row with the exact message
    expect(await s.ledgerRows(tooMany.event_id)).toMatchObject([
      { success: false, qty: 100, error_code: 'INSUFFICIENT_CODES', error_message: 'Only 7 code(s) available, you requested 100' },
    ]);
    // no quantity (an old producer): 1
    expect((await s.ledgerRows(oldProducer.event_id)).map((r) => [r.qty, r.success])).toEqual([[1, true]]);
    // another merchant's reward: not found, exactly as if it did not exist
    expect(await s.ledgerRows(foreign.event_id)).toMatchObject([{ success: false, error_code: 'REWARD_NOT_FOUND' }]);

    // each request came from Kafka, with its origin
    const requests = await db.selectFrom('redemption_requests').select(['event_id', 'source_type', 'source_id', 'status']).where('event_id', 'in', all.map((e) => e.event_id)).execute();
    expect(requests).toHaveLength(6);
    for (const r of requests) {
      expect(r.source_type).toBe('kafka');
      expect(r.source_id).toMatch(new RegExp(`^${topic}/[0-2]/\\d+$`));
    }

    // the log lines, word for word
    const log = worker.lines();
    const m1 = s.user('m1@w.test');
    expect(log).toContain(`[RewardConsumer] Processing event ${one.event_id} for user=${m1}, reward=${s.reward('MUG')}, quantity=1`);
    expect(log).toContain(`[RewardConsumer] Processing event ${five.event_id} for user=${m1}, reward=${s.reward('MUG')}, quantity=5`);
    expect(log).toContain(`[RewardConsumer] Processing event ${oldProducer.event_id} for user=${s.user('m3@w.test')}, reward=${s.reward('MUG')}, quantity=1`);
    for (const e of [one, five, pool, oldProducer]) {
      expect(log.some((line) => new RegExp(`^\\[RewardConsumer\\] Successfully processed event ${e.event_id} in \\d+ms$`).test(line)), e.event_id).toBe(true);
    }
    expect(log).toContain(`[RewardConsumer] Event ${tooMany.event_id} refused: INSUFFICIENT_CODES Only 7 code(s) available, you requested 100`);
    expect(log).toContain(`[RewardConsumer] Event ${foreign.event_id} refused: REWARD_NOT_FOUND Reward not found`);
    // per-member order: m1's qty-1 event was processed before its qty-5 event
    expect(log.findIndex((l) => l.includes(`Successfully processed event ${one.event_id}`))).toBeLessThan(
      log.findIndex((l) => l.includes(`Processing event ${five.event_id}`)),
    );

    // metrics
    expect(await worker.metric('redeemctl_worker_events_processed_total', { outcome: 'succeeded' })).toBe(4);
    expect(await worker.metric('redeemctl_worker_events_processed_total', { outcome: 'refused' })).toBe(2);
    expect(await worker.metric('redeemctl_worker_failures_total', { error_code: 'INSUFFICIENT_CODES' })).toBe(1);
    expect(await worker.metric('redeemctl_worker_failures_total', { error_code: 'REWARD_NOT_FOUND' })).toBe(1);
    expect(await worker.metric('redeemctl_worker_up')).toBe(1);
    const text = await worker.registry.metrics();
    expect(text).toMatch(/redeemctl_worker_processing_seconds_count 6/);
    expect(text).toMatch(new RegExp(`redeemctl_worker_consumer_lag\\{topic="${topic}",partition="\\d"\\} 0`));
  });

  it('retries a CONCURRENT_CONFLICT that outlives redeem()\'s own retries, and succeeds once the codes are free', async () => {
    const database = test().database;
    const s = await Scenario.create(database.db, workerFixture(1));
    const event = eventFor(s, 'm1@w.test', 'SMALL', 2);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    // another session holds every code of the pool, as concurrent redemptions would
    const holder = database.withConnection(async (conn) => {
      await conn.query('begin');
      await conn.query(`select id from reward_promo_code where reward_id = $1 for update`, [s.reward('SMALL')]);
      locked();
      await released;
      await conn.query('rollback');
    });
    await isLocked;
    const conflictsBefore = await worker.metric('redeemctl_worker_retries_total', { reason: 'concurrent_conflict' });
    await kafka.publisher.publish([event]);
    // redeem() tries 6 times (5 retries), then the worker's own loop takes over
    await pollUntil(() => worker.lines().some((l) => l.includes(`Retrying event ${event.event_id} in `) && l.includes('could be reserved')), {
      what: 'the worker retrying the conflict',
    });
    expect(worker.processed.some((p) => p.eventId === event.event_id)).toBe(false);
    expect(await database.db.selectFrom('redemption_requests').select('event_id').where('event_id', '=', event.event_id).execute()).toEqual([]);
    release();
    await holder;
    await pollUntil(() => worker.processed.find((p) => p.eventId === event.event_id), { what: 'the event processed' });
    expect((await s.ledgerRows(event.event_id)).map((r) => [r.qty, r.success])).toEqual([[1, true], [1, true]]);
    expect((await worker.metric('redeemctl_worker_retries_total', { reason: 'concurrent_conflict' })) - conflictsBefore).toBeGreaterThanOrEqual(6);
  });
});
