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

export interface RedriveRoute {
  /** Where the sent messages go: --to, else the configured topic. */
  destination: string;
  send: DeadLetterView[];
  skipped: Array<{ partition: number; offset: string; event_id: string | null; origin_topic: string; why: string }>;
}

/**
 * Where the selected dead letters go. Without --to, only to the configured topic: a message whose
 * x-origin-topic names another topic is skipped (a header is no authority to publish anywhere),
 * and so is every later message of its DLQ partition, since the redrive mark cannot pass a
 * message that was not sent. With --to, every selected message goes there.
 */
export function routeForRedrive(selected: DeadLetterView[], configuredTopic: string, to: string | undefined): RedriveRoute {
  const destination = to ?? configuredTopic;
  const route: RedriveRoute = { destination, send: [], skipped: [] };
  const blocked = new Map<number, string>();
  for (const view of selected) {
    const skip = (why: string) =>
      route.skipped.push({ partition: view.partition, offset: view.offset, event_id: view.event_id, origin_topic: view.origin_topic, why });
    const behind = blocked.get(view.partition);
    if (behind !== undefined) {
      skip(`behind ${behind}, which is not sent (a partition goes back in order)`);
    } else if (to === undefined && view.origin_topic !== configuredTopic) {
      skip(`origin topic ${view.origin_topic} is not the configured topic ${configuredTopic}; pass --to ${view.origin_topic} to send it there`);
      blocked.set(view.partition, `${view.partition}:${view.offset}`);
    } else {
      route.send.push(view);
    }
  }
  return route;
}
