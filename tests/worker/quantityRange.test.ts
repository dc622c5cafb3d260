// A well-formed event whose quantity is a JSON number PostgreSQL's int cannot hold as asked (too
// big, fractional, overflowing to Infinity) is a business refusal like any quantity outside
// 1..1000: INVALID_QUANTITY with a request record and a failure row, so the member learns the
// outcome (GET /redemptions/<event_id> reads that record), and nothing goes to the DLQ.
import { beforeAll, describe, expect, it } from 'vitest';
import { Scenario, useTestDatabase } from '../support/scenario.js';
import { eventFor, pollUntil, useWorkerTopic, workerFixture, type TestWorker } from '../support/workerHarness.js';

const test = useTestDatabase('postgres');
const kafka = useWorkerTopic('qty-range', { publisher: false });
const { kit, topic } = kafka;
let worker: TestWorker;

beforeAll(async () => {
  worker = await kafka.startWorker({ database: test().database });
});

describe('worker: a quantity outside int range', () => {
  it('refuses each as INVALID_QUANTITY with a failure row, and dead-letters none', async () => {
    const db = test().database.db;
    const s = await Scenario.create(db, workerFixture());
    const user = s.user('m1@w.test');
    // The quantity goes in as raw JSON text: 1e400 parses to Infinity, which JSON.stringify cannot write.
    const quantities = ['3000000000', '-3000000000', '-5', '1.5', '1e20', '1e400'];
    const events = quantities.map((raw) => {
      const { quantity: _q, ...event } = eventFor(s, 'm1@w.test', 'MUG');
      return { event, value: Buffer.from(JSON.stringify(event).replace(/}$/, `,"quantity":${raw}}`)) };
    });
    // A good event last, on the same key (so the same partition): it shows the partition flowed.
    const good = eventFor(s, 'm1@w.test', 'MUG', 2);
    const producer = await kit.producer();
    for (const { value } of events) await producer.send({ topic, acks: -1, messages: [{ key: user, value }] });
    await producer.send({ topic, acks: -1, messages: [{ key: user, value: JSON.stringify(good) }] });

    await pollUntil(() => worker.processed.some((p) => p.eventId === good.event_id), { what: 'the good event behind them', timeoutMs: 45_000 });

    for (const [i, { event }] of events.entries()) {
      const why = `quantity ${quantities[i]}`;
      const processed = worker.processed.find((p) => p.eventId === event.event_id);
      expect(processed, why).toMatchObject({ outcome: 'refused', errorCode: 'INVALID_QUANTITY' });
      // What GET /redemptions/<event_id> reads for this member in this merchant.
      const request = await db.selectFrom('redemption_requests').selectAll().where('event_id', '=', event.event_id).executeTakeFirst();
      expect(request, why).toMatchObject({ status: 'failed', error_code: 'INVALID_QUANTITY', merchant_id: s.merchantId, user_id: user, source_type: 'kafka' });
      expect((request!.result as { message?: string }).message, why).toBe('Quantity must be a whole number between 1 and 1000');
      expect(await s.ledgerRows(event.event_id), why).toMatchObject([{ success: false, error_code: 'INVALID_QUANTITY', points_deducted: 0 }]);
    }
    expect(await s.ledgerRows(good.event_id)).toMatchObject([{ success: true, qty: 2 }]);

    // The DLQ stayed empty: no message was ever written to it.
    const dlqOffsets = await (await kit.admin()).fetchTopicOffsets(`${topic}.dlq`);
    expect(dlqOffsets.reduce((sum, o) => sum + Number(o.high), 0)).toBe(0);
    expect(await worker.metric('redeemctl_worker_failures_total', { error_code: 'INVALID_QUANTITY' })).toBe(quantities.length);
    expect(await worker.metric('redeemctl_worker_events_processed_total', { outcome: 'dead_lettered' })).toBe(0);
  });

  it('a redelivery of such an event is idempotent: still one failure row', async () => {
    const db = test().database.db;
    const s = await Scenario.create(db, workerFixture());
    const user = s.user('m1@w.test');
    const { quantity: _q, ...event } = eventFor(s, 'm1@w.test', 'MUG');
    const value = Buffer.from(JSON.stringify({ ...event, quantity: 3_000_000_000 }));
    const producer = await kit.producer();
    await producer.send({ topic, acks: -1, messages: [{ key: user, value }, { key: user, value }] });
    await pollUntil(() => worker.processed.filter((p) => p.eventId === event.event_id).length === 2, { what: 'both deliveries' });
    expect(worker.processed.filter((p) => p.eventId === event.event_id).map((p) => p.outcome)).toEqual(['refused', 'idempotent']);
    expect(await s.ledgerRows(event.event_id)).toMatchObject([{ success: false, error_code: 'INVALID_QUANTITY' }]);
  });
});
