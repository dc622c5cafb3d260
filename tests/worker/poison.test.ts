// Poison messages: each unreadable message goes to <topic>.dlq, key and value byte for byte, with
// the reason and its origin in headers; the good messages behind it on the same partition are
// processed; an unreadable message that names an event id and a merchant leaves a failure record.
import type { IHeaders, KafkaMessage } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DLQ_HEADERS, readDeadLetter } from '../../src/kafka/deadLetter.js';
import { Scenario, useTestDatabase } from '../support/scenario.js';
import { eventFor, pollUntil, useWorkerTopic, workerFixture, type TestWorker } from '../support/workerHarness.js';

const test = useTestDatabase('postgres');
const kafka = useWorkerTopic('poison', { publisher: false });
const { kit, topic, group } = kafka;
let worker: TestWorker;

beforeAll(async () => {
  worker = await kafka.startWorker({ database: test().database });
});

function header(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  return value === undefined ? undefined : String(Array.isArray(value) ? value[0] : value);
}

describe('worker: poison messages', () => {
  it('dead-letters unreadable messages with their reason and keeps the partition flowing', async () => {
    const db = test().database.db;
    const s = await Scenario.create(db, workerFixture());
    const key = s.user('m1@w.test');
    const good = [0, 1, 2].map(() => eventFor(s, 'm1@w.test', 'MUG'));
    const wrongType = { ...eventFor(s, 'm1@w.test', 'MUG'), quantity: '5' };
    const { reward_id: _dropped, ...missingReward } = eventFor(s, 'm1@w.test', 'MUG', 2);
    const poison: Array<{ value: Buffer; reason: RegExp; eventId?: string }> = [
      { value: Buffer.from('{"event_id": not json'), reason: /^not JSON: / },
      { value: Buffer.from(JSON.stringify(wrongType)), reason: /^quantity: /, eventId: wrongType.event_id },
      { value: Buffer.from(JSON.stringify(missingReward)), reason: /^reward_id: /, eventId: missingReward.event_id },
      { value: Buffer.alloc(0), reason: /^empty message$/ },
    ];
    // readable, a quantity beyond int: the engine refuses it as INVALID_QUANTITY (a failure row,
    // no dead letter; tests/worker/quantityRange.test.ts)
    const overflow = { ...eventFor(s, 'm1@w.test', 'MUG'), quantity: 3_000_000_000 };
    const overflowValue = Buffer.from(JSON.stringify(overflow));
    // one key, so one partition, in this order: poison, good, poison, good, poison, poison, overflow, good
    const sequence = [poison[0]!.value, Buffer.from(JSON.stringify(good[0])), poison[1]!.value, Buffer.from(JSON.stringify(good[1])), poison[2]!.value, poison[3]!.value, overflowValue, Buffer.from(JSON.stringify(good[2]))];
    const producer = await kit.producer();
    const offsets: string[] = [];
    let partition = -1;
    for (const value of sequence) {
      const [meta] = await producer.send({ topic, acks: -1, messages: [{ key, value, headers: { 'x-trace': 'abc' } }] });
      offsets.push(meta!.baseOffset!);
      partition = meta!.partition;
    }

    await pollUntil(() => good.every((e) => worker.processed.some((p) => p.eventId === e.event_id && p.outcome === 'succeeded')), {
      what: 'the good messages behind the poison',
    });
    for (const e of good) expect(await s.ledgerRows(e.event_id)).toMatchObject([{ success: true, qty: 1 }]);

    const dead: KafkaMessage[] = await kit.readAll(`${topic}.dlq`, 4);
    expect(dead).toHaveLength(4);
    expect(dead.map((m) => m.value)).not.toContainEqual(overflowValue);
    expect(await s.ledgerRows(overflow.event_id)).toMatchObject([{ success: false, error_code: 'INVALID_QUANTITY' }]);
    expect(await worker.metric('redeemctl_worker_retries_total', { reason: 'processing_error' })).toBe(0);
    const poisonOffsets = [offsets[0], offsets[2], offsets[4], offsets[5]];
    poison.forEach((p, i) => {
      const message = dead[i]!;
      const info = readDeadLetter(message);
      expect(info, `DLQ message ${i}`).toMatchObject({ errorCode: 'INVALID_EVENT', originTopic: topic, originPartition: partition, originOffset: poisonOffsets[i] });
      expect(info!.reason).toMatch(p.reason);
      expect(header(message.headers, DLQ_HEADERS.reason)).toBe(info!.reason);
      expect(header(message.headers, DLQ_HEADERS.originPartition)).toBe(String(partition));
      expect(new Date(header(message.headers, DLQ_HEADERS.failedAt)!).getTime()).not.toBeNaN();
      expect(header(message.headers, DLQ_HEADERS.eventId)).toBe(p.eventId);
      expect(header(message.headers, 'x-trace')).toBe('abc'); // the original headers are kept
      expect(message.key?.toString()).toBe(key);
      expect(message.value).toEqual(p.value);
    });

    // the readable-enough poison left a failure record, so the member learns the outcome
    for (const p of [poison[1]!, poison[2]!]) {
      const request = await db.selectFrom('redemption_requests').selectAll().where('event_id', '=', p.eventId!).executeTakeFirstOrThrow();
      expect(request).toMatchObject({ status: 'failed', error_code: 'INVALID_EVENT', merchant_id: s.merchantId, user_id: key, source_type: 'kafka' });
      expect(await s.ledgerRows(p.eventId!)).toMatchObject([{ success: false, error_code: 'INVALID_EVENT' }]);
    }
    const missing = await db.selectFrom('redemption_requests').selectAll().where('event_id', '=', poison[2]!.eventId!).executeTakeFirstOrThrow();
    expect(missing).toMatchObject({ reward_id: null, quantity: 2 });
    const wrong = await db.selectFrom('redemption_requests').selectAll().where('event_id', '=', poison[1]!.eventId!).executeTakeFirstOrThrow();
    expect(wrong).toMatchObject({ reward_id: s.reward('MUG'), quantity: null });

    expect(await worker.metric('redeemctl_worker_events_processed_total', { outcome: 'dead_lettered' })).toBe(4);
    expect(await worker.metric('redeemctl_worker_failures_total', { error_code: 'PROCESSING_ERROR' })).toBe(0);
    expect(await worker.metric('redeemctl_worker_failures_total', { error_code: 'INVALID_QUANTITY' })).toBe(1);
    expect(await worker.metric('redeemctl_worker_failures_total', { error_code: 'INVALID_EVENT' })).toBe(4);
    expect(worker.lines().filter((l) => l.includes(`[RewardConsumer] Dead-lettered message ${topic}/${partition}/`))).toHaveLength(4);
    // the offsets moved past everything, in order
    await pollUntil(async () => (await kit.committed(group, topic)).get(partition) === Number(offsets[7]) + 1, { what: 'the offset committed' });
  });
});
