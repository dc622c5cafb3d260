// A dead-letter send that can never succeed (the DLQ refuses the message: MESSAGE_TOO_LARGE) must
// not block the partition: the worker records the failure where it can (INVALID_EVENT for an event
// id it can read), logs an error line, counts it, resolves the offset and goes on. The DLQ here
// takes messages of at most 2 KB; the poison messages are 10 KB.
import { beforeAll, describe, expect, it } from 'vitest';
import { Scenario, useTestDatabase } from '../support/scenario.js';
import { eventFor, pollUntil, useWorkerTopic, workerFixture, type TestWorker } from '../support/workerHarness.js';

const test = useTestDatabase('postgres');
const kafka = useWorkerTopic('dlqfails', { publisher: false, dlqConfig: [{ name: 'max.message.bytes', value: '2048' }] });
const { kit, topic, group } = kafka;
let worker: TestWorker;

beforeAll(async () => {
  worker = await kafka.startWorker({ database: test().database });
});

describe('worker: a dead-letter send that keeps failing', () => {
  it('records, logs and counts the failure, and the partition goes on', async () => {
    const db = test().database.db;
    const s = await Scenario.create(db, workerFixture());
    const key = s.user('m1@w.test');
    // unreadable (quantity is a string) yet naming an event id and a merchant: recordable
    const named = { ...eventFor(s, 'm1@w.test', 'MUG'), quantity: 'x'.repeat(10_000) };
    const namedValue = Buffer.from(JSON.stringify(named));
    // unreadable and naming nothing: lost to the DLQ, only logged
    const anonymousValue = Buffer.from(`not json at all ${'y'.repeat(10_000)}`);
    const good = eventFor(s, 'm1@w.test', 'MUG');

    const producer = await kit.producer();
    const offsets: string[] = [];
    let partition = -1;
    for (const value of [anonymousValue, namedValue, Buffer.from(JSON.stringify(good))]) {
      const [meta] = await producer.send({ topic, acks: -1, messages: [{ key, value }] });
      offsets.push(meta!.baseOffset!);
      partition = meta!.partition;
    }

    await pollUntil(() => worker.processed.some((p) => p.eventId === good.event_id && p.outcome === 'succeeded'), {
      what: 'the good event behind the messages the DLQ refuses',
      timeoutMs: 30_000,
    });
    expect(await s.ledgerRows(good.event_id)).toMatchObject([{ success: true, qty: 1 }]);

    // the member learns the outcome of the big one
    const request = await db.selectFrom('redemption_requests').selectAll().where('event_id', '=', named.event_id).executeTakeFirstOrThrow();
    expect(request).toMatchObject({ status: 'failed', error_code: 'INVALID_EVENT', merchant_id: s.merchantId, user_id: key });

    // counted once each, at once (a permanent failure is not retried)
    expect(await worker.metric('redeemctl_worker_dead_letter_failures_total', { reason: 'MESSAGE_TOO_LARGE' })).toBe(2);
    expect(await worker.metric('redeemctl_worker_retries_total', { reason: 'dlq_produce' })).toBe(0);
    expect(await worker.metric('redeemctl_worker_events_processed_total', { outcome: 'dead_lettered' })).toBe(0);
    expect(await worker.metric('redeemctl_worker_events_processed_total', { outcome: 'dead_letter_failed' })).toBe(2);

    // one error line each, saying what happened and what was done
    const failed = worker.lines().filter((l) => l.includes('[RewardConsumer] Could not dead-letter message'));
    expect(failed).toHaveLength(2);
    const [anonymousLine, namedLine] = failed;
    expect(namedLine).toContain(`Could not dead-letter message ${topic}/${partition}/${offsets[1]} (`);
    expect(namedLine).toMatch(/ KB\) to \S+\.dlq: The request included a message larger than the max message size the server will accept \(MESSAGE_TOO_LARGE\)/);
    expect(namedLine).toContain(`recorded as INVALID_EVENT for event ${named.event_id}; the partition goes on`);
    expect(namedLine).toMatch(/^error: /);
    expect(anonymousLine).toContain(`Could not dead-letter message ${topic}/${partition}/${offsets[0]} (`);
    expect(anonymousLine).toContain('names no event id: the message is lost');
    expect(anonymousLine).toContain('not json at all yyy');
    expect(anonymousLine!.length).toBeLessThan(1_000);

    // nothing reached the DLQ, and the offset moved past all three
    const [dlqEnd] = await (await kit.admin()).fetchTopicOffsets(`${topic}.dlq`);
    expect(dlqEnd!.high).toBe('0');
    await pollUntil(async () => (await kit.committed(group, topic)).get(partition) === Number(offsets[2]) + 1, { what: 'the offset committed' });
  });
});
