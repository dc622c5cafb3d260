import type { Consumer, ConsumerConfig, Kafka, Producer } from 'kafkajs';
import type { Registry } from 'prom-client';
import type { Database } from '../db/database.js';
import { DependencyError, explainKafkaError, KafkaUnreachableError } from '../shared/errors.js';
import type { RetryPolicy } from '../shared/retry.js';
import { createKafka } from '../kafka/client.js';
import { DEFAULT_GROUP, type KafkaSettings } from '../kafka/settings.js';
import { DEFAULT_REPLICATION_FACTOR, DEFAULT_TOPIC_PARTITIONS, ensureTopics } from '../kafka/topics.js';
import { redactSecrets } from '../shared/redact.js';
import type { Logger } from '../shared/logger.js';
import { ConsumerLag } from './consumerLag.js';
import { DeadLetterPublisher } from './deadLetterPublisher.js';
import type { Processed } from './messageScope.js';
import { DEFAULT_BATCH_MAX_MS, DEFAULT_BATCH_SIZE } from './batchDefaults.js';
import { createBatchHandler } from './processBatch.js';
import { errorText, WorkerLog } from './workerLog.js';
import { startExpirySweep, SWEEP_INTERVAL_MS } from './expirySweep.js';
import { createWorkerMetrics } from './workerMetrics.js';

export type { Processed } from './messageScope.js';

export interface WorkerOptions {
  database: Database;
  kafka: KafkaSettings;
  /** Consumer group (default crm-reward-consumer). */
  group?: string;
  /** Partitions processed at once (kafkajs partitionsConsumedConcurrently); default 3. */
  concurrency?: number;
  logger: Logger;
  registry: Registry;
  /** Called after each message's offset was resolved (tests). */
  onProcessed?: (processed: Processed) => void;
  /** How soon the group notices a dead worker (default 10 s; the broker's minimum is 6 s by default). */
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** Resolved offsets are committed at least this often, and every 100 messages (default 1 s). */
  commitIntervalMs?: number;
  /** Tries before a message that keeps raising a non-transient error is dead-lettered (default 5). */
  maxFailures?: number;
  /**
   * Failed dead-letter sends before the fallback (default 5; a permanent refusal such as
   * MESSAGE_TOO_LARGE takes it at once): docs/worker.md, "When the dead-letter send fails".
   */
  deadLetterAttempts?: number;
  retryPolicy?: RetryPolicy;
  clientId?: string;
  env?: Record<string, string | undefined>;
  /** Create the topic and its .dlq when missing (default true), with this many partitions (default 3)… */
  createTopics?: boolean;
  topicPartitions?: number;
  /** …and replicas (default 1). */
  replicationFactor?: number;
  /** stop() gives up waiting after this long (default 30 s): in-flight work is abandoned uncommitted. */
  shutdownTimeoutMs?: number;
  /**
   * Events of one partition in one database transaction (default
   * DEFAULT_BATCH_SIZE; 1: one transaction per event). docs/worker.md, "Groups".
   */
  batchSize?: number;
  /** A group takes no further event once its transaction has been open this long (default DEFAULT_BATCH_MAX_MS). */
  batchMaxMs?: number;
  /** How often to retire expired codes from the claim index (src/worker/expirySweep.ts; default 60 s, 0: never). */
  sweepIntervalMs?: number;
}

/**
 * How stop() ended: everything committed and the group left, or not: given up after the shutdown
 * timeout, or ended at once because the consumer had crashed (the broker away) and committed nothing.
 */
export type StopOutcome = 'stopped' | 'timed_out';

export interface WorkerHandle {
  readonly group: string;
  /**
   * Graceful: no new batches, in-flight messages finish, offsets committed, group left; bounded by
   * the shutdown timeout, after which it resolves 'timed_out' (what was not committed is delivered
   * again later, and the event id makes that harmless). Never rejects.
   */
  stop(): Promise<StopOutcome>;
  /** Resolves once stopped; rejects if the consumer crashed and kafkajs gave up restarting it. */
  readonly done: Promise<void>;
  /** The partitions this worker holds since its last (re)join, by topic. */
  assignment(): Record<string, number[]>;
}

/**
 * Starts consuming: resolves once the consumer joined its group. A new group starts from the
 * earliest offset, so events published before the first worker ever ran are not lost.
 */
export async function startWorker(options: WorkerOptions): Promise<WorkerHandle> {
  const group = options.group ?? DEFAULT_GROUP;
  const concurrency = options.concurrency ?? 3;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const batchMaxMs = options.batchMaxMs ?? DEFAULT_BATCH_MAX_MS;
  const log = new WorkerLog(options.logger);
  const metrics = createWorkerMetrics(options.registry);
  const lag = new ConsumerLag(metrics.lag);
  const abort = new AbortController();

  const kafka = await createKafka(options.kafka, options.clientId ?? `redeemctl-worker`, options.env);
  if (options.createTopics !== false) await prepareTopics(kafka, options, log);
  const consumer = kafka.consumer(consumerConfig(group, options, abort.signal));
  const producer = kafka.producer({ allowAutoTopicCreation: true });

  let settle!: { resolve: () => void; reject: (error: unknown) => void };
  const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  done.catch(() => {}); // a caller that never awaits it must not see an unhandled rejection

  let assignment: Record<string, number[]> = {};
  // The crash kafkajs is restarting from, until the consumer joins its group again: a stop in that
  // time commits nothing and leaves no group, however quickly it ends.
  let crashed: { error: unknown } | undefined;
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    crashed = undefined;
    assignment = event.payload.memberAssignment;
    lag.retain(assignment);
    log.assigned(group, assignment);
  });
  consumer.on(consumer.events.CRASH, (event) => {
    log.consumerCrashed(event.payload.error, event.payload.restart);
    crashed = { error: event.payload.error };
    if (event.payload.restart) return;
    metrics.up.set(0);
    lag.clear();
    void producer.disconnect().catch(() => {});
    settle.reject(new DependencyError(`The Kafka consumer stopped: ${errorText(event.payload.error)}`, { cause: event.payload.error }));
  });

  try {
    await Promise.all([consumer.connect(), producer.connect()]);
    await consumer.subscribe({ topic: options.kafka.topic, fromBeginning: true });
    const deps = {
      db: options.database.db,
      dlq: new DeadLetterPublisher(producer, options.kafka.dlqTopic),
      log,
      metrics,
      signal: abort.signal,
      maxFailures: options.maxFailures ?? 5,
      deadLetterAttempts: options.deadLetterAttempts ?? 5,
      policy: options.retryPolicy,
      batchSize,
      batchMaxMs,
    };
    await consumer.run({
      partitionsConsumedConcurrently: concurrency,
      eachBatchAutoResolve: false,
      autoCommitInterval: options.commitIntervalMs ?? 1_000,
      autoCommitThreshold: 100,
      eachBatch: createBatchHandler(deps, lag, options.onProcessed),
    });
  } catch (error) {
    abort.abort();
    await Promise.allSettled([consumer.disconnect(), producer.disconnect()]);
    throw startFailure(error, options.kafka.brokers);
  }

  metrics.up.set(1);
  log.started({ group, topic: options.kafka.topic, concurrency, batchSize, batchMaxMs, brokers: options.kafka.brokers, database: redactSecrets(options.database.location) });

  const sweep = startExpirySweep(options.database.db, log, options.sweepIntervalMs ?? SWEEP_INTERVAL_MS);
  done.then(sweep.stop, sweep.stop);
  const stop = stopper({ abort, consumer, producer, log, group, timeoutMs: options.shutdownTimeoutMs ?? 30_000, crashed: () => crashed }, () => {
    metrics.up.set(0);
    lag.clear();
    settle.resolve();
  });
  return { group, stop: () => stop().then(async (outcome) => (await sweep.stop(), outcome)), done, assignment: () => assignment };
}

/** The topic and its .dlq, created when missing, each creation logged. */
async function prepareTopics(kafka: Kafka, options: WorkerOptions, log: WorkerLog): Promise<void> {
  const partitions = options.topicPartitions ?? DEFAULT_TOPIC_PARTITIONS;
  const replicationFactor = options.replicationFactor ?? DEFAULT_REPLICATION_FACTOR;
  try {
    const created = await ensureTopics(kafka, { topics: [options.kafka.topic, options.kafka.dlqTopic], partitions, replicationFactor });
    for (const topic of created) log.topicCreated(topic, partitions, replicationFactor);
  } catch (error) {
    throw startFailure(error, options.kafka.brokers);
  }
}

interface StopParts {
  abort: AbortController;
  consumer: Consumer;
  producer: Producer;
  log: WorkerLog;
  group: string;
  timeoutMs: number;
  /** The consumer's crash while kafkajs restarts it (undefined once it has joined again). */
  crashed: () => { error: unknown } | undefined;
}

/**
 * stop(), once however often it is called: abort (every back-off ends, no new batch starts), then
 * kafkajs waits for the batches in flight, commits the resolved offsets and leaves the group; all
 * of that bounded by the shutdown timeout, since with the broker or the database away it may never
 * end. After the timeout what was in flight is abandoned, uncommitted, and stop() resolves.
 */
function stopper(parts: StopParts, finished: () => void): () => Promise<StopOutcome> {
  let stopping: Promise<StopOutcome> | undefined;
  return () =>
    (stopping ??= (async () => {
      parts.abort.abort();
      const graceful = (async () => {
        await parts.consumer.disconnect();
        await parts.producer.disconnect();
      })();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timed_out'>((resolve) => (timer = setTimeout(() => resolve('timed_out'), parts.timeoutMs)));
      const outcome = await Promise.race([graceful.then(() => 'stopped' as const), timedOut]).catch((error: unknown) => error);
      clearTimeout(timer);
      // A consumer that had crashed (the broker away) disconnects at once, but it committed
      // nothing and left no group: that is the broker-down stop, not a graceful one.
      const crash = outcome === 'stopped' ? parts.crashed() : undefined;
      const clean = outcome === 'stopped' && !crash;
      if (clean) parts.log.stopped(parts.group);
      else {
        graceful.catch(() => {});
        parts.log.stopAbandoned(parts.group, parts.timeoutMs, crash ? crash.error : outcome === 'timed_out' ? undefined : outcome);
      }
      finished();
      return clean ? 'stopped' : 'timed_out';
    })());
}

function consumerConfig(group: string, options: WorkerOptions, stopping: AbortSignal): ConsumerConfig {
  return {
    groupId: group,
    // kafkajs restarts a crashed consumer on a timer, and a crash can land after stop(): a restart
    // begun before the stop (the broker was already down) fails once the consumer has been
    // disconnected, and its restart timer would then keep a stopped worker's process alive,
    // reconnecting forever. Once stopping, a crash is final. (retries: kafkajs's consumer default.)
    retry: { retries: 5, restartOnFailure: async () => !stopping.aborted },
    sessionTimeout: options.sessionTimeoutMs ?? 10_000,
    heartbeatInterval: options.heartbeatIntervalMs ?? 1_000,
    // Bounds how long stop() waits for an idle long-poll fetch.
    maxWaitTimeInMs: 1_000,
  };
}

/**
 * Why the consumer could not start: no broker answering in the one wording of explainKafkaError
 * (src/shared/errors.ts), anything else (a subscription refused, say) in the worker's own words.
 * Both are the dependency being down, exit 3.
 */
function startFailure(error: unknown, brokers: readonly string[]): DependencyError {
  const explained = explainKafkaError(error, brokers);
  if (explained instanceof KafkaUnreachableError) return explained;
  return new DependencyError(`Cannot start consuming from Kafka at ${brokers.join(',')}: ${errorText(error)}`, { cause: error });
}
