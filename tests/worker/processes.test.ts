// The worker as the daemon it is: `node bin/redeemctl.js worker` child processes, killed with
// SIGKILL mid-stream several times (nothing lost, nothing twice in effect), and stopped with
// SIGTERM (exit 0, committed offsets exactly the processed events, the rest picked up on restart).
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventPublisher } from '../../src/kafka/publisher.js';
import type { RedemptionEvent } from '../../src/kafka/redemptionEvent.js';
import { Scenario, useTestDatabase } from '../support/scenario.js';
import { ensureDist } from '../support/cliHarness.js';
import { WorkerProcess } from '../support/workerProcess.js';
import { brokers, eventFor, KafkaKit, names, pollUntil, recorded, requestsByPartition, settingsFor, workerFixture, wrongEffects } from '../support/workerHarness.js';

const test = useTestDatabase('postgres');
const kit = new KafkaKit();
const spawned: WorkerProcess[] = [];
const publishers: EventPublisher[] = [];
// trust authentication ignores the password: it is here to prove it never reaches a log
const PASSWORD = 'pw-never-logged-7f3a';

beforeAll(async () => {
  const build = await ensureDist();
  if (build.built) console.log(`npm run build: ${build.ms} ms`);
});

afterAll(async () => {
  for (const w of spawned) await w.dispose();
  for (const p of publishers) await p.disconnect();
  await kit.close();
});

function databaseUrl(): string {
  const url = new URL(test().url!);
  url.password = PASSWORD;
  return url.toString();
}

function spawnWorker(topic: string, group: string, extra: string[] = []): WorkerProcess {
  const worker = WorkerProcess.spawn(['--brokers', brokers(), '--topic', topic, '--group', group, ...extra], { DATABASE_URL: databaseUrl() });
  spawned.push(worker);
  return worker;
}

async function publishAll(topic: string, events: RedemptionEvent[]): Promise<void> {
  const publisher = await EventPublisher.connect(settingsFor(topic));
  publishers.push(publisher);
  for (let i = 0; i < events.length; i += 500) await publisher.publish(events.slice(i, i + 500));
}

function mixedEvents(s: Scenario, count: number, members: number): { events: RedemptionEvent[]; expected: Map<string, number> } {
  const events = Array.from({ length: count }, (_, i) => eventFor(s, `m${(i % members) + 1}@w.test`, i % 2 ? 'VOUCHER' : 'MUG', 1 + (i % 3)));
  return { events, expected: new Map(events.map((e) => [e.event_id, e.reward_id === s.reward('VOUCHER') ? e.quantity : 1])) };
}

describe('worker processes', () => {
  it('loses nothing and applies nothing twice when killed with SIGKILL mid-stream, three times', async () => {
    const db = test().database.db;
    const { topic, group } = names('crash');
    await kit.createTopic(topic);
    kit.useGroup(group);
    const s = await Scenario.create(db, workerFixture(40, 2_500));
    const { events, expected } = mixedEvents(s, 2_000, 40);
    const ids = events.map((e) => e.event_id);
    await publishAll(topic, events);
    const count = async () => (await recorded(db, ids)).requests;
    const runs: Array<{ restartMs: number; events: number; seconds: number }> = [];

    // a short session so the group hands a killed worker's partitions on within seconds
    const args = ['--session-timeout', '3000', '--concurrency', '3'];
    for (let kill = 1; kill <= 4; kill++) {
      const before = await count();
      const worker = spawnWorker(topic, group, args);
      await pollUntil(async () => (await count()) > before, { timeoutMs: 30_000, what: `worker ${kill} making progress` });
      const progressAt = Date.now();
      const progressFrom = await count();
      const target = kill <= 3 ? progressFrom + 250 : 2_000;
      const reached = await pollUntil(async () => ((await count()) >= target ? count() : 0), { timeoutMs: 120_000, what: `worker ${kill} reaching ${target}` });
      runs.push({ restartMs: progressAt - worker.startedAt, events: reached - progressFrom, seconds: (Date.now() - progressAt) / 1000 });
      if (kill <= 3) {
        worker.kill('SIGKILL');
        expect((await worker.exited).signal).toBe('SIGKILL');
      } else {
        worker.kill('SIGTERM');
        expect((await worker.exited).code).toBe(0);
      }
    }
    const redelivered = spawned.slice(-4).map((w) => w.lines().filter((l) => l.includes('was already processed (duplicate delivery')).length);
    console.log(
      `crash test: redelivered (idempotent) per worker ${redelivered.join(', ')}; runs:`,
      runs.map((r) => `start→progress ${r.restartMs} ms, ${r.events} events in ${r.seconds.toFixed(2)} s (${Math.round(r.events / r.seconds)}/s)`),
    );

    expect(await count()).toBe(2_000);
    expect(await wrongEffects(db, expected)).toEqual([]);
    const { rows } = await sql<{ status: string; n: number }>`
      select status, count(*)::int as n from redemption_requests where event_id = any (${ids}::text[]) group by status`.execute(db);
    expect(rows).toEqual([{ status: 'succeeded', n: 2_000 }]);
    const codes = await s.codeStatuses('VOUCHER');
    const poolUnits = events.filter((e) => e.reward_id === s.reward('VOUCHER')).reduce((n, e) => n + e.quantity, 0);
    expect(codes.redeemed).toBe(poolUnits);
  }, 240_000);

  it('stops on SIGTERM mid-stream with exit 0, having committed exactly what it processed', async () => {
    const db = test().database.db;
    const { topic, group } = names('sigterm');
    await kit.createTopic(topic);
    kit.useGroup(group);
    const s = await Scenario.create(db, workerFixture(20, 1_500));
    const { events, expected } = mixedEvents(s, 1_000, 20);
    const ids = events.map((e) => e.event_id);
    await publishAll(topic, events);

    const first = spawnWorker(topic, group, ['--log-format', 'json', '--metrics-port', '0']);
    const metricsLine = JSON.parse(await first.waitForLine(/"metrics_port"/)) as { metrics_port: number };
    await first.waitForLine(/Worker started/);
    const scraped = await (await fetch(`http://127.0.0.1:${metricsLine.metrics_port}/metrics`)).text();
    expect(scraped).toMatch(/^redeemctl_worker_up 1$/m);
    await pollUntil(async () => (await recorded(db, ids)).requests >= 100, { what: '100 events processed' });
    first.kill('SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });
    const stoppedAt = (await recorded(db, ids)).requests;
    expect(stoppedAt).toBeLessThan(1_000);

    // committed offsets are exactly the processed events, partition by partition
    const committed = await kit.committed(group, topic);
    const done = await requestsByPartition(db, topic);
    let committedTotal = 0;
    for (const [partition, offset] of committed) {
      committedTotal += Math.max(offset, 0);
      expect(done.get(partition)?.count ?? 0, `partition ${partition}`).toBe(Math.max(offset, 0));
      if (offset > 0) expect(done.get(partition)?.maxOffset, `partition ${partition}`).toBe(offset - 1);
    }
    expect(committedTotal).toBe(stoppedAt);

    // JSON lines, with the domain wording as the message; nothing secret
    const logged = first.lines().map((l) => JSON.parse(l) as { msg: string; level: number; event_id?: string });
    expect(logged.filter((l) => /^\[RewardConsumer\] Processing event \S+ for user=\S+, reward=\S+, quantity=\d+$/.test(l.msg))).not.toHaveLength(0);
    expect(logged.some((l) => /^\[RewardConsumer\] Successfully processed event \S+ in \d+ms$/.test(l.msg) && l.event_id)).toBe(true);
    expect(logged.at(-1)?.msg).toMatch(/Worker stopped: offsets committed, left group/);

    // a restart picks up exactly the rest: no event is seen again
    const second = spawnWorker(topic, group);
    await pollUntil(async () => (await recorded(db, ids)).requests >= 1_000, { timeoutMs: 30_000, what: 'the rest after the restart' });
    second.kill('SIGINT');
    expect((await second.exited).code).toBe(0);
    expect(second.lines().filter((l) => l.includes('already processed'))).toEqual([]);
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from redemption_requests where event_id = any (${ids}::text[]) and redelivery_count > 0`.execute(db);
    expect(rows[0]!.n).toBe(0);
    expect(await wrongEffects(db, expected)).toEqual([]);
    for (const w of [first, second]) expect(w.stdout + w.stderr).not.toContain(PASSWORD);
  }, 180_000);
});
