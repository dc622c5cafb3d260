// The broker restarted (docs/testing.md, "Reliability tests"): a private Kafka broker, so the suite's shared
// broker is not disturbed, is killed with SIGKILL while events flow and started again on the same
// ports and log dir. The worker (in process) retries, pauses rather than skips, and catches up:
// every event published before, during and after the restart ends with exactly one request record
// and the ledger rows it calls for, none lost, none twice, and the worker is still running.
// The broker stays down 20 s before it starts again (about 26 s in all): longer than kafkajs's own
// retries (8, about 21 s), so the consumer usually crashes and is restarted by kafkajs, offsets
// not yet committed are delivered again, and the worker must treat those as duplicates. A plain
// restart (about 7 s) is ridden out by kafkajs's retries alone and exercises much less.
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventPublisher } from '../../src/kafka/publisher.js';
import type { RedemptionEvent } from '../../src/kafka/redemptionEvent.js';
import type { KafkaSettings } from '../../src/kafka/settings.js';
import { createLogger } from '../../src/shared/logger.js';
import { startWorker, type Processed, type WorkerHandle } from '../../src/worker/worker.js';
import { Scenario, useTestDatabase } from '../support/scenario.js';
import { captureLog, committedToEnd, eventFor, metricValue, names, pollUntil, recorded, workerFixture, wrongEffects } from '../support/workerHarness.js';
import { waitForLeaders } from '../../src/kafka/topics.js';

/** What scripts/kafka-broker.js exports (plain JavaScript; the parts used here). */
interface BrokerHandle {
  brokers: string;
  pid: number;
  startupMs: number;
}
interface KafkaBrokerModule {
  startBroker(opts?: { killOnExit?: boolean }): Promise<BrokerHandle>;
  stopBroker(handle: BrokerHandle): Promise<void>;
  restartBroker(handle: BrokerHandle, opts?: { signal?: 'SIGKILL' | 'SIGTERM'; downMs?: number }): Promise<BrokerHandle>;
}
// a computed specifier keeps tsc from resolving the untyped module (as in kafkaGlobalSetup.ts)
const brokerModuleUrl = new URL('../../scripts/kafka-broker.js', import.meta.url).href;

const MEMBERS = 12;
const DOWN_MS = 20_000;
const test = useTestDatabase('postgres');
const { topic, group } = names('brokerrestart');
let brokerModule: KafkaBrokerModule;
let broker: BrokerHandle | undefined;
let settings: KafkaSettings;
let admin: Admin | undefined;
let publisher: EventPublisher | undefined;
let worker: WorkerHandle | undefined;
const log = captureLog();
const registry = new Registry();
const processed: Processed[] = [];
const savedLogLevel = process.env.KAFKAJS_LOG_LEVEL;

beforeAll(async () => {
  // kafkajs's own error lines (one per failed reconnect while the broker is down) would flood
  // the test output; the worker's log, captured below, tells what happened
  process.env.KAFKAJS_LOG_LEVEL = 'NOTHING';
  brokerModule = (await import(brokerModuleUrl)) as KafkaBrokerModule;
  broker = await brokerModule.startBroker({ killOnExit: true });
  settings = { brokers: [broker.brokers], topic, dlqTopic: `${topic}.dlq` };
  admin = new Kafka({ clientId: 'broker-restart-test', brokers: settings.brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic, numPartitions: 3, replicationFactor: 1 },
      { topic: settings.dlqTopic, numPartitions: 1, replicationFactor: 1 },
    ],
  });
  // kafkajs's waitForLeaders retries LEADER_NOT_AVAILABLE only (see src/kafka/topics.ts).
  await waitForLeaders(admin, [topic, settings.dlqTopic], 30_000);
  publisher = await EventPublisher.connect(settings, 'broker-restart-publisher');
  worker = await startWorker({
    database: test().database,
    kafka: settings,
    group,
    concurrency: 3,
    logger: createLogger('text', log.stream),
    registry,
    sessionTimeoutMs: 6_000,
    onProcessed: (p) => void processed.push(p),
  });
});

afterAll(async () => {
  await worker?.stop().catch(() => {});
  await publisher?.disconnect().catch(() => {});
  await admin?.disconnect().catch(() => {});
  if (broker) await brokerModule.stopBroker(broker);
  if (savedLogLevel === undefined) delete process.env.KAFKAJS_LOG_LEVEL;
  else process.env.KAFKAJS_LOG_LEVEL = savedLogLevel;
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Publishes until the broker acknowledges (acks -1), trying again while it is away. */
async function publishRetrying(events: RedemptionEvent[], timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      await publisher!.publish(events);
      return attempt;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await pause(200); // back-off between tries, not a wait for a condition
    }
  }
}

describe('worker: the broker restarts', () => {
  it('retries, pauses rather than skips, and catches up with nothing lost and nothing twice', { timeout: 120_000 }, async () => {
    const db = test().database.db;
    const s = await Scenario.create(db, workerFixture(MEMBERS, 2_000));
    const published: RedemptionEvent[] = [];
    let n = 0;
    const make = (count: number) => {
      const events = Array.from({ length: count }, () => {
        const i = n++;
        return eventFor(s, `m${(i % MEMBERS) + 1}@w.test`, i % 2 ? 'VOUCHER' : 'MUG', 1 + (i % 3));
      });
      published.push(...events);
      return events;
    };
    const count = async () => (await recorded(db, published.map((e) => e.event_id))).requests;
    let settled = false;
    void worker!.done.then(
      () => (settled = true),
      () => (settled = true),
    );

    // a steady trickle of events, before, during and after the restart: 5 every 50 ms or so
    let flowing = true;
    let retriedPublishes = 0;
    const flow = (async () => {
      while (flowing) {
        if ((await publishRetrying(make(5))) > 1) retriedPublishes++;
        await pause(50);
      }
    })();
    await pollUntil(async () => (await count()) >= 40, { timeoutMs: 30_000, what: 'the worker processing the first events' });

    // a burst, so that the kill lands mid-stream: kill as soon as its first events are recorded
    const burst = make(300);
    await publishRetrying(burst);
    const burstIds = burst.map((e) => e.event_id);
    await pollUntil(async () => (await recorded(db, burstIds)).requests >= 20, { timeoutMs: 30_000, what: 'the burst being processed' });
    const atKill = { published: published.length, recorded: await count() };

    const killedAt = Date.now();
    const restarting = brokerModule.restartBroker(broker!, { signal: 'SIGKILL', downMs: DOWN_MS });
    // published while the broker is down (restartBroker kills it, then waits DOWN_MS)
    const during = make(30);
    const duringSent = publishRetrying(during);
    await restarting;
    const upAt = Date.now();
    expect(await duringSent, 'a publish during the restart was acknowledged').toBeGreaterThanOrEqual(1);

    // after the restart: the trickle goes on until 60 more events were published and recorded
    const afterFrom = published.length;
    await pollUntil(() => published.length >= afterFrom + 60, { timeoutMs: 30_000, what: 'publishing after the restart' });
    flowing = false;
    await flow;
    const ids = published.map((e) => e.event_id);
    await pollUntil(async () => (await count()) === ids.length, {
      timeoutMs: 60_000,
      intervalMs: 100,
      what: `all ${ids.length} events recorded after the restart (worker log tail:\n${log.lines().slice(-15).join('\n')})`,
    });
    const caughtUpAt = Date.now();

    // nothing lost, nothing twice: one request record per event, the ledger rows each calls for
    const rowsFor = (e: RedemptionEvent) => (e.reward_id === s.reward('VOUCHER') ? e.quantity : 1);
    const expected = new Map(published.map((e) => [e.event_id, rowsFor(e)]));
    expect(await wrongEffects(db, expected)).toEqual([]);
    expect(await recorded(db, ids)).toEqual({
      requests: ids.length,
      rows: published.reduce((sum, e) => sum + rowsFor(e), 0),
    });
    // each event took effect once in the worker too; redeliveries (offsets not yet committed when
    // the broker died, or a publish retried after a lost ack) are idempotent results
    const effects = new Map<string, number>();
    for (const p of processed.filter((p) => p.outcome === 'succeeded')) effects.set(p.eventId!, (effects.get(p.eventId!) ?? 0) + 1);
    expect(effects.size).toBe(ids.length);
    expect([...effects.values()].every((times) => times === 1)).toBe(true);
    expect(processed.filter((p) => p.outcome !== 'succeeded' && p.outcome !== 'idempotent')).toEqual([]);

    // pauses rather than skips: the committed offsets reach the end of every partition
    const ends = await admin!.fetchTopicOffsets(topic);
    await pollUntil(
      async () => {
        const [offsets] = await admin!.fetchOffsets({ groupId: group, topics: [topic] });
        return committedToEnd(ends, new Map((offsets?.partitions ?? []).map((p) => [p.partition, Number(p.offset)])));
      },
      { timeoutMs: 60_000, what: 'offsets committed to the end of each partition' },
    );

    // the worker is still running, and still consuming: one more event goes through
    expect(settled).toBe(false);
    expect(await metricValue(registry, 'redeemctl_worker_up')).toBe(1);
    const last = make(1);
    await publishRetrying(last);
    await pollUntil(async () => (await recorded(db, last.map((e) => e.event_id))).requests === 1, { what: 'an event after catching up' });
    expect(await wrongEffects(db, new Map(last.map((e) => [e.event_id, rowsFor(e)])))).toEqual([]);

    const redeliveries = processed.filter((p) => p.outcome === 'idempotent').length;
    console.log(
      `broker restart: ${published.length} events (${atKill.published - atKill.recorded} waiting at the kill), ` +
        `broker down+up ${((upAt - killedAt) / 1000).toFixed(1)} s, caught up ${((caughtUpAt - upAt) / 1000).toFixed(1)} s later, ` +
        `${redeliveries} redeliveries (idempotent), ${retriedPublishes} publishes retried, ` +
        `consumer crashes logged: ${log.lines().filter((l) => l.includes('Kafka consumer crashed')).length}`,
    );
  });
});
