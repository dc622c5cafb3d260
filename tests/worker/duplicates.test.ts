// Duplicates: every event delivered twice (published twice, then the whole topic again after the
// group is rewound to the beginning) takes effect once; the repeats are idempotent results.
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { Scenario, useTestDatabase } from '../support/scenario.js';
import { eventFor, pollUntil, useWorkerTopic, workerFixture, wrongEffects } from '../support/workerHarness.js';

const test = useTestDatabase('postgres');
const kafka = useWorkerTopic('dup');
const { kit, topic, group } = kafka;

describe('worker: duplicate deliveries', () => {
  it('gives each event one effect when it is published twice and when the group is rewound', async () => {
    const db = test().database.db;
    const s = await Scenario.create(db, workerFixture(4));
    const events = Array.from({ length: 12 }, (_, i) => eventFor(s, `m${(i % 4) + 1}@w.test`, i % 2 ? 'VOUCHER' : 'MUG', (i % 3) + 1));
    const expected = new Map(events.map((e) => [e.event_id, s.reward('VOUCHER') === e.reward_id ? e.quantity : 1]));
    // each event twice in a row, as a producer retrying after a lost ack would
    await kafka.publisher.publish(events.flatMap((e) => [e, e]));

    const first = await kafka.startWorker({ database: test().database });
    await pollUntil(() => first.processed.length >= 24, { what: '24 deliveries' });
    expect(first.processed.filter((p) => p.outcome === 'succeeded')).toHaveLength(12);
    expect(first.processed.filter((p) => p.outcome === 'idempotent')).toHaveLength(12);
    expect(await wrongEffects(db, expected)).toEqual([]);
    const balances = await Promise.all([1, 2, 3, 4].map((i) => s.balance(`m${i}@w.test`)));

    // rewind: stop (the group is left, offsets committed), reset to the earliest offset, start again
    await first.handle.stop();
    const admin = await kit.admin();
    await admin.resetOffsets({ groupId: group, topic, earliest: true });
    const again = await kafka.startWorker({ database: test().database });
    await pollUntil(() => again.processed.length >= 24, { what: '24 deliveries after the rewind' });

    expect(again.processed.map((p) => p.outcome)).toEqual(Array(24).fill('idempotent'));
    expect(again.processed.every((p) => p.result?.success === true && p.result.idempotent)).toBe(true);
    expect(await wrongEffects(db, expected)).toEqual([]);
    expect(await Promise.all([1, 2, 3, 4].map((i) => s.balance(`m${i}@w.test`)))).toEqual(balances);
    // every event seen 4 times: once in effect, 3 redeliveries counted for monitoring
    const { rows } = await sql<{ n: number }>`
      select redelivery_count as n from redemption_requests where event_id = any (${events.map((e) => e.event_id)}::text[])`.execute(db);
    expect(rows.map((r) => r.n)).toEqual(Array(12).fill(3));
    expect(await again.metric('redeemctl_worker_events_processed_total', { outcome: 'idempotent' })).toBe(24);
    expect(again.lines().filter((l) => l.includes('was already processed (duplicate delivery, stored result: succeeded)'))).toHaveLength(24);
  });
});
