// Two workers in one consumer group share a 3-partition topic: each takes some partitions, and
// together they process every event exactly once.
import { describe, expect, it } from 'vitest';
import { Scenario, useTestDatabase } from '../support/scenario.js';
import { eventFor, pollUntil, useWorkerTopic, workerFixture, wrongEffects, type TestWorker } from '../support/workerHarness.js';

const test = useTestDatabase('postgres');
const kafka = useWorkerTopic('share', { partitions: 3 });
const { kit, topic, group } = kafka;
const workers: TestWorker[] = [];

describe('worker: two workers in one group', () => {
  it('share the partitions and process every event once', async () => {
    const db = test().database.db;
    const s = await Scenario.create(db, workerFixture(30, 200));
    for (let i = 0; i < 2; i++) workers.push(await kafka.startWorker({ database: test().database, clientId: `worker-${i}` }));
    // both members in, the group settled, before anything is published
    const admin = await kit.admin();
    await pollUntil(
      async () => {
        const { groups } = await admin.describeGroups([group]);
        const held = workers.map((w) => w.handle.assignment()[topic] ?? []);
        return groups[0]?.state === 'Stable' && groups[0].members.length === 2 && held.every((h) => h.length > 0) && held.flat().length === 3;
      },
      { what: 'a stable group of two' },
    );

    const events = Array.from({ length: 90 }, (_, i) => eventFor(s, `m${(i % 30) + 1}@w.test`, i % 3 === 0 ? 'VOUCHER' : 'MUG', 1 + (i % 2)));
    await kafka.publisher.publish(events);
    await pollUntil(() => workers[0]!.processed.length + workers[1]!.processed.length >= 90, { what: '90 events processed' });

    const [a, b] = workers.map((w) => w.processed);
    expect(a!.length).toBeGreaterThan(0);
    expect(b!.length).toBeGreaterThan(0);
    const partitionsOf = (list: typeof a) => new Set(list!.map((p) => p.partition));
    expect([...partitionsOf(a)].filter((p) => partitionsOf(b).has(p))).toEqual([]);
    expect(new Set([...partitionsOf(a), ...partitionsOf(b)]).size).toBe(3);
    // each processed exactly the partitions it was assigned
    expect([...partitionsOf(a)].sort()).toEqual([...workers[0]!.handle.assignment()[topic]!].sort());
    expect([...partitionsOf(b)].sort()).toEqual([...workers[1]!.handle.assignment()[topic]!].sort());
    expect([...a!, ...b!].map((p) => p.outcome)).toEqual(Array(90).fill('succeeded'));
    expect(new Set([...a!, ...b!].map((p) => p.eventId)).size).toBe(90);
    const expected = new Map(events.map((e) => [e.event_id, e.reward_id === s.reward('VOUCHER') ? e.quantity : 1]));
    expect(await wrongEffects(db, expected)).toEqual([]);
  });
});
