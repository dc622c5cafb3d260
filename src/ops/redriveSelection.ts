import { UsageError } from '../shared/errors.js';
import type { DeadLetterView } from './deadLetters.js';

// Which candidates `dlq redrive --offset P:O …` sends. The redrive mark is one offset per DLQ
// partition, so a selection must be a prefix of each partition's candidates: skipping an earlier
// message would either mark it redriven without sending it or send the later ones twice.

export function parseOffsets(values: string[]): Array<{ partition: number; offset: number }> {
  return values
    .flatMap((value) => value.split(','))
    .map((part) => {
      const match = /^\s*(\d+):(\d+)\s*$/.exec(part);
      if (!match) throw new UsageError(`--offset must be PARTITION:OFFSET (e.g. 0:12), got ${JSON.stringify(part)}`);
      return { partition: Number(match[1]), offset: Number(match[2]) };
    });
}

export function selectForRedrive(candidates: DeadLetterView[], wanted: Array<{ partition: number; offset: number }> | undefined, marks: Map<number, number>): DeadLetterView[] {
  if (wanted === undefined || wanted.length === 0) return candidates;
  const key = (partition: number, offset: number | string) => `${partition}:${offset}`;
  const byKey = new Map(candidates.map((c) => [key(c.partition, c.offset), c]));
  const chosen = new Set<string>();
  for (const { partition, offset } of wanted) {
    if (!byKey.has(key(partition, offset))) {
      const mark = marks.get(partition) ?? -1;
      const why = offset < mark ? `it was already redriven (the mark of partition ${partition} is ${mark})` : 'no candidate message is there';
      throw new UsageError(`--offset ${partition}:${offset}: ${why}; run \`dlq redrive\` without --execute to see the candidates`);
    }
    chosen.add(key(partition, offset));
  }
  for (const partition of new Set(wanted.map((w) => w.partition))) {
    const inPartition = candidates.filter((c) => c.partition === partition);
    const last = inPartition.findLastIndex((c) => chosen.has(key(c.partition, c.offset)));
    const gap = inPartition.slice(0, last).find((c) => !chosen.has(key(c.partition, c.offset)));
    if (gap) {
      throw new UsageError(
        `--offset: partition ${partition} would skip ${partition}:${gap.offset}; redrive goes in order within a partition, so include it (candidates start at ${partition}:${inPartition[0]!.offset})`,
      );
    }
  }
  return candidates.filter((c) => chosen.has(key(c.partition, c.offset)));
}
