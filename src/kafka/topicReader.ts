import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';

// Reads a topic from where a group stands up to the high watermarks taken before it started,
// then stops: a snapshot, for `dlq list` and `dlq redrive`. Progress counts every batch the
// consumer got past (transaction markers included), so a partition ending in a control record
// still finishes; an idle timeout guards against anything else that stalls.

export interface PartitionRange {
  partition: number;
  /** First offset to read (the group's committed offset, or the low watermark). */
  start: number;
  /** The high watermark when the read began: offsets below it are read, none after. */
  end: number;
}

export interface Snapshot {
  messages: Array<{ partition: number; message: KafkaMessage }>;
  /** False when the read stopped on the limit or the idle timeout before every end. */
  complete: boolean;
}

export interface ReadOptions {
  topic: string;
  groupId: string;
  ranges: PartitionRange[];
  limit?: number;
  idleMs?: number;
}

/**
 * Reads the ranges with a consumer in `groupId` that commits nothing by itself, then calls use()
 * while that consumer is still in its group (so use() may commit), and disconnects it.
 */
export async function readSnapshot<T>(kafka: Kafka, options: ReadOptions, use: (snapshot: Snapshot, consumer: Consumer | null) => Promise<T>): Promise<T> {
  const position = new Map(options.ranges.map((r) => [r.partition, r.start]));
  const end = new Map(options.ranges.map((r) => [r.partition, r.end]));
  const pending = new Set(options.ranges.filter((r) => r.start < r.end).map((r) => r.partition));
  if (pending.size === 0) return use({ messages: [], complete: true }, null);

  const messages: Snapshot['messages'] = [];
  const consumer = kafka.consumer({ groupId: options.groupId, maxWaitTimeInMs: 250, allowAutoTopicCreation: false });
  let settled = false;
  let resolveRead!: (complete: boolean) => void;
  let fail!: (error: unknown) => void;
  const finished = new Promise<boolean>((resolve, reject) => ((resolveRead = resolve), (fail = reject)));
  let idle: NodeJS.Timeout | undefined;
  const settle = (complete: boolean) => {
    if (settled) return;
    settled = true;
    clearTimeout(idle);
    resolveRead(complete);
  };
  const touch = () => {
    clearTimeout(idle);
    if (!settled) idle = setTimeout(() => settle(false), options.idleMs ?? 10_000).unref();
  };
  const advance = (partition: number, next: number) => {
    if (next > (position.get(partition) ?? 0)) position.set(partition, next);
    if ((position.get(partition) ?? 0) >= (end.get(partition) ?? 0)) pending.delete(partition);
    if (pending.size === 0) settle(true);
    else touch();
  };
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) fail(payload.error);
  });
  consumer.on(consumer.events.GROUP_JOIN, touch);
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => advance(payload.partition, Number(payload.lastOffset) + 1));
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: options.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        if (settled) return;
        const offset = Number(message.offset);
        // Below the position: a redelivery after a rebalance; at or past the end: newer than the snapshot.
        if (offset >= (position.get(partition) ?? 0) && offset < (end.get(partition) ?? 0)) messages.push({ partition, message });
        advance(partition, offset + 1);
        if (options.limit !== undefined && messages.length >= options.limit) settle(false);
      },
    });
    const complete = await finished;
    consumer.pause([{ topic: options.topic }]);
    messages.sort((a, b) => a.partition - b.partition || Number(a.message.offset) - Number(b.message.offset));
    return await use({ messages, complete }, consumer);
  } finally {
    clearTimeout(idle);
    await consumer.disconnect().catch(() => {});
  }
}
