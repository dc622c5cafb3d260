import type { Kafka, KafkaMessage } from 'kafkajs';
import { parseRedemptionEvent, type RedemptionEvent } from '../kafka/redemptionEvent.js';
import { readDeadLetter, type DeadLetterInfo } from '../kafka/deadLetter.js';
import { DEFAULT_GROUP, type KafkaSettings } from '../kafka/settings.js';
import { openSession, throwawayGroup, topicOffsets } from '../kafka/opsClients.js';
import { UsageError } from '../shared/errors.js';
import { watchInterrupt } from '../shared/signals.js';

// `events tail`: every message of the topic as it arrives, until the signal aborts or --limit
// messages were shown. A throwaway group commits nothing; a named group commits what was shown,
// so the next tail with it resumes there.

export interface TailedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  /** When the producer wrote it (the Kafka record timestamp). */
  timestamp: string;
  headers: Record<string, string>;
  event: RedemptionEvent | null;
  /** Why the value is not a redemption event, when it is not. */
  error?: string;
  /** The raw value, only when it is not an event. */
  value?: string | null;
  dead_letter?: DeadLetterInfo;
}

export function describeMessage(topic: string, partition: number, message: KafkaMessage): TailedMessage {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value !== undefined) headers[name] = (Array.isArray(value) ? value[0] : value)?.toString() ?? '';
  }
  const parsed = parseRedemptionEvent(message.value);
  const deadLetter = readDeadLetter(message);
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key?.toString() ?? null,
    timestamp: new Date(Number(message.timestamp)).toISOString(),
    headers,
    event: parsed.ok ? parsed.event : null,
    ...(!parsed.ok && { error: parsed.reason, value: message.value?.toString() ?? null }),
    ...(deadLetter !== null && { dead_letter: deadLetter }),
  };
}

export interface TailOptions {
  topic: string;
  groupId: string;
  /** Commit the offsets of what was shown (a named --group). */
  commit: boolean;
  fromBeginning: boolean;
  limit?: number;
  signal: AbortSignal;
  onReady?: () => void;
  onMessage: (message: TailedMessage) => void;
}

/** Resolves with the number of messages shown, once aborted or at the limit. */
export async function tail(kafka: Kafka, options: TailOptions): Promise<number> {
  const consumer = kafka.consumer({ groupId: options.groupId, maxWaitTimeInMs: 500, allowAutoTopicCreation: false });
  let shown = 0;
  const next = new Map<number, number>();
  let finish!: () => void;
  let fail!: (error: unknown) => void;
  const done = new Promise<void>((resolve, reject) => ((finish = resolve), (fail = reject)));
  const atLimit = () => options.limit !== undefined && shown >= options.limit;
  const onAbort = () => finish();
  options.signal.addEventListener('abort', onAbort, { once: true });
  if (options.signal.aborted || atLimit()) finish();
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) fail(payload.error);
  });
  let ready = false;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    if (!ready) options.onReady?.();
    ready = true;
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: options.topic, fromBeginning: options.fromBeginning });
    await consumer.run({
      autoCommit: options.commit,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        for (const message of batch.messages) {
          // Past the limit (or stopping): leave the rest unresolved, so a named group sees them next time.
          if (atLimit() || options.signal.aborted) break;
          shown++;
          options.onMessage(describeMessage(batch.topic, batch.partition, message));
          resolveOffset(message.offset);
          next.set(batch.partition, Number(message.offset) + 1);
          await heartbeat();
        }
        if (atLimit()) finish();
      },
    });
    await done;
    // A named group resumes after what was shown: commit that now, not on kafkajs's schedule.
    if (options.commit && next.size > 0) {
      await consumer.commitOffsets([...next].map(([partition, offset]) => ({ topic: options.topic, partition, offset: String(offset) })));
    }
    return shown;
  } finally {
    options.signal.removeEventListener('abort', onAbort);
    await consumer.disconnect().catch(() => {});
  }
}

export interface TopicTail {
  /** A group that commits what was shown (the next tail with it resumes there); default: a throwaway one. */
  group?: string | undefined;
  fromBeginning: boolean;
  limit?: number | undefined;
  /** Told the group once the consumer has joined it: messages flow from then on. */
  onReady: (groupId: string) => void;
  onMessage: (message: TailedMessage) => void;
}

/**
 * `events tail` from start to end: the topic checked, then every message until Ctrl-C or SIGTERM
 * (or --limit); a second signal exits at once. A throwaway group is deleted afterwards. Resolves
 * with the number of messages shown.
 */
export async function tailTopic(settings: KafkaSettings, env: Record<string, string | undefined>, options: TopicTail): Promise<number> {
  if (options.group === DEFAULT_GROUP) {
    throw new UsageError(`--group ${DEFAULT_GROUP} is the worker's group: tail would take its messages and commit past them; use another name`);
  }
  const session = await openSession(settings, 'redeemctl-tail', env);
  const groupId = options.group ?? throwawayGroup('tail');
  const stop = watchInterrupt({ onSecond: () => {} });
  try {
    if (!(await topicOffsets(session.admin, settings.topic))) throw new UsageError(`Topic ${settings.topic} does not exist: check --topic or KAFKA_TOPIC`);
    return await tail(session.kafka, {
      topic: settings.topic,
      groupId,
      commit: options.group !== undefined,
      fromBeginning: options.fromBeginning,
      ...(options.limit !== undefined && { limit: options.limit }),
      signal: stop.signal,
      onReady: () => options.onReady(groupId),
      onMessage: options.onMessage,
    });
  } finally {
    stop.dispose();
    if (options.group === undefined) await session.admin.deleteGroups([groupId]).catch(() => {});
    await session.close();
  }
}
