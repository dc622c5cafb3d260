import { describe, expect, it } from 'vitest';
import { committedOffsets, createTopic, producer, randomName } from '../support/eventsKafka.js';
import { json, useEventsWorld } from '../support/eventsWorld.js';

// `events tail`: --limit makes it finite, which is what a test (or a script) can run.

const world = useEventsWorld();

describe('events tail', () => {
  it('--from-beginning --limit 3 --json prints three JSON lines and exits 0', async () => {
    const topic = await createTopic('events-tail');
    const injected = await world().cli(['events', 'inject', '--user', 'ann@e.test', '--reward', 'MUG', '--count', '3', '--execute', '--reason', 'test', '--json'], { KAFKA_TOPIC: topic });
    expect(injected.code, injected.stderr).toBe(0);
    const ids = json(injected).events.map((e: { event_id: string }) => e.event_id);

    const r = await world().cli(['events', 'tail', '--from-beginning', '--limit', '3', '--json'], { KAFKA_TOPIC: topic });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((line) => JSON.parse(line) as { key: string; partition: number; offset: string; event: { event_id: string } });
    expect(lines).toHaveLength(3);
    expect(lines.map((l) => l.event.event_id)).toEqual(ids);
    expect(lines.every((l) => l.key === world().s.user('ann@e.test'))).toBe(true);
    expect(r.stderr).toContain('3 message(s) shown');
  });

  it('prints one human line per message, unreadable ones included; a named group resumes where it stopped', async () => {
    const topic = await createTopic('events-tail');
    const p = await producer();
    await p.send({ topic, messages: [{ key: 'a', value: '{"broken' }, { key: 'a', value: '{"also":"not an event"}' }, { key: 'a', value: 'third' }] });
    const group = randomName('events-tail-group');
    const tail = (limit: string) => world().cli(['events', 'tail', '--from-beginning', '--limit', limit, '--group', group], { KAFKA_TOPIC: topic });

    const first = await tail('2');
    expect(first.code, first.stderr).toBe(0);
    const lines = first.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^p\d #0 key=a UNREADABLE not JSON/);
    expect(lines[1]).toMatch(/^p\d #1 key=a UNREADABLE event_id: /);
    // what was shown is committed; the rest is left for next time
    expect(Object.values(await committedOffsets(group, topic))).toContain('2');
    const next = await tail('1');
    expect(next.stdout).toMatch(/^p\d #2 key=a UNREADABLE not JSON.*: third\n$/);
  });

  it("refuses the worker's group and a topic that does not exist", async () => {
    const worker = await world().cli(['events', 'tail', '--group', 'crm-reward-consumer']);
    expect(worker.code).toBe(2);
    expect(worker.stderr).toContain("the worker's group");
    const missing = await world().cli(['events', 'tail', '--limit', '1'], { KAFKA_TOPIC: randomName('events-missing') });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('does not exist');
  });
});
