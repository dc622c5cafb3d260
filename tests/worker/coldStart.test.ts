// A cold start (issue 10, point 1): the worker starts before its topic exists, as a deployment
// does. It creates the topic and its .dlq with the configured partition count (logging it), and
// the events published afterwards are processed.
import { afterAll, describe, expect, it } from 'vitest';
import { EventPublisher } from '../../src/kafka/publisher.js';
import { Scenario, useTestDatabase } from '../support/scenario.js';
import { eventFor, KafkaKit, names, pollUntil, recorded, settingsFor, startTestWorker, workerFixture, type TestWorker } from '../support/workerHarness.js';

const test = useTestDatabase('postgres');
const kit = new KafkaKit();
const workers: TestWorker[] = [];
let publisher: EventPublisher | undefined;

afterAll(async () => {
  for (const w of workers) await w.handle.stop();
  await publisher?.disconnect();
  await kit.close();
});

describe('worker: a cold start', () => {
  it('creates its missing topic and .dlq with --partitions, then processes what is published', async () => {
    const db = test().database.db;
    const s = await Scenario.create(db, workerFixture(4));
    const { topic, group } = names('cold');
    kit.useTopic(topic);
    kit.useTopic(`${topic}.dlq`);
    kit.useGroup(group);

    const worker = await startTestWorker({ database: test().database, topic, group, topicPartitions: 4 });
    workers.push(worker);
    expect(worker.lines()).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`Created Kafka topic ${topic} with 4 partitions \\(replication factor 1\\)`)),
        expect.stringMatching(new RegExp(`Created Kafka topic ${topic}\\.dlq with 4 partitions`)),
      ]),
    );
    const admin = await kit.admin();
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic, `${topic}.dlq`] });
    expect(topics.map((t) => t.partitions.length)).toEqual([4, 4]);

    publisher = await EventPublisher.connect(settingsFor(topic));
    const events = Array.from({ length: 8 }, (_, i) => eventFor(s, `m${(i % 4) + 1}@w.test`, 'MUG'));
    await publisher.publish(events);
    const ids = events.map((e) => e.event_id);
    await pollUntil(async () => (await recorded(db, ids)).requests === ids.length, { timeoutMs: 30_000, what: 'the events published after the cold start' });

    // a second worker in the same group finds the topics and creates nothing
    const second = await startTestWorker({ database: test().database, topic, group });
    workers.push(second);
    expect(second.lines().filter((l) => l.includes('Created Kafka topic'))).toEqual([]);
  });
});
