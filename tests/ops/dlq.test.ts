import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureDist, runBinary, type CliResult } from '../support/cliHarness.js';
import { deadLetterHeaders, DLQ_HEADERS } from '../../src/kafka/deadLetter.js';
import { headerText, readTopic } from '../support/eventsConsumer.js';
import { admin, createTopic, messageCount, producer, randomName } from '../support/eventsKafka.js';
import { json, useEventsWorld } from '../support/eventsWorld.js';

// `dlq list` and `dlq redrive` on dead letters written by hand exactly as the worker writes them
// (deadLetterHeaders), checking the bytes that go back and that nothing goes back twice.

const world = useEventsWorld();
let topic: string;
let dlqTopic: string;
const dlq = (...argv: string[]) => world().cli(['dlq', ...argv], { KAFKA_TOPIC: topic });
let dir: string;

/** The built CLI (bin/redeemctl.js), for issue 11's acceptance: the redrive destination and its audit row. */
function cli(argv: string[], extra: Record<string, string> = {}): Promise<CliResult> {
  return runBinary(argv, { ...world().env, ...extra }, dir);
}

async function auditRows(action: string) {
  return world().s.db.selectFrom('audit_log').select(['merchant_id', 'actor', 'action', 'target_type', 'target_id', 'reason', 'details']).where('action', '=', action).orderBy('id').execute();
}

/** Not UTF-8 and not JSON: must come back byte for byte. */
const BINARY = Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x7b]);
let goodEvent: Record<string, unknown>;
let eventId: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dlq-'));
  await ensureDist();
  const { s } = world();
  topic = await createTopic('events-dlq');
  dlqTopic = await createTopic('events-dlq', 3, `${topic}.dlq`);
  eventId = randomName('stuck');
  goodEvent = { event_id: eventId, user_id: s.user('ann@e.test'), reward_id: s.reward('MUG'), quantity: 1, merchant_id: s.merchantId, timestamp: new Date().toISOString() };
  const failedAt = new Date().toISOString();
  const p = await producer();
  const letter = (partition: number, key: Buffer | string, value: Buffer | string, info: Parameters<typeof deadLetterHeaders>[0], original = {}) => ({
    topic: dlqTopic,
    messages: [{ partition, key, value, headers: deadLetterHeaders(info, original) }],
  });
  // partition 0: an unreadable message, then one that failed processing; partition 2: a missing field
  await p.send(letter(0, Buffer.from([0x01, 0x02]), BINARY, { reason: 'not JSON: Unexpected token', errorCode: 'INVALID_EVENT', originTopic: topic, originPartition: 1, originOffset: '4', failedAt }, { 'trace-id': 'abc' }));
  await p.send(letter(0, String(goodEvent.user_id), JSON.stringify(goodEvent), { reason: 'deadlock detected', errorCode: 'PROCESSING_ERROR', originTopic: topic, originPartition: 0, originOffset: '9', failedAt, eventId }));
  await p.send(letter(2, 'k3', JSON.stringify({ ...goodEvent, event_id: 'no-reward', reward_id: undefined }), { reason: 'reward_id: Invalid input', errorCode: 'INVALID_EVENT', originTopic: topic, originPartition: 2, originOffset: '0', failedAt, eventId: 'no-reward' }));
});

describe('dlq', () => {
  it('list --json shows every dead letter with its reason, origin and a preview', async () => {
    const r = await dlq('list', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = json(r);
    expect(out).toMatchObject({ topic: dlqTopic, exists: true, count: 3, redriven: 0, complete: true });
    expect(out.messages).toEqual([
      expect.objectContaining({ partition: 0, offset: '0', error_code: 'INVALID_EVENT', reason: 'not JSON: Unexpected token', origin_topic: topic, origin_partition: 1, origin_offset: '4', event_id: null, parses: false, redriven: false }),
      expect.objectContaining({ partition: 0, offset: '1', error_code: 'PROCESSING_ERROR', reason: 'deadlock detected', origin_partition: 0, origin_offset: '9', event_id: eventId, parses: true, preview: JSON.stringify(goodEvent).slice(0, 120) + '…' }),
      expect.objectContaining({ partition: 2, offset: '0', error_code: 'INVALID_EVENT', event_id: 'no-reward', parses: false, parse_error: expect.stringContaining('reward_id') }),
    ]);
    const human = await dlq('list', '--limit', '1');
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain('1 message(s) in');
    const csv = await dlq('list', '--output', 'csv');
    expect(csv.code, csv.stderr).toBe(0);
    const lines = csv.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^dlq p:offset,error code,reason,/);
    expect(lines[2]).toContain('PROCESSING_ERROR');
  });

  it('redrive previews, sends the original bytes with redriveHeaders on --execute, and never twice', async () => {
    const preview = await dlq('redrive', '--json');
    expect(preview.code, preview.stderr).toBe(0);
    expect(json(preview)).toMatchObject({ executed: false, candidates: 3, selected: 3, redriven: 0 });
    expect(json(preview).messages.map((m: { parses: boolean }) => m.parses)).toEqual([false, true, false]);
    expect(await messageCount(topic)).toBe(0);

    // in order within a partition: 0:1 cannot go before 0:0
    const gap = await dlq('redrive', '--execute', '--reason', 'test', '--offset', '0:1');
    expect(gap.code).toBe(2);
    expect(gap.stderr).toContain('would skip 0:0');
    expect(await messageCount(topic)).toBe(0);

    const one = await dlq('redrive', '--execute', '--reason', 'test', '--offset', '0:0', '--json');
    expect(one.code, one.stderr).toBe(0);
    // One redrive group per DLQ topic, so redrives of two topics never block each other.
    expect(json(one)).toMatchObject({ executed: true, selected: 1, redriven: 1, committed: [{ partition: 0, offset: '1' }], group: `redeemctl-dlq-redrive.${dlqTopic}` });
    const [back] = await readTopic(topic);
    expect(back!.value).toEqual(BINARY);
    expect(back!.keyBytes).toEqual(Buffer.from([0x01, 0x02]));
    expect(headerText(back!.headers, 'trace-id')).toBe('abc');
    expect(headerText(back!.headers, DLQ_HEADERS.redrivenFrom)).toBe('0');
    expect(Object.keys(back!.headers).filter((h) => h.startsWith('x-dlq') || h.startsWith('x-origin'))).toEqual([]);

    const rest = await dlq('redrive', '--execute', '--reason', 'test');
    expect(rest.code, rest.stderr).toBe(0);
    expect(rest.stdout).toContain('Redrove 2 message(s)');
    expect(rest.stdout).toContain('still do not parse');
    const messages = await readTopic(topic);
    expect(messages).toHaveLength(3);
    const event = messages.find((m) => m.json?.event_id === eventId)!;
    expect(event.value!.toString()).toBe(JSON.stringify(goodEvent));
    expect(event.key).toBe(goodEvent.user_id);

    const again = await dlq('redrive', '--execute', '--reason', 'test', '--json');
    expect(again.code, again.stderr).toBe(0);
    expect(json(again)).toMatchObject({ executed: false, candidates: 0, redriven: 0 });
    expect(await messageCount(topic)).toBe(3);
    const listed = json(await dlq('list', '--json'));
    expect(listed).toMatchObject({ count: 3, redriven: 3 });
    const already = await dlq('redrive', '--execute', '--reason', 'test', '--offset', '0:0');
    expect(already.code).toBe(2);
    expect(already.stderr).toContain('already redriven');
  });

  it('redrive sends only to the configured topic (skipping another origin, with why), --to sends it there; both are audited', async () => {
    const home = await createTopic('safety-redrive');
    const homeDlq = await createTopic('safety-redrive', 2, `${home}.dlq`);
    const elsewhere = await createTopic('safety-elsewhere');
    const failedAt = new Date().toISOString();
    const letter = (partition: number, value: string, originTopic: string) => ({
      topic: homeDlq,
      messages: [{ partition, key: 'k', value, headers: deadLetterHeaders({ reason: 'r', errorCode: 'INVALID_EVENT', originTopic, originPartition: 0, originOffset: '0', failedAt }) }],
    });
    const p = await producer();
    await p.send(letter(0, 'ours', home));
    await p.send(letter(1, 'theirs', elsewhere));
    const env = { KAFKA_TOPIC: home, REDEEMCTL_ACTOR: 'op-dora' };

    const [preview, missing] = await Promise.all([cli(['dlq', 'redrive'], env), cli(['dlq', 'redrive', '--to', randomName('no-such-topic'), '--execute', '--reason', 'x'], env)]);
    expect(preview.code, preview.stderr).toBe(0);
    expect(preview.stdout).toContain(`Target: database`);
    expect(preview.stdout).toContain(`Preview: 1 message(s) would go to ${home}; 1 skipped`);
    expect(preview.stdout).toContain(`origin topic ${elsewhere} is not the configured topic ${home}; pass --to ${elsewhere} to send it there`);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--to');
    expect(missing.stderr).toContain('no such topic');

    const run = await cli(['dlq', 'redrive', '--execute', '--reason', 'parser fixed', '--json'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(json(run)).toMatchObject({ executed: true, destination: home, redriven: 1, skipped: [{ partition: 1, offset: '0', origin_topic: elsewhere }] });
    expect((await readTopic(home)).map((m) => m.value!.toString())).toEqual(['ours']);
    expect(await messageCount(elsewhere)).toBe(0);

    const to = await cli(['dlq', 'redrive', '--execute', '--reason', 'their parser fixed', '--to', elsewhere, '--json'], env);
    expect(to.code, to.stderr).toBe(0);
    expect(json(to)).toMatchObject({ executed: true, destination: elsewhere, redriven: 1, skipped: [] });
    expect((await readTopic(elsewhere)).map((m) => m.value!.toString())).toEqual(['theirs']);
    expect((await auditRows('dlq_redrive')).filter((row) => row.target_id === homeDlq)).toEqual([
      expect.objectContaining({ merchant_id: null, actor: 'op-dora', target_type: 'topic', target_id: homeDlq, reason: 'parser fixed', details: expect.objectContaining({ destination: home, redriven: 1, skipped: 1 }) }),
      expect.objectContaining({ reason: 'their parser fixed', details: expect.objectContaining({ destination: elsewhere, redriven: 1, skipped: 0 }) }),
    ]);

    const audit = await cli(['audit', '--actor', 'op-dora', '--json']);
    expect(audit.code, audit.stderr).toBe(0);
    expect(json(audit)).toMatchObject({ total: 2, entries: [{ action: 'dlq_redrive', reason: 'their parser fixed' }, { action: 'dlq_redrive', reason: 'parser fixed' }] });
  });

  it('marks committed by the shared redrive group of older versions still count: nothing is sent twice after an upgrade', async () => {
    const old = await createTopic('events-legacy');
    const oldDlq = await createTopic('events-legacy', 1, `${old}.dlq`);
    const p = await producer();
    for (const value of ['first', 'second']) await p.send({ topic: oldDlq, messages: [{ partition: 0, value }] });
    await (await admin()).setOffsets({ groupId: 'redeemctl-dlq-redrive', topic: oldDlq, partitions: [{ partition: 0, offset: '1' }] });
    const r = await world().cli(['dlq', 'redrive', '--json'], { KAFKA_TOPIC: old });
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ candidates: 1, selected: 1, messages: [{ partition: 0, offset: '1' }] });
  });

  it('list on a topic without a dead-letter topic says so', async () => {
    const r = await world().cli(['dlq', 'list', '--json'], { KAFKA_TOPIC: randomName('events-no-dlq') });
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ exists: false, count: 0, messages: [] });
  });
});
