import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureDist, runBinary, type CliResult } from '../support/cliHarness.js';
import { headerText, readTopic } from '../support/eventsConsumer.js';
import { createTopic, messageCount, producer, randomName } from '../support/eventsKafka.js';
import { json, useEventsWorld } from '../support/eventsWorld.js';
import { pollUntil, startTestWorker } from '../support/workerHarness.js';

// Issue 11, operator safety, through the built CLI (bin/redeemctl.js): what publishes or moves
// offsets previews unless --execute, needs a --reason then and records an audit row; replay's
// default window; an injected event's actor reaches the request row through the worker; codes
// import asks (no terminal: --yes). Redrive's case is in dlq.test.ts: every redrive shares one
// consumer group, so two at once (two test files) would take partitions from each other.

const world = useEventsWorld();
let dir: string;

function cli(argv: string[], extra: Record<string, string> = {}): Promise<CliResult> {
  return runBinary(argv, { ...world().env, ...extra }, dir);
}

async function auditRows(action: string) {
  return world()
    .s.db.selectFrom('audit_log')
    .select(['merchant_id', 'actor', 'action', 'target_type', 'target_id', 'reason', 'details'])
    .where('action', '=', action)
    .orderBy('id')
    .execute();
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'safety-'));
  await ensureDist();
});

// The four cases touch different topics, rows and audit actions: they run at once (a third of the wall time).
describe.concurrent('operator safety', () => {
  describe('events replay: a preview unless --execute, in a 24 h window unless --since', () => {
    it('publishes nothing without --execute, needs --reason with it, and leaves a failure older than 24 h out by default', async () => {
      const w = world();
      const topic = await createTopic('safety-replay');
      const env = { KAFKA_TOPIC: topic };
      const recent = await w.s.redeem('ann@e.test', 'MUG', 2000);
      const old = await w.s.redeem('bob@e.test', 'MUG', 3000);
      expect([recent.error_code, old.error_code]).toEqual(['INVALID_QUANTITY', 'INVALID_QUANTITY']);
      await sql`update redemption_requests set created_at = now() - interval '48 hours' where event_id = ${old.event_id}`.execute(w.s.db);

      const [preview, noReason, wider] = await Promise.all([
        cli(['events', 'replay', '--failed'], env),
        cli(['events', 'replay', '--failed', '--execute'], env),
        cli(['events', 'replay', '--failed', '--since', '7d', '--json'], env),
      ]);
      expect(preview.code, preview.stderr).toBe(0);
      expect(preview.stdout).toMatch(/failures since \d{4}-\d{2}-\d{2}T[\d:.]+Z \(default window 24h; widen with --since\)/);
      expect(preview.stdout).toContain(`Target: database ${w.env.DATABASE_URL}, topic ${topic} @ ${w.env.KAFKA_BROKERS}`);
      expect(preview.stdout).toContain('Preview: 1 replay(s) planned, nothing published');
      expect(preview.stdout).toContain(recent.event_id);
      expect(preview.stdout).not.toContain(old.event_id);
      expect(noReason.code).toBe(2);
      expect(noReason.stderr).toContain('--reason is required with --execute');
      expect(noReason.stdout).toBe('');
      expect(json(wider)).toMatchObject({ dry_run: true, executed: false, window_default: false, planned: 2, published: 0 });
      expect(await messageCount(topic)).toBe(0);
      expect(await auditRows('events_replay')).toEqual([]);

      const run = await cli(['events', 'replay', '--failed', '--execute', '--reason', 'quantity cap raised', '--json'], { ...env, REDEEMCTL_ACTOR: 'op-rita' });
      expect(run.code, run.stderr).toBe(0);
      const out = json(run);
      expect(out).toMatchObject({ executed: true, window_default: true, planned: 1, published: 1 });
      expect(Date.now() - Date.parse(out.since)).toBeGreaterThan(24 * 3_600_000 - 60_000);
      const [message, ...rest] = await readTopic(topic);
      expect(rest).toEqual([]);
      expect(message!.json).toMatchObject({ event_id: `${recent.event_id}:replay:0`, replay_of: recent.event_id });
      expect(headerText(message!.headers, 'x-actor')).toBe('op-rita');
      expect(await auditRows('events_replay')).toEqual([
        {
          merchant_id: w.s.merchantId,
          actor: 'op-rita',
          action: 'events_replay',
          target_type: 'topic',
          target_id: topic,
          reason: 'quantity cap raised',
          details: expect.objectContaining({ published: 1, planned: 1, window_default: true, event_ids: [`${recent.event_id}:replay:0`] }),
        },
      ]);
    });
  });

  describe('events inject', () => {
    it('previews without --execute; with it, records an audit row and the worker stores the operator as the actor', async () => {
      const w = world();
      const topic = await createTopic('safety-inject');
      const env = { KAFKA_TOPIC: topic, REDEEMCTL_ACTOR: 'op-ines' };
      const preview = await cli(['events', 'inject', '--user', 'ann@e.test', '--reward', 'MUG', '--count', '2'], env);
      expect(preview.code, preview.stderr).toBe(0);
      expect(preview.stdout).toContain('Preview: 2 event(s) would be published');
      expect(preview.stdout).toContain('Target: database');
      expect(await messageCount(topic)).toBe(0);

      const run = await cli(['events', 'inject', '--user', 'ann@e.test', '--reward', 'MUG', '--event-id', randomName('make-good'), '--execute', '--reason', 'ticket 42', '--json'], env);
      expect(run.code, run.stderr).toBe(0);
      const eventId = json(run).events[0].event_id as string;
      expect(await auditRows('events_inject')).toEqual([
        expect.objectContaining({ merchant_id: w.s.merchantId, actor: 'op-ines', target_type: 'topic', target_id: topic, reason: 'ticket 42', details: expect.objectContaining({ published: 1, event_ids: [eventId] }) }),
      ]);

      const worker = await startTestWorker({ database: w.handle.database, topic, group: randomName('safety-worker') });
      try {
        await pollUntil(() => worker.processed.some((p) => p.eventId === eventId), { what: `the worker to process ${eventId}` });
      } finally {
        await worker.handle.stop();
      }
      const request = await w.s.db.selectFrom('redemption_requests').select(['status', 'actor', 'source_type']).where('event_id', '=', eventId).executeTakeFirstOrThrow();
      expect(request).toEqual({ status: 'succeeded', actor: 'op-ines', source_type: 'kafka' });
      const ledger = await w.s.db.selectFrom('reward_redemptions_ledger').select('actor').where('event_id', '=', eventId).execute();
      expect(ledger).toEqual([{ actor: 'op-ines' }]);
    });
  });

  describe('codes import', () => {
    it('without a terminal and without --yes exits 2 naming --yes, and imports nothing; --reason is required', async () => {
      const w = world();
      const file = join(dir, 'codes.csv');
      await writeFile(file, 'code\nSAFE-1\nSAFE-2\n');
      const count = async () => (await w.s.db.selectFrom('reward_promo_code').select('id').where('promo_code', 'like', 'SAFE-%').execute()).length;
      const [noYes, noReason] = await Promise.all([
        cli(['codes', 'import', file, '--reward', 'VOUCHER', '--reason', 'spring lot']),
        cli(['codes', 'import', file, '--reward', 'VOUCHER', '--yes']),
      ]);
      expect(noYes.code).toBe(2);
      expect(noYes.stderr).toContain(`Import the codes of ${file} into the pool of reward VOUCHER (Target: database`);
      expect(noYes.stderr).toContain('pass --yes to go ahead');
      expect(noReason.code).toBe(2);
      expect(noReason.stderr).toContain('--reason is required');
      expect(await count()).toBe(0);

      const ok = await cli(['codes', 'import', file, '--reward', 'VOUCHER', '--reason', 'spring lot', '--yes', '--json'], { REDEEMCTL_ACTOR: 'op-cora' });
      expect(ok.code, ok.stderr).toBe(0);
      expect(await count()).toBe(2);
      expect(await auditRows('codes_import')).toEqual([
        expect.objectContaining({ actor: 'op-cora', target_type: 'reward', target_id: w.s.reward('VOUCHER'), reason: 'spring lot', details: expect.objectContaining({ imported: 2, rows_read: 2, import_id: json(ok).batch_id }) }),
      ]);
    });
  });

  describe('events rewind records an audit row', () => {
    it('rewind --execute needs --reason, moves the offsets and records them (no merchant: a group is topic-wide)', async () => {
      const topic = await createTopic('safety-rewind');
      const group = randomName('safety-rewind-group');
      const p = await producer();
      await p.send({ topic, messages: [0, 1, 2].map((partition) => ({ partition, key: 'k', value: '{}' })) });
      const env = { KAFKA_TOPIC: topic, REDEEMCTL_ACTOR: 'op-ravi' };
      const noReason = await cli(['events', 'rewind', '--group', group, '--to-offset', '1', '--execute'], env);
      expect(noReason.code).toBe(2);
      expect(noReason.stderr).toContain('--reason is required with --execute');
      const run = await cli(['events', 'rewind', '--group', group, '--to-offset', '1', '--execute', '--reason', 'skip the poison message', '--json'], env);
      expect(run.code, run.stderr).toBe(0);
      expect(json(run)).toMatchObject({ outcome: 'executed' });
      const [row, ...rest] = await auditRows('events_rewind');
      expect(rest).toEqual([]);
      expect(row).toMatchObject({ merchant_id: null, actor: 'op-ravi', target_type: 'consumer_group', target_id: group, reason: 'skip the poison message' });
      expect(row!.details).toMatchObject({ topic, partitions_moved: 3, moved: [0, 1, 2].map((partition) => ({ partition, from: null, to: 1 })) });
    });
  });
});
