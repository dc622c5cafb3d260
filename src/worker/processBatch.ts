import type { EachBatchPayload } from 'kafkajs';
import type { ConsumerLag } from './consumerLag.js';
import { handleMessage } from './handleMessage.js';
import type { HandlerDeps, Processed } from './messageScope.js';

/**
 * kafkajs's eachBatch (with eachBatchAutoResolve false): the messages of one partition's batch
 * one after another, so a member's events (keyed by user_id) keep their order; kafkajs runs
 * `partitionsConsumedConcurrently` partitions at once. An offset is resolved only after the
 * message's database work committed (or the DLQ acknowledged it); committing follows kafkajs's
 * autoCommitInterval/Threshold, and kafkajs commits every resolved offset at the end of the batch,
 * on a rebalance and on stop. The loop ends when the worker stops or the partition went stale.
 */
export function createBatchHandler(deps: HandlerDeps, lag: ConsumerLag, onProcessed?: (processed: Processed) => void) {
  return async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }: EachBatchPayload): Promise<void> => {
    const active = () => isRunning() && !isStale() && !deps.signal.aborted;
    const { topic, partition, highWatermark } = batch;
    const first = batch.messages[0];
    if (first) lag.record(topic, partition, highWatermark, String(Number(first.offset) - 1));

    for (const message of batch.messages) {
      if (!active()) break;
      const origin = { topic, partition, offset: message.offset };
      const processed = await handleMessage(deps, { origin, message, active, heartbeat });
      if (!processed) break;
      resolveOffset(message.offset);
      lag.record(topic, partition, highWatermark, message.offset);
      onProcessed?.(processed);
      await commitOffsetsIfNecessary();
      await heartbeat();
    }
  };
}
