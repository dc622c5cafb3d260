import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readTopic } from '../support/eventsConsumer.js';
import { createTopic, messageCount } from '../support/eventsKafka.js';
import { json, useEventsWorld } from '../support/eventsWorld.js';

// `events inject` against the real broker and a real database: what lands on the topic, and
// that a bad request publishes nothing at all.

const world = useEventsWorld();
let topic: string;
let dir: string;
// --execute: these tests publish (the preview is tests/ops/safety.test.ts).
const inject = (...argv: string[]) => world().cli(['events', 'inject', '--execute', '--reason', 'test', ...argv], { KAFKA_TOPIC: topic });

async function jsonl(name: string, lines: unknown[]): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
  return path;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'events-inject-'));
});
beforeEach(async () => {
  topic = await createTopic('events-inject');
});

describe('events inject', () => {
  it('publishes one event keyed by user_id, with the fields of the asynchronous path', async () => {
    const { s } = world();
    const r = await inject('--user', 'ann@e.test', '--reward', 'MUG', '--quantity', '2', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = json(r);
    expect(out).toMatchObject({ published: 1, topic });
    const [message, ...rest] = await readTopic(topic);
    expect(rest).toHaveLength(0);
    expect(message!.key).toBe(s.user('ann@e.test'));
    expect(message!.json).toEqual({
      event_id: out.events[0].event_id,
      user_id: s.user('ann@e.test'),
      reward_id: s.reward('MUG'),
      quantity: 2,
      merchant_id: s.merchantId,
      timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
    });
  });

  it('--count 5 publishes five events with their own ids (<event-id>:<n>)', async () => {
    const { s } = world();
    const r = await inject('--user', '+15550001', '--reward', 'VOUCHER', '--count', '5', '--event-id', 'campaign-7', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(json(r).published).toBe(5);
    const messages = await readTopic(topic);
    expect(messages.map((m) => m.json!.event_id).sort()).toEqual(['campaign-7:1', 'campaign-7:2', 'campaign-7:3', 'campaign-7:4', 'campaign-7:5']);
    expect(new Set(messages.map((m) => m.key))).toEqual(new Set([s.user('bob@e.test')]));
    // keyed by member: one partition keeps their order
    expect(new Set(messages.map((m) => m.partition)).size).toBe(1);
  });

  it('--file with three good lines (by email, by uuid, a full event) publishes exactly those', async () => {
    const { s } = world();
    const full = { event_id: 'full-1', user_id: s.user('bob@e.test'), reward_id: s.reward('MUG'), quantity: 3, merchant_id: s.merchantId, timestamp: '2024-05-01T10:00:00Z' };
    const file = await jsonl('good.jsonl', [
      { user: 'ann@e.test', reward: 'MUG' },
      '',
      { user: s.user('bob@e.test'), reward: 'VOUCHER', quantity: 2, event_id: 'by-uuid-1' },
      full,
    ]);
    const r = await inject('--file', file, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ published: 3, topic });
    const messages = await readTopic(topic);
    const byId = new Map(messages.map((m) => [m.json!.event_id as string, m]));
    expect(messages).toHaveLength(3);
    expect(byId.get('full-1')!.json).toEqual(full);
    expect(byId.get('full-1')!.key).toBe(s.user('bob@e.test'));
    expect(byId.get('by-uuid-1')!.json).toMatchObject({ user_id: s.user('bob@e.test'), reward_id: s.reward('VOUCHER'), quantity: 2 });
    const first = messages.find((m) => m.json!.user_id === s.user('ann@e.test'))!;
    expect(first.json).toMatchObject({ reward_id: s.reward('MUG'), quantity: 1, merchant_id: s.merchantId });
  });

  it('a file with one bad line exits 2 naming the line and the field, and publishes nothing', async () => {
    const file = await jsonl('bad.jsonl', [
      { user: 'ann@e.test', reward: 'MUG' },
      { user: 'ann@e.test', reward: 'MUG', quantity: 0 },
      { user: 'bob@e.test', reward: 'MUG' },
    ]);
    const r = await inject('--file', file, '--json');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('line 2');
    expect(r.stderr).toContain('quantity must be a whole number from 1 to 100');
    expect(r.stdout).toBe('');
    expect(await messageCount(topic)).toBe(0);

    const typo = await inject('--file', await jsonl('typo.jsonl', [{ user: 'ann@e.test', reward: 'MUG', qty: 2 }]));
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('line 1: unknown field qty');
  });

  it('an unknown reward_code or member exits 1 with REWARD_NOT_FOUND / USER_NOT_FOUND and publishes nothing', async () => {
    const r = await inject('--user', 'ann@e.test', '--reward', 'NO-SUCH', '--count', '3', '--json');
    expect(r.code).toBe(1);
    expect(json(r)).toMatchObject({ success: false, error_code: 'REWARD_NOT_FOUND', published: 0 });
    const file = await jsonl('unknown-user.jsonl', [{ user: 'ann@e.test', reward: 'MUG' }, { user: 'nobody@e.test', reward: 'MUG' }]);
    const u = await inject('--file', file);
    expect(u.code).toBe(1);
    expect(u.stdout).toContain('REFUSED USER_NOT_FOUND: No member with email nobody@e.test (line 2); nothing published');
    expect(await messageCount(topic)).toBe(0);
  });

  it('--quantity outside 1..100 exits 2 naming --quantity; without brokers exits 3 naming KAFKA_BROKERS', async () => {
    const r = await inject('--user', 'ann@e.test', '--reward', 'MUG', '--quantity', '101');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--quantity must be a whole number from 1 to 100');
    const none = await world().cli(['events', 'inject', '--user', 'ann@e.test', '--reward', 'MUG', '--json'], { KAFKA_BROKERS: undefined, KAFKA_TOPIC: topic });
    expect(none.code).toBe(3);
    expect(none.stderr).toContain('Kafka is not configured: set KAFKA_BROKERS');
    expect(none.stdout).toBe('');
    expect(await messageCount(topic)).toBe(0);
  });
});
