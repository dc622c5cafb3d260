import type { Admin, Consumer, IHeaders, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { parseRedemptionEvent } from '../kafka/redemptionEvent.js';
import { readDeadLetter, redriveHeaders } from '../kafka/deadLetter.js';
import type { KafkaSettings } from '../kafka/settings.js';
import { kafkaRetry, throwawayGroup, topicOffsets } from '../kafka/opsClients.js';
import { readSnapshot, type PartitionRange, type Snapshot } from '../kafka/topicReader.js';
import { checkSendRun, type SendRun } from './sendRun.js';

// `dlq list` and `dlq redrive`. What has been redriven is the committed offset of the redrive
// group on each DLQ partition: everything below it went back; only messages at or after it are
// candidates, so a second redrive sends nothing twice.

/**
 * The redrive group of one DLQ topic: one group per topic, so redrives of two topics (two
 * deployments on one cluster) neither block each other as "another redrive is running" nor
 * share marks.
 */
export function redriveGroup(dlqTopic: string): string {
  return `${LEGACY_REDRIVE_GROUP}.${dlqTopic}`;
}

/** The one group every DLQ topic shared before; its marks still count where the topic's own group has none. */
export const LEGACY_REDRIVE_GROUP = 'redeemctl-dlq-redrive';
const PREVIEW_CHARS = 120;

export interface DeadLetterView {
  partition: number;
  offset: string;
  key: string | null;
  reason: string | null;
  error_code: string | null;
  origin_topic: string;
  origin_partition: number | null;
  origin_offset: string | null;
  event_id: string | null;
  failed_at: string | null;
  /** The start of the value, as text. */
  preview: string;
  redriven: boolean;
  /** Would the worker read it now? (parseRedemptionEvent) */
  parses: boolean;
  parse_error?: string;
}

export function viewOf(settings: KafkaSettings, partition: number, message: KafkaMessage, redrivenBelow: number): DeadLetterView {
  const info = readDeadLetter(message);
  const text = message.value?.toString('utf8') ?? '';
  const parsed = parseRedemptionEvent(message.value);
  return {
    partition,
    offset: message.offset,
    key: message.key?.toString() ?? null,
    reason: info?.reason ?? null,
    error_code: info?.errorCode ?? null,
    // A message without the headers came from the topic this DLQ is named after.
    origin_topic: info?.originTopic ?? settings.topic,
    origin_partition: info && info.originPartition >= 0 ? info.originPartition : null,
    origin_offset: info?.originOffset || null,
    event_id: info?.eventId ?? (parsed.ok ? parsed.event.event_id : (parsed.eventId ?? null)),
    failed_at: info?.failedAt || null,
    preview: text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text,
    redriven: Number(message.offset) < redrivenBelow,
    parses: parsed.ok,
    ...(!parsed.ok && { parse_error: parsed.reason }),
  };
}

/**
 * The redrive marks per DLQ partition (-1: nothing redriven yet): the topic's own group's
 * committed offsets, and where it has none, what the shared group of older versions committed
 * (so an upgrade does not send again what was already redriven).
 */
export async function redriveMarks(admin: Admin, dlqTopic: string): Promise<Map<number, number>> {
  const committed = async (groupId: string) => {
    const [topic] = await kafkaRetry(() => admin.fetchOffsets({ groupId, topics: [dlqTopic] }));
    return new Map((topic?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  };
  const own = await committed(redriveGroup(dlqTopic));
  const legacy = await committed(LEGACY_REDRIVE_GROUP);
  for (const [partition, offset] of legacy) own.set(partition, Math.max(own.get(partition) ?? -1, offset));
  return own;
}

/** Reads the DLQ up to its current end: from the start (list) or from the redrive marks (redrive). */
export async function readDeadLetters<T>(
  kafka: Kafka,
  admin: Admin,
  settings: KafkaSettings,
  from: 'start' | 'marks',
  options: { limit?: number; idleMs?: number },
  use: (snapshot: Snapshot & { exists: boolean; marks: Map<number, number> }, consumer: Consumer | null) => Promise<T>,
): Promise<T> {
  const watermarks = await topicOffsets(admin, settings.dlqTopic);
  if (!watermarks) return use({ messages: [], complete: true, exists: false, marks: new Map() }, null);
  const marks = await redriveMarks(admin, settings.dlqTopic);
  const ranges: PartitionRange[] = watermarks.map(({ partition, low, high }) => ({
    partition,
    start: from === 'marks' ? Math.max(low, marks.get(partition) ?? -1) : low,
    end: high,
  }));
  const groupId = from === 'marks' ? redriveGroup(settings.dlqTopic) : throwawayGroup('dlq-list');
  try {
    return await readSnapshot(kafka, { topic: settings.dlqTopic, groupId, ranges, ...options }, (snapshot, consumer) =>
      use({ ...snapshot, exists: true, marks }, consumer),
    );
  } finally {
    if (from === 'start') await admin.deleteGroups([groupId]).catch(() => {});
  }
}

/** Messages per produce request of a redrive: the unit between two progress steps and where Ctrl-C can stop it. */
const REDRIVE_CHUNK = 500;

/**
 * Sends each routed message to the route's destination, key and value byte for byte, with the
 * original's headers plus x-redriven-from (redriveHeaders), acknowledged by every in-sync replica
 * (`onSent` then, with the count sent so far); then commits the redrive group past them. A crash
 * between the two resends on the next redrive: at least once, which the engine's idempotency on
 * event_id absorbs. `sending` (src/ops/sendRun.ts) is told after each chunk; stopped between two,
 * the mark is moved past what was sent (in offset order within a partition) before
 * SendsInterruptedError.
 */
export async function redrive(
  producer: Producer,
  consumer: Consumer,
  settings: KafkaSettings,
  route: { destination: string; send: DeadLetterView[] },
  raw: Map<string, KafkaMessage>,
  onSent: (sent: number) => void,
  sending?: SendRun,
): Promise<Array<{ partition: number; offset: string }>> {
  const next = new Map<number, number>();
  let sent = 0;
  while (sent < route.send.length && !sending?.signal?.aborted) {
    const chunk = route.send.slice(sent, sent + REDRIVE_CHUNK);
    const messages = chunk.map((view) => {
      const message = raw.get(`${view.partition}:${view.offset}`)!;
      return { key: message.key ?? null, value: message.value ?? null, headers: redriveHeaders(message) };
    });
    await producer.send({ topic: route.destination, acks: -1, messages });
    for (const view of chunk) next.set(view.partition, Math.max(next.get(view.partition) ?? 0, Number(view.offset) + 1));
    sent += chunk.length;
    onSent(sent);
    sending?.onSent(sent, route.send.length);
  }
  const commits = [...next].map(([partition, offset]) => ({ topic: settings.dlqTopic, partition, offset: String(offset) }));
  if (commits.length > 0) await consumer.commitOffsets(commits);
  // Stopped part-way (the signal after the last send changes nothing): the mark stands past what went out.
  if (sent < route.send.length) checkSendRun(sending, sent, route.send.length, () => route.send.slice(sent).map((v) => `${v.partition}:${v.offset}`));
  return commits.map(({ partition, offset }) => ({ partition, offset }));
}
