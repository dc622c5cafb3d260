import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';
import { inject, vi } from 'vitest';
import { kafkaRetry } from '../../src/kafka/opsClients.js';

// The real test broker (tests/support/kafkaGlobalSetup.ts) for tests/ops: a client, random
// topics with 3 partitions, and every client and topic cleaned up by closeAll().

export const brokers: string = inject('kafkaBrokers') ?? process.env.KAFKA_BROKERS ?? '';
if (!brokers) throw new Error("no Kafka broker: run through vitest (tests/support/kafkaGlobalSetup.ts) or set KAFKA_BROKERS");

export const kafka = new Kafka({ clientId: 'events-test', brokers: [brokers], logLevel: logLevel.NOTHING });

const clients: Array<Admin | Producer | Consumer> = [];
const topics: string[] = [];
let sharedAdmin: Admin | undefined;

export function randomName(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/** Tracks a client so closeAll() disconnects it. */
export function track<T extends Admin | Producer | Consumer>(client: T): T {
  clients.push(client);
  return client;
}

export async function admin(): Promise<Admin> {
  if (!sharedAdmin) {
    sharedAdmin = track(kafka.admin());
    await sharedAdmin.connect();
  }
  return sharedAdmin;
}

export async function producer(): Promise<Producer> {
  const p = track(kafka.producer());
  await p.connect();
  return p;
}

/** A new topic (3 partitions by default), deleted by closeAll(). */
export async function createTopic(prefix = 'events-test', numPartitions = 3, name = randomName(prefix)): Promise<string> {
  const a = await admin();
  topics.push(name);
  // kafkajs's waitForLeaders retries only LEADER_NOT_AVAILABLE; a KRaft broker under load can
  // answer UNKNOWN_TOPIC_OR_PARTITION for a moment after creating it. Wait for the leaders here.
  await a.createTopics({ topics: [{ topic: name, numPartitions, replicationFactor: 1 }], waitForLeaders: false });
  await vi.waitFor(
    async () => {
      const { topics: [meta] } = await a.fetchTopicMetadata({ topics: [name] });
      const ready = meta?.partitions.filter((p) => p.leader >= 0).length ?? 0;
      if (ready < numPartitions) throw new Error(`${name}: ${ready} of ${numPartitions} partitions have a leader`);
      await a.fetchTopicOffsets(name); // and the leaders answer
    },
    { timeout: 30_000, interval: 100 },
  );
  return name;
}

/** How many messages the topic holds (sum of high minus low watermarks): 0 means nothing was published. */
export async function messageCount(topic: string): Promise<number> {
  const a = await admin();
  const offsets = await kafkaRetry(() => a.fetchTopicOffsets(topic));
  return offsets.reduce((sum, o) => sum + Number(o.high) - Number(o.low), 0);
}

/** The group's committed offset per partition ('-1' when none). */
export async function committedOffsets(groupId: string, topic: string): Promise<Record<number, string>> {
  const a = await admin();
  const [committed] = await kafkaRetry(() => a.fetchOffsets({ groupId, topics: [topic] }));
  return Object.fromEntries((committed?.partitions ?? []).map((p) => [p.partition, p.offset]));
}

export async function closeAll(): Promise<void> {
  const a = sharedAdmin;
  if (a && topics.length > 0) {
    // Only topics that exist: kafkajs retries an unknown one for seconds.
    const existing = new Set(await a.listTopics());
    const ours = [...topics, ...topics.map((t) => `${t}.dlq`)].filter((t) => existing.has(t));
    if (ours.length > 0) await a.deleteTopics({ topics: ours }).catch(() => {});
  }
  for (const client of clients.reverse()) await client.disconnect().catch(() => {});
  clients.length = 0;
  topics.length = 0;
  sharedAdmin = undefined;
}
