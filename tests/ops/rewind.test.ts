import { beforeAll, describe, expect, it, vi } from 'vitest';
import { admin, committedOffsets, createTopic, kafka, producer, randomName, track } from '../support/eventsKafka.js';
import { json, useEventsWorld } from '../support/eventsWorld.js';

// `events rewind` on a real group: a preview changes nothing; --execute moves the committed
// offsets; a group with a live member is refused. Messages carry explicit timestamps (50 and 5
// minutes ago), so --to-time and --by-duration have exact answers.

const world = useEventsWorld();
let topic: string;
let group: string;
/** Per partition: how many of the old (50 minutes ago) messages it holds, and all of them. */
const old: Record<number, number> = { 0: 0, 1: 0, 2: 0 };
const total: Record<number, number> = { 0: 0, 1: 0, 2: 0 };
const sum = (counts: Record<number, number>) => counts[0]! + counts[1]! + counts[2]!;
const rewind = (...argv: string[]) => world().cli(['events', 'rewind', '--group', group, ...argv], { KAFKA_TOPIC: topic });

async function waitForState(state: string): Promise<void> {
  await vi.waitFor(async () => {
    const { groups } = await (await admin()).describeGroups([group]);
    expect(groups[0]?.state).toBe(state);
  }, { timeout: 20_000, interval: 100 });
}

beforeAll(async () => {
  topic = await createTopic('events-rewind');
  group = randomName('events-rewind-group');
  const p = await producer();
  const now = Date.now();
  // Old ones first, then new ones, on every partition.
  for (const [age, count] of [[50, 2], [5, 3]] as const) {
    for (let partition = 0; partition < 3; partition++) {
      const messages = Array.from({ length: count - (partition === 2 ? 1 : 0) }, (_, i) => ({ key: `k${i}`, value: `{"n":${i}}`, partition, timestamp: String(now - age * 60_000) }));
      await p.send({ topic, messages });
      total[partition]! += messages.length;
      if (age === 50) old[partition]! += messages.length;
    }
  }
  // The group reads everything and commits, then stops: state Empty.
  const consumer = track(kafka.consumer({ groupId: group, maxWaitTimeInMs: 200 }));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async () => {} });
  await vi.waitFor(async () => expect(await committedOffsets(group, topic)).toEqual({ 0: String(total[0]), 1: String(total[1]), 2: String(total[2]) }), { timeout: 30_000, interval: 100 });
  await consumer.disconnect();
  await waitForState('Empty');
});

describe('events rewind', () => {
  it('previews by default: committed, target and re-delivered per partition, and changes nothing', async () => {
    const before = await committedOffsets(group, topic);
    const r = await rewind('--to-offset', '0', '--json');
    expect(r.code, r.stderr).toBe(0);
    const plan = json(r);
    expect(plan).toMatchObject({ group, topic, state: 'Empty', live: false, outcome: 'preview', executed: false, redelivered: sum(total) });
    expect(plan.note).toContain('idempotent');
    expect(plan.partitions).toEqual([0, 1, 2].map((partition) => expect.objectContaining({ partition, committed: total[partition], target: 0, redelivered: total[partition] })));

    const byTime = json(await rewind('--to-time', new Date(Date.now() - 30 * 60_000).toISOString(), '--json'));
    expect(byTime.partitions.map((p: { target: number }) => p.target)).toEqual([old[0], old[1], old[2]]);
    const byDuration = json(await rewind('--by-duration', '30m', '--json'));
    expect(byDuration.partitions.map((p: { target: number }) => p.target)).toEqual([old[0], old[1], old[2]]);
    expect(byDuration.redelivered).toBe(sum(total) - sum(old));

    const some = json(await rewind('--to-offset', '0:1,2:99', '--json'));
    expect(some.partitions.map((p: { target: number; note?: string }) => [p.target, p.note])).toEqual([
      [1, undefined],
      [total[1], 'not named'],
      [total[2], `99 is outside 0..${total[2]}; clamped`],
    ]);
    const human = await rewind('--by-duration', '30m');
    expect(human.stdout).toContain(`Preview: ${sum(total) - sum(old)} message(s) would be delivered again. Run with --execute`);
    expect(human.stdout).toContain('Re-delivered events are idempotent');
    expect(await committedOffsets(group, topic)).toEqual(before);
  });

  it('--execute moves the committed offsets: --by-duration, then --to-offset 0', async () => {
    const r = await rewind('--by-duration', '30m', '--execute', '--reason', 'test', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ outcome: 'executed', executed: true, redelivered: sum(total) - sum(old) });
    expect(await committedOffsets(group, topic)).toEqual({ 0: String(old[0]), 1: String(old[1]), 2: String(old[2]) });

    const zero = await rewind('--to-offset', '0', '--execute', '--reason', 'test');
    expect(zero.code, zero.stderr).toBe(0);
    expect(zero.stdout).toContain(`Offsets moved: ${sum(old)} message(s) will be delivered again.`);
    expect(await committedOffsets(group, topic)).toEqual({ 0: '0', 1: '0', 2: '0' });
  });

  it('refuses --execute while a consumer of the group is connected (exit 1, offsets unchanged)', async () => {
    const before = await committedOffsets(group, topic);
    const consumer = track(kafka.consumer({ groupId: group, maxWaitTimeInMs: 200 }));
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    // autoCommit off: the live member itself moves nothing while we look
    await consumer.run({ autoCommit: false, eachMessage: async () => {} });
    await waitForState('Stable');

    const r = await rewind('--to-offset', '0:3', '--execute', '--reason', 'test', '--json');
    expect(r.code).toBe(1);
    expect(json(r)).toMatchObject({ outcome: 'refused', executed: false, live: true, members: 1 });
    const human = await rewind('--to-offset', '0:3', '--execute', '--reason', 'test');
    expect(human.code).toBe(1);
    expect(human.stdout).toContain(`REFUSED group ${group} has live members (state Stable)`);
    const preview = await rewind('--to-offset', '0:3', '--json');
    expect(preview.code).toBe(0);
    expect(json(preview).live).toBe(true);
    expect(await committedOffsets(group, topic)).toEqual(before);
    await consumer.disconnect();
  });

  it('asks for exactly one target, and names a bad duration', async () => {
    expect((await rewind('--to-offset', '0', '--by-duration', '1h')).code).toBe(2);
    const bad = await rewind('--by-duration', '15 minutes');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--by-duration must be a duration such as 30m');
  });
});
