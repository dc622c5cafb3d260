import { randomBytes } from 'node:crypto';
import { get, type IncomingMessage } from 'node:http';
import { Kafka, logLevel, type Admin, type Consumer } from 'kafkajs';
import { afterAll, beforeAll, inject, vi } from 'vitest';
import { createVerifier, type TokenVerifier } from '../../src/api/auth.js';
import { startApiServer, type ApiServer, type ApiServerOptions } from '../../src/api/server.js';
import { EventPublisher } from '../../src/kafka/publisher.js';
import { createLogger } from '../../src/shared/logger.js';
import { createServerDatabase, type TestDatabase } from './databases.js';
import { TEST_AUDIENCE, TEST_ISSUER, TEST_SECRET } from './jwt.js';

// The API under test: a real server database, the real broker, startApiServer on a free port.

export function brokerAddress(): string {
  const brokers = inject('kafkaBrokers') ?? process.env.KAFKA_BROKERS;
  if (!brokers) throw new Error('no Kafka broker: run through vitest (tests/support/kafkaGlobalSetup.ts) or set KAFKA_BROKERS');
  return brokers;
}

export interface PublishedMessage {
  key: string;
  value: Record<string, unknown>;
}

/** One topic of this test file: its high watermark, and (once consuming) every message on it. */
export class KafkaTap {
  readonly messages: PublishedMessage[] = [];
  private consumer: Consumer | undefined;

  private constructor(
    readonly kafka: Kafka,
    readonly admin: Admin,
    readonly topic: string,
  ) {}

  static async create(prefix: string): Promise<KafkaTap> {
    const kafka = new Kafka({ clientId: 'api-test', brokers: [brokerAddress()], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const topic = `${prefix}-${randomBytes(4).toString('hex')}`;
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: false });
    // kafkajs's own wait gives up on UNKNOWN_TOPIC_OR_PARTITION, which a loaded broker answers for
    // a moment after creating the topic: poll until the partition has a leader.
    await vi.waitFor(
      async () => {
        const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
        if ((topics[0]?.partitions[0]?.leader ?? -1) < 0) throw new Error(`topic ${topic} has no leader yet`);
      },
      { timeout: 30_000, interval: 100 },
    );
    return new KafkaTap(kafka, admin, topic);
  }

  /** Messages ever written to the topic: unchanged across a request means it published nothing. */
  async highWatermark(): Promise<number> {
    const offsets = await this.admin.fetchTopicOffsets(this.topic);
    return offsets.reduce((sum, o) => sum + Number(o.high), 0);
  }

  async startConsuming(): Promise<void> {
    this.consumer = this.kafka.consumer({ groupId: `${this.topic}-reader`, maxWaitTimeInMs: 100 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ message }) => {
        this.messages.push({ key: message.key?.toString() ?? '', value: JSON.parse(message.value?.toString() ?? 'null') });
      },
    });
  }

  async message(eventId: string): Promise<PublishedMessage> {
    return vi.waitFor(
      () => {
        const found = this.messages.find((m) => m.value.event_id === eventId);
        if (!found) throw new Error(`event ${eventId} not consumed yet`);
        return found;
      },
      { timeout: 20_000, interval: 50 },
    );
  }

  async close(): Promise<void> {
    await this.consumer?.disconnect().catch(() => {});
    await this.admin.deleteTopics({ topics: [this.topic] }).catch(() => {});
    await this.admin.disconnect();
  }
}

export interface ApiFixture {
  handle: TestDatabase;
  tap: KafkaTap;
  publisher: EventPublisher;
  server: ApiServer;
  url: string;
  /** What the server logged, line by line. */
  logs: string[];
}

export interface ApiSetup {
  topicPrefix: string;
  verifier?: () => Promise<TokenVerifier>;
  consume?: boolean;
  server?: Partial<ApiServerOptions>;
}

/** Database, topic, publisher and server for the file; torn down after its tests. */
export function useApi(setup: ApiSetup): () => ApiFixture {
  let fixture: ApiFixture | undefined;
  beforeAll(async () => {
    const [handle, tap] = await Promise.all([createServerDatabase({ poolSize: 4 }), KafkaTap.create(setup.topicPrefix)]);
    const logs: string[] = [];
    const publisher = await EventPublisher.connect({ brokers: [brokerAddress()], topic: tap.topic, dlqTopic: `${tap.topic}.dlq` }, 'api-test');
    if (setup.consume) await tap.startConsuming();
    // as serve runs it: issuer and audience checked, tokens at most an hour old (JWT_MAX_AGE's default)
    const verifier = setup.verifier
      ? await setup.verifier()
      : createVerifier('HS256', new TextEncoder().encode(TEST_SECRET), { issuer: TEST_ISSUER, audience: TEST_AUDIENCE });
    const server = await startApiServer({
      port: 0,
      database: handle.database,
      publisher,
      verifier,
      logger: createLogger('text', { write: (line: string) => logs.push(line.trimEnd()) }),
      ...setup.server,
    });
    fixture = { handle, tap, publisher, server, url: `http://127.0.0.1:${server.port}`, logs };
  });
  afterAll(async () => {
    if (!fixture) return;
    await fixture.server.close();
    await fixture.publisher.disconnect().catch(() => {});
    await fixture.tap.close();
    await fixture.handle.drop();
  });
  return () => {
    if (!fixture) throw new Error('the API fixture is not ready yet');
    return fixture;
  };
}

export interface Answer {
  status: number;
  body: Record<string, any>;
  headers: Headers;
}

export async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: Record<string, any>;
  try {
    body = JSON.parse(text);
  } catch {
    body = { text };
  }
  return { status: res.status, body, headers: res.headers };
}

/** A server-sent-events client: data objects and comments as they arrive. */
export interface StreamClient {
  status: number;
  headers: IncomingMessage['headers'];
  data: Array<Record<string, any>>;
  comments: string[];
  ended: Promise<void>;
  close(): void;
}

export function openStream(url: string, headers: Record<string, string>): Promise<StreamClient> {
  return new Promise((resolve, reject) => {
    const req = get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      const client: StreamClient = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        data: [],
        comments: [],
        ended: new Promise((done) => res.once('close', () => done())),
        close: () => req.destroy(),
      };
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) client.comments.push(line.slice(1).trim());
            else if (line.startsWith('data: ')) client.data.push(JSON.parse(line.slice(6)));
            else if (client.status !== 200 && line) client.comments.push(line);
          }
        }
      });
      res.on('error', () => {});
      resolve(client);
    });
    req.on('error', reject);
  });
}
