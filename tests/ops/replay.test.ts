import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTopic } from '../support/eventsConsumer.js';
import { createTopic, messageCount } from '../support/eventsKafka.js';
import { processTopic } from '../support/eventsWorker.js';
import { json, useEventsWorld, type EventsWorld } from '../support/eventsWorld.js';

// `events replay`: failed requests re-published as new events linked by replay_of, with ids
// derived from the original, so that no sequence of runs grants twice.

const world = useEventsWorld();

async function liveVoucherRows(w: EventsWorld, email: string): Promise<number> {
  const rows = await w.s.db
    .selectFrom('reward_redemptions_ledger')
    .select('id')
    .where('user_id', '=', w.s.user(email))
    .where('reward_id', '=', w.s.reward('VOUCHER'))
    .where('success', '=', true)
    .where('cancelled_at', 'is', null)
    .execute();
  return rows.length;
}

async function addCodes(w: EventsWorld, prefix: string, n: number): Promise<void> {
  await w.s.db
    .insertInto('reward_promo_code')
    .values(Array.from({ length: n }, (_, i) => ({ merchant_id: w.s.merchantId, reward_id: w.s.reward('VOUCHER'), promo_code: `${prefix}-${i + 1}` })))
    .execute();
}

describe('events replay', () => {
  it('--failed: a dry run lists, a run publishes replay_of events, the worker grants once, a second run adds nothing', async () => {
    const w = world();
    const topic = await createTopic('events-replay');
    const replay = (...argv: string[]) => w.cli(['events', 'replay', ...argv], { KAFKA_TOPIC: topic });
    // Failures: two member requests for more codes than the pool of 3 holds, one staff grant
    // that failed the same way, and one failure of another kind.
    const ann = await w.s.redeem('ann@e.test', 'VOUCHER', 10);
    const bob = await w.s.redeem('bob@e.test', 'VOUCHER', 5);
    const staff = await w.s.redeem('bob@e.test', 'VOUCHER', 4, { mode: 'direct', actor: 'tester', reason: 'goodwill' });
    const other = await w.s.redeem('ann@e.test', 'MUG', 2000);
    expect([ann, bob, staff, other].map((r) => r.error_code)).toEqual(['INSUFFICIENT_CODES', 'INSUFFICIENT_CODES', 'INSUFFICIENT_CODES', 'INVALID_QUANTITY']);
    // Fix the cause: more codes.
    await addCodes(w, 'MORE', 20);

    const dry = await replay('--failed', '--error-code', 'INSUFFICIENT_CODES', '--dry-run', '--json');
    expect(dry.code, dry.stderr).toBe(0);
    expect(json(dry)).toMatchObject({
      dry_run: true,
      planned: 2,
      published: 0,
      plan: [
        { original: ann.event_id, error_code: 'INSUFFICIENT_CODES', member: 'ann@e.test', reward: 'VOUCHER', quantity: 10, replay_id: `${ann.event_id}:replay:0` },
        { original: bob.event_id, error_code: 'INSUFFICIENT_CODES', member: 'bob@e.test', reward: 'VOUCHER', quantity: 5, replay_id: `${bob.event_id}:replay:0` },
      ],
      skipped: [{ event_id: staff.event_id, why: expect.stringContaining('mode direct') }],
    });
    const human = await replay('--failed', '--error-code', 'INSUFFICIENT_CODES', '--dry-run');
    expect(human.stdout).toContain(`${ann.event_id}:replay:0`);
    expect(human.stdout).toContain('Preview: 2 replay(s) planned, nothing published');
    expect(await messageCount(topic)).toBe(0);

    // Publish; then again before the worker got to them: the same ids, so a redelivery at most.
    const first = await replay('--failed', '--error-code', 'INSUFFICIENT_CODES', '--execute', '--reason', 'test', '--json');
    expect(first.code, first.stderr).toBe(0);
    expect(json(first)).toMatchObject({ planned: 2, published: 2 });
    const again = await replay('--failed', '--error-code', 'INSUFFICIENT_CODES', '--execute', '--reason', 'test', '--json');
    expect(json(again).plan.map((p: { replay_id: string }) => p.replay_id)).toEqual(json(first).plan.map((p: { replay_id: string }) => p.replay_id));
    const messages = await readTopic(topic);
    expect(messages).toHaveLength(4);
    expect(messages.find((m) => m.json!.event_id === `${ann.event_id}:replay:0`)!.json).toMatchObject({
      replay_of: ann.event_id,
      user_id: w.s.user('ann@e.test'),
      reward_id: w.s.reward('VOUCHER'),
      quantity: 10,
      merchant_id: w.s.merchantId,
    });

    const results = await processTopic(w.s.db, topic);
    expect(results.filter((r) => r.success && !r.idempotent)).toHaveLength(2);
    expect(results.filter((r) => r.idempotent)).toHaveLength(2);
    expect(await liveVoucherRows(w, 'ann@e.test')).toBe(10);
    expect(await liveVoucherRows(w, 'bob@e.test')).toBe(5);
    const record = await w.s.db.selectFrom('redemption_requests').selectAll().where('event_id', '=', `${ann.event_id}:replay:0`).executeTakeFirstOrThrow();
    expect(record).toMatchObject({ status: 'succeeded', replay_of: ann.event_id });

    // Once replayed successfully, never again.
    const after = await replay('--failed', '--error-code', 'INSUFFICIENT_CODES', '--execute', '--reason', 'test', '--json');
    expect(json(after)).toMatchObject({ planned: 0, published: 0 });
    expect(json(after).skipped).toEqual(
      expect.arrayContaining([{ event_id: ann.event_id, why: `already replayed successfully as ${ann.event_id}:replay:0` }]),
    );
    expect(await messageCount(topic)).toBe(4);

    // --since filters on when the request was recorded; --error-code only takes known codes.
    expect(json(await replay('--failed', '--since', '2099-01-01T00:00:00Z', '--dry-run', '--json')).planned).toBe(0);
    expect(json(await replay('--failed', '--since', '1h', '--dry-run', '--json')).plan.map((p: { original: string }) => p.original)).toEqual([other.event_id]);
    const bad = await replay('--failed', '--error-code', 'NOPE');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--error-code must be one of');
  });

  it('--file: a replay that fails again is retried under the next id; successes and unknown events are skipped', async () => {
    const w = world();
    const topic = await createTopic('events-replay-file');
    const replay = (...argv: string[]) => w.cli(['events', 'replay', ...argv], { KAFKA_TOPIC: topic });
    const failed = await w.s.redeem('ann@e.test', 'VOUCHER', 60);
    const succeeded = await w.s.redeem('ann@e.test', 'MUG', 1);
    expect([failed.error_code, succeeded.success]).toEqual(['INSUFFICIENT_CODES', true]);
    const event = (eventId: string, reward: string, quantity: number) => ({
      event_id: eventId,
      user_id: w.s.user('ann@e.test'),
      reward_id: w.s.reward(reward),
      quantity,
      merchant_id: w.s.merchantId,
      timestamp: new Date().toISOString(),
    });
    const dir = await mkdtemp(join(tmpdir(), 'events-replay-'));
    const file = join(dir, 'events.jsonl');
    await writeFile(file, [event(failed.event_id, 'VOUCHER', 60), event(succeeded.event_id, 'MUG', 1), event('never-seen', 'MUG', 1)].map((e) => JSON.stringify(e)).join('\n'));

    const first = await replay('--file', file, '--execute', '--reason', 'test', '--json');
    expect(first.code, first.stderr).toBe(0);
    expect(json(first)).toMatchObject({
      planned: 1,
      published: 1,
      plan: [{ original: failed.event_id, replay_id: `${failed.event_id}:replay:0`, attempt: 0 }],
      skipped: [
        { event_id: succeeded.event_id, why: 'the original succeeded; a replay would grant twice' },
        { event_id: 'never-seen', why: expect.stringContaining('events inject --file') },
      ],
    });
    // The cause is not fixed: the replay fails too, and is recorded as a replay.
    const [result] = await processTopic(w.s.db, topic);
    expect(result).toMatchObject({ success: false, error_code: 'INSUFFICIENT_CODES', event_id: `${failed.event_id}:replay:0` });

    const second = await replay('--file', file, '--execute', '--reason', 'test', '--json');
    expect(json(second).plan).toMatchObject([{ original: failed.event_id, replay_id: `${failed.event_id}:replay:1`, attempt: 1 }]);
    // --failed does not offer the failed replay itself as an original
    const listed = json(await replay('--failed', '--dry-run', '--json'));
    expect(listed.plan.map((p: { original: string }) => p.original)).not.toContain(`${failed.event_id}:replay:0`);

    const wrongMerchant = join(dir, 'other.jsonl');
    await writeFile(wrongMerchant, JSON.stringify({ ...event('x-1', 'MUG', 1), merchant_id: '00000000-0000-4000-8000-000000000000' }) + '\n');
    const refused = await replay('--file', wrongMerchant, '--execute', '--reason', 'test');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('line 1: merchant_id');
  });
});
