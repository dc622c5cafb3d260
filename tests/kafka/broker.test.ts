// Integration test against the real Kafka broker started by tests/support/kafkaGlobalSetup.ts
// (or the one named by KAFKA_BROKERS): produce/consume with a consumer group, and the admin calls
// the worker and the operator CLI rely on.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import type { Admin, Consumer, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { waitForLeaders } from '../../src/kafka/topics.js';

// the global setup provides it; KAFKA_BROKERS covers a run without that setup
const brokers: string = inject('kafkaBrokers') ?? process.env.KAFKA_BROKERS ?? '';
if (!brokers) {
  throw new Error(
    "no Kafka broker: add 'tests/support/kafkaGlobalSetup.ts' to globalSetup in vitest.config.ts, or set KAFKA_BROKERS",
  );
}
const suffix = randomUUID().slice(0, 8);
const topic = `test-broker-${suffix}`;
const groupId = `test-broker-group-${suffix}`;

const KEYS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];
const PER_KEY = 5; // 6 keys x 5 = 30 messages
const TOTAL = KEYS.length * PER_KEY;

interface Received {
  key: string;
  seq: number;
  partition: number;
  offset: string;
}

const kafka = new Kafka({ clientId: 'broker-test', brokers: [brokers], logLevel: logLevel.NOTHING });
const clients: Array<Admin | Producer | Consumer> = [];
let admin: Admin;
let produceStartedAt = 0;

/** A consumer in `groupId` that collects every message of `topic` from the committed offsets. */
async function startCollecting(received: Received[]): Promise<Consumer> {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 500 });
  clients.push(consumer);
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const key = message.key?.toString() ?? '';
      const { seq } = JSON.parse(message.value?.toString() ?? '{}') as { seq: number };
      received.push({ key, seq, partition, offset: message.offset });
    },
  });
  return consumer;
}

function sumOf(values: string[]): number {
  return values.reduce((acc, v) => acc + Number(v), 0);
}

beforeAll(async () => {
  admin = kafka.admin();
  clients.push(admin);
  await admin.connect();
  const created = await admin.createTopics({
    topics: [{ topic, numPartitions: 3, replicationFactor: 1 }],
  });
  expect(created).toBe(true);
  // kafkajs's waitForLeaders retries LEADER_NOT_AVAILABLE only (see src/kafka/topics.ts).
  await waitForLeaders(admin, [topic], 30_000);
});

afterAll(async () => {
  for (const client of clients.reverse()) {
    await client.disconnect().catch(() => {});
  }
  // best effort: leave the shared broker tidy
  const cleanup = kafka.admin();
  await cleanup.connect();
  await cleanup.deleteGroups([groupId]).catch(() => {});
  await cleanup.deleteTopics({ topics: [topic] }).catch(() => {});
  await cleanup.disconnect();
});

describe('kafka broker (real, via kafkajs 2.2.4)', () => {
  it('is reachable through inject() and KAFKA_BROKERS', async () => {
    expect(brokers).toMatch(/^[\w.-]+:\d+$/);
    expect(process.env.KAFKA_BROKERS).toBe(brokers);
    const cluster = await admin.describeCluster();
    expect(cluster.brokers.map((b) => `${b.host}:${b.port}`)).toContain(brokers);
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(meta.topics[0]?.partitions).toHaveLength(3);
  });

  it('delivers 30 keyed messages to a consumer group with per-key order', async () => {
    const producer = kafka.producer();
    clients.push(producer);
    await producer.connect();
    produceStartedAt = Date.now();
    // one message per request, interleaving the keys: the order within each key is what Kafka keeps
    for (let seq = 0; seq < PER_KEY; seq++) {
      for (const key of KEYS) {
        await producer.send({ topic, messages: [{ key, value: JSON.stringify({ key, seq }) }] });
      }
    }

    const received: Received[] = [];
    const consumer = await startCollecting(received);
    await vi.waitFor(() => expect(received.length).toBeGreaterThanOrEqual(TOTAL), { timeout: 30_000, interval: 50 });

    expect(received).toHaveLength(TOTAL);
    for (const key of KEYS) {
      const ofKey = received.filter((r) => r.key === key);
      expect(ofKey.map((r) => r.seq), `order of ${key}`).toEqual([...Array(PER_KEY).keys()]);
      expect(new Set(ofKey.map((r) => r.partition)).size, `${key} stays on one partition`).toBe(1);
    }
    // the keys were spread over more than one of the 3 partitions
    expect(new Set(received.map((r) => r.partition)).size).toBeGreaterThan(1);

    // let the consumer commit what it read, then stop it: the group becomes Empty
    await vi.waitFor(
      async () => {
        const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
        expect(sumOf(committed?.partitions.map((p) => p.offset) ?? [])).toBe(TOTAL);
      },
      { timeout: 15_000, interval: 200 },
    );
    await consumer.disconnect();
    await vi.waitFor(
      async () => {
        const { groups } = await admin.describeGroups([groupId]);
        expect(groups[0]?.state).toBe('Empty');
      },
      { timeout: 15_000, interval: 200 },
    );
  });

  it('answers fetchTopicOffsets(ByTimestamp) and moves a stopped group with setOffsets/resetOffsets', async () => {
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets).toHaveLength(3);
    expect(sumOf(offsets.map((o) => o.high))).toBe(TOTAL);
    expect(offsets.every((o) => o.low === '0')).toBe(true);

    const byTime = await admin.fetchTopicOffsetsByTimestamp(topic, produceStartedAt - 1_000);
    expect(byTime.every((o) => o.offset === '0')).toBe(true);

    // setOffsets: rewind every partition by one message
    await admin.setOffsets({
      groupId,
      topic,
      partitions: offsets.map((o) => ({ partition: o.partition, offset: String(Number(o.high) - 1) })),
    });
    const [afterSet] = await admin.fetchOffsets({ groupId, topics: [topic] });
    for (const o of offsets) {
      const p = afterSet?.partitions.find((x) => x.partition === o.partition);
      expect(p?.offset).toBe(String(Number(o.high) - 1));
    }

    // resetOffsets(earliest): kafkajs commits the "earliest" sentinel (-2) ...
    await admin.resetOffsets({ groupId, topic, earliest: true });
    const [afterReset] = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(afterReset?.partitions.map((p) => p.offset)).toEqual(['-2', '-2', '-2']);

    // ... which a consumer joining the group resolves to the start: all 30 again
    const again: Received[] = [];
    const consumer = await startCollecting(again);
    await vi.waitFor(() => expect(again.length).toBeGreaterThanOrEqual(TOTAL), { timeout: 30_000, interval: 50 });
    expect(again).toHaveLength(TOTAL);
    await consumer.disconnect();
  });
});
