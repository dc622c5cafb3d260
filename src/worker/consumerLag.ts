import type { Gauge } from 'prom-client';

/**
 * Consumer lag per partition, computed without asking the broker: each fetched batch carries the
 * partition's high watermark, and after each message the lag is `highWatermark - (offset + 1)`.
 * A rebalance drops the partitions this worker no longer holds, so another worker's partition is
 * never reported here with a stale value.
 */
export class ConsumerLag {
  private readonly held = new Set<string>();

  constructor(private readonly gauge: Gauge<'topic' | 'partition'>) {}

  /** After the message at `offset` was processed (or when a batch starts, with its first offset - 1). */
  record(topic: string, partition: number, highWatermark: string, offset: string): void {
    const lag = Math.max(0, Number(highWatermark) - (Number(offset) + 1));
    this.held.add(key(topic, partition));
    this.gauge.set({ topic, partition: String(partition) }, lag);
  }

  /** The assignment after a (re)join: forget every partition not in it. */
  retain(assignment: Record<string, number[] | undefined>): void {
    for (const entry of [...this.held]) {
      const [topic, partition] = split(entry);
      if (!assignment[topic]?.includes(partition)) {
        this.held.delete(entry);
        this.gauge.remove({ topic, partition: String(partition) });
      }
    }
  }

  clear(): void {
    this.retain({});
  }
}

function key(topic: string, partition: number): string {
  return `${partition}|${topic}`;
}

function split(entry: string): [string, number] {
  const bar = entry.indexOf('|');
  return [entry.slice(bar + 1), Number(entry.slice(0, bar))];
}
