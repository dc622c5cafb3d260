import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Admin, type Consumer, type KafkaMessage, type Producer } from 'kafkajs';
import { sql, type Kysely } from 'kysely';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, inject } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { EventPublisher } from '../../src/kafka/publisher.js';
import type { Schema } from '../../src/db/schema.js';
import { newEvent, type RedemptionEvent } from '../../src/kafka/redemptionEvent.js';
import type { KafkaSettings } from '../../src/kafka/settings.js';
import { waitForLeaders } from '../../src/kafka/topics.js';
import { createLogger, type LogFormat } from '../../src/shared/logger.js';
import { startWorker, type Processed, type WorkerHandle, type WorkerOptions } from '../../src/worker/worker.js';
import type { FixtureInput } from '../../src/demo/fixtureSchema.js';
import { uniqueName, type Scenario } from './scenario.js';

// Helpers for tests/worker: the real broker (global setup), a topic and a group per test, an
// in-process worker with its log captured, and polling on conditions instead of sleeping.

export function brokers(): string {
  const address = inject('kafkaBrokers') ?? process.env.KAFKA_BROKERS ?? '';
  if (!address) throw new Error('no Kafka broker: run through vitest (tests/support/kafkaGlobalSetup.ts) or set KAFKA_BROKERS');
  return address;
}

export function settingsFor(topic: string): KafkaSettings {
  return { brokers: [brokers()], topic, dlqTopic: `${topic}.dlq` };
}

/** A random topic and group name for one test. */
export function names(prefix: string): { topic: string; group: string } {
  const suffix = randomUUID().slice(0, 8);
  return { topic: `test-${prefix}-${suffix}`, group: `test-${prefix}-group-${suffix}` };
}

/** The Kafka clients one test file uses; close() disconnects them all and deletes what it made. */
export class KafkaKit {
  readonly kafka = new Kafka({ clientId: 'worker-test', brokers: [brokers()], logLevel: logLevel.NOTHING });
  private readonly clients: Array<Admin | Producer | Consumer> = [];
  private readonly topics = new Set<string>();
  private readonly groups = new Set<string>();
  private adminClient: Admin | undefined;

  async admin(): Promise<Admin> {
    if (!this.adminClient) {
      this.adminClient = this.kafka.admin();
      await this.adminClient.connect();
    }
    return this.adminClient;
  }

  /**
   * A topic with `partitions` partitions, and its DLQ (so its first write need not create it);
   * `dlqConfig`: topic settings for the DLQ (a small max.message.bytes, say).
   */
  async createTopic(topic: string, partitions = 3, dlqConfig: Array<{ name: string; value: string }> = []): Promise<void> {
    const admin = await this.admin();
    await admin.createTopics({
      topics: [
        { topic, numPartitions: partitions, replicationFactor: 1 },
        { topic: `${topic}.dlq`, numPartitions: 1, replicationFactor: 1, configEntries: dlqConfig },
      ],
    });
    // Not kafkajs's waitForLeaders: it retries LEADER_NOT_AVAILABLE only, and a KRaft broker under
    // load answers UNKNOWN_TOPIC_OR_PARTITION for a moment after the creation (a CI run failed so).
    await waitForLeaders(admin, [topic, `${topic}.dlq`], 30_000);
    this.topics.add(topic).add(`${topic}.dlq`);
  }

  /** A topic something else creates (the worker, at start): deleted by close(). */
  useTopic(topic: string): string {
    this.topics.add(topic);
    return topic;
  }

  useGroup(group: string): string {
    this.groups.add(group);
    return group;
  }

  async producer(): Promise<Producer> {
    const producer = this.kafka.producer({ allowAutoTopicCreation: false });
    this.clients.push(producer);
    await producer.connect();
    return producer;
  }

  /** Every message of `topic` from the beginning, until `count` arrived (a fresh group each time). */
  async readAll(topic: string, count: number, timeoutMs = 20_000): Promise<KafkaMessage[]> {
    const groupId = this.useGroup(`test-reader-${randomUUID().slice(0, 8)}`);
    const consumer = this.kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
    this.clients.push(consumer);
    const messages: KafkaMessage[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void messages.push(message) });
    try {
      await pollUntil(() => messages.length >= count, { timeoutMs, what: `${count} messages on ${topic} (got ${messages.length})` });
    } finally {
      await consumer.disconnect();
    }
    return messages;
  }

  /** Committed offset per partition of a group ('-1' where nothing was committed). */
  async committed(group: string, topic: string): Promise<Map<number, number>> {
    const [offsets] = await (await this.admin()).fetchOffsets({ groupId: group, topics: [topic] });
    return new Map((offsets?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  }

  async close(): Promise<void> {
    for (const client of this.clients.reverse()) await client.disconnect().catch(() => {});
    const admin = await this.admin();
    await admin.deleteGroups([...this.groups]).catch(() => {});
    await admin.deleteTopics({ topics: [...this.topics] }).catch(() => {});
    await admin.disconnect();
  }
}

/**
 * True when a group's committed offset is at the end of every partition. A partition nothing was
 * written to counts as done with no commit at all: under load the producer's first metadata can
 * name fewer partitions, so keyed events need not reach every one.
 */
export function committedToEnd(ends: ReadonlyArray<{ partition: number; high: string }>, committed: ReadonlyMap<number, number>): boolean {
  return ends.every((e) => {
    const offset = committed.get(e.partition) ?? -1;
    return offset === Number(e.high) || (Number(e.high) === 0 && offset < 0);
  });
}

/** Waits until `check` returns something truthy (and returns it); throws after timeoutMs. */
export async function pollUntil<T>(
  check: () => T | Promise<T>,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${options.what ?? 'a condition'}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
}

/** A log stream in memory. */
export function captureLog(): { stream: { write(line: string): boolean }; lines(): string[] } {
  const chunks: string[] = [];
  return {
    stream: { write: (line: string) => chunks.push(line) > 0 },
    lines: () => chunks.join('').split('\n').filter(Boolean),
  };
}

export interface TestWorker {
  handle: WorkerHandle;
  processed: Processed[];
  registry: Registry;
  lines(): string[];
  metric(name: string, labels?: Record<string, string>): Promise<number>;
}

/** startWorker in this process, its log captured and every processed message recorded. */
export async function startTestWorker(
  options: { database: Database; topic: string; group: string; logFormat?: LogFormat } & Partial<WorkerOptions>,
): Promise<TestWorker> {
  const log = captureLog();
  const registry = new Registry();
  const processed: Processed[] = [];
  const handle = await startWorker({
    kafka: settingsFor(options.topic),
    logger: createLogger(options.logFormat ?? 'text', log.stream),
    registry,
    sessionTimeoutMs: 6_000,
    ...options,
    onProcessed: (p) => {
      processed.push(p);
      options.onProcessed?.(p);
    },
  });
  return { handle, processed, registry, lines: log.lines, metric: (name, labels) => metricValue(registry, name, labels) };
}

/** One worker test file's Kafka side, set up before its tests and torn down after them. */
export interface WorkerTopic {
  readonly kit: KafkaKit;
  readonly topic: string;
  readonly group: string;
  /** Connected in beforeAll (unless `publisher: false`). */
  readonly publisher: EventPublisher;
  /** Starts an in-process worker on this topic and group; it is stopped after the file. */
  startWorker(options: Omit<Parameters<typeof startTestWorker>[0], 'topic' | 'group'> & { group?: string }): Promise<TestWorker>;
}

/**
 * The setup every worker test file shares: a fresh topic (with its DLQ) and group named after
 * `prefix`, a publisher on it, and every worker the file starts; afterAll stops the workers, then
 * disconnects the publisher and the Kafka clients and deletes the topics.
 */
export function useWorkerTopic(
  prefix: string,
  options: { partitions?: number; publisher?: boolean; dlqConfig?: Array<{ name: string; value: string }> } = {},
): WorkerTopic {
  const kit = new KafkaKit();
  const { topic, group } = names(prefix);
  const workers: TestWorker[] = [];
  let publisher: EventPublisher | undefined;
  beforeAll(async () => {
    await kit.createTopic(topic, options.partitions, options.dlqConfig);
    kit.useGroup(group);
    if (options.publisher !== false) publisher = await EventPublisher.connect(settingsFor(topic));
  });
  afterAll(async () => {
    for (const worker of workers) await worker.handle.stop();
    await publisher?.disconnect();
    await kit.close();
  });
  return {
    kit,
    topic,
    group,
    get publisher() {
      if (!publisher) throw new Error('no publisher: the file asked for none, or beforeAll has not run');
      return publisher;
    },
    async startWorker(workerOptions) {
      const worker = await startTestWorker({ ...workerOptions, topic, group: workerOptions.group ?? group });
      workers.push(worker);
      return worker;
    },
  };
}

/** The sum of a metric's values whose labels include `labels`. */
export async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  return (metric?.values ?? [])
    .filter((v) => Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want))
    .reduce((sum, v) => sum + v.value, 0);
}

/** Merchant A with members and three rewards (no pool, a big pool, a 7-code pool). */
export function workerFixture(members = 3, poolCodes = 50): FixtureInput {
  return {
    merchant: { name: uniqueName('Worker') },
    users: Array.from({ length: members }, (_, i) => ({ email: `m${i + 1}@w.test`, points: 1_000_000 })),
    rewards: [
      { reward_code: 'MUG', name: 'Mug', fallback_points: 10 },
      { reward_code: 'VOUCHER', name: 'Voucher', assign_promocode: true, fallback_points: 20, codes: { generate: poolCodes, prefix: 'V-' } },
      { reward_code: 'SMALL', name: 'Small pool', assign_promocode: true, fallback_points: 30, codes: { generate: 7, prefix: 'S-' } },
    ],
  };
}

export function eventFor(s: Scenario, user: string, reward: string, quantity = 1): RedemptionEvent {
  return newEvent({ userId: s.user(user), rewardId: s.reward(reward), merchantId: s.merchantId, quantity });
}

/** Request records and ledger rows written for these events. */
export async function recorded(db: Kysely<Schema>, eventIds: string[]): Promise<{ requests: number; rows: number }> {
  const { rows } = await sql<{ requests: number; rows: number }>`
    select (select count(*) from redemption_requests where event_id = any (${eventIds}::text[]))::int as requests,
           (select count(*) from reward_redemptions_ledger where event_id = any (${eventIds}::text[]))::int as rows`.execute(db);
  return rows[0]!;
}

/** Events whose ledger rows are not what their request calls for (pool: N rows, else 1), or that have no request. */
export async function wrongEffects(db: Kysely<Schema>, expected: Map<string, number>): Promise<Array<{ event_id: string; rows: number; expected: number }>> {
  const ids = [...expected.keys()];
  const { rows } = await sql<{ event_id: string; rows: number; requests: number }>`
    select e.event_id, (select count(*) from reward_redemptions_ledger l where l.event_id = e.event_id and l.success)::int as rows,
           (select count(*) from redemption_requests r where r.event_id = e.event_id)::int as requests
    from unnest(${ids}::text[]) as e(event_id)`.execute(db);
  return rows
    .filter((r) => r.requests !== 1 || r.rows !== expected.get(r.event_id))
    .map((r) => ({ event_id: r.event_id, rows: r.requests === 1 ? r.rows : -1, expected: expected.get(r.event_id)! }));
}

/** Request records per partition of `topic` (from source_id topic/partition/offset). */
export async function requestsByPartition(db: Kysely<Schema>, topic: string): Promise<Map<number, { count: number; maxOffset: number }>> {
  const { rows } = await sql<{ partition: number; count: number; max_offset: number }>`
    select split_part(source_id, '/', 2)::int as partition, count(*)::int as count, max(split_part(source_id, '/', 3)::bigint)::int as max_offset
    from redemption_requests where source_type = 'kafka' and split_part(source_id, '/', 1) = ${topic}
    group by 1`.execute(db);
  return new Map(rows.map((r) => [r.partition, { count: r.count, maxOffset: r.max_offset }]));
}
