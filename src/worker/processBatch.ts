import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import { parseRedemptionEvent } from '../kafka/redemptionEvent.js';
import type { ConsumerLag } from './consumerLag.js';
import { handleGroup, type GroupedEvent } from './handleGroup.js';
import { handleMessage } from './handleMessage.js';
import type { HandlerDeps, Processed } from './messageScope.js';

/**
 * kafkajs's eachBatch (with eachBatchAutoResolve false): the messages of one partition's batch in
 * order, so a member's events (keyed by user_id) keep their order; kafkajs runs
 * `partitionsConsumedConcurrently` partitions at once. Consecutive readable events go to the
 * database as groups of up to `batchSize` in one transaction (handleGroup); an unreadable message,
 * a lone event, and an event a group handed back are handled alone (handleMessage). An offset is
 * resolved only after the message's database work committed (or the DLQ acknowledged it);
 * committing follows kafkajs's autoCommitInterval/Threshold, and kafkajs commits every resolved
 * offset at the end of the batch, on a rebalance and on stop. The loop ends when the worker stops
 * or the partition went stale; a group in flight finishes first (it is bounded by batchMaxMs).
 */
export function createBatchHandler(deps: HandlerDeps, lag: ConsumerLag, onProcessed?: (processed: Processed) => void) {
  return async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }: EachBatchPayload): Promise<void> => {
    const active = () => isRunning() && !isStale() && !deps.signal.aborted;
    const { topic, partition, highWatermark, messages } = batch;
    const first = messages[0];
    if (first) lag.record(topic, partition, highWatermark, String(Number(first.offset) - 1));
    // Every committed event is resolved and reported before the offsets are committed: a commit
    // that fails (the broker restarting, a rebalance) must not leave the rest of a group's
    // committed events unreported, to be seen again only as redeliveries.
    const finish = async (...done: Processed[]) => {
      for (const processed of done) {
        resolveOffset(processed.offset);
        lag.record(topic, partition, highWatermark, processed.offset);
        onProcessed?.(processed);
      }
      await commitOffsetsIfNecessary();
    };

    const parsed = messages.map((message) => parseRedemptionEvent(message.value));
    let alone = 0;
    for (let next = 0; next < messages.length && active(); ) {
      const group = alone > 0 ? [] : readableRun({ topic, partition, messages, parsed }, next, deps.batchSize);
      if (group.length < 2) {
        const message = messages[next]!;
        const processed = await handleMessage(deps, { origin: { topic, partition, offset: message.offset }, message, active, heartbeat }, parsed[next]);
        if (!processed) break;
        await finish(processed);
        next++;
        alone = Math.max(0, alone - 1);
      } else {
        const outcome = await handleGroup(deps, group);
        await finish(...outcome.processed);
        next += outcome.processed.length;
        alone = outcome.alone;
      }
      await heartbeat();
    }
  };
}

/** The readable events from `from` on, at most `max`, up to the first unreadable message. */
function readableRun(
  batch: { topic: string; partition: number; messages: KafkaMessage[]; parsed: Array<ReturnType<typeof parseRedemptionEvent>> },
  from: number,
  max: number,
): GroupedEvent[] {
  const run: GroupedEvent[] = [];
  for (let i = from; i < batch.messages.length && run.length < max; i++) {
    const parsed = batch.parsed[i]!;
    if (!parsed.ok) break;
    const message = batch.messages[i]!;
    run.push({ origin: { topic: batch.topic, partition: batch.partition, offset: message.offset }, message, event: parsed.event });
  }
  return run;
}
