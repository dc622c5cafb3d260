import type { KafkaMessage } from 'kafkajs';
import { redeemGroup } from '../engine/redeemGroup.js';
import type { RedemptionEvent } from '../kafka/redemptionEvent.js';
import { actorOf } from '../kafka/actorHeader.js';
import { redeemRequestFor } from './eventRequest.js';
import { settled } from './handleMessage.js';
import type { HandlerDeps, Processed } from './messageScope.js';
import type { Origin } from './workerLog.js';

/** A readable message of the partition's batch, in offset order. */
export interface GroupedEvent {
  origin: Origin;
  message: KafkaMessage;
  event: RedemptionEvent;
}

export interface GroupOutcome {
  /** The events that committed, from the first, in order: their offsets may be resolved. */
  processed: Processed[];
  /**
   * How many events after those to handle one by one (handleMessage, with its retries and its
   * dead letter) before grouping again: 1 after a CONCURRENT_CONFLICT or an error that is not
   * transient, every event after a transient error (the group rolled back), else 0 (the rest were
   * left for the next group by the time bound).
   */
  alone: number;
}

/**
 * Several events of one partition in one database transaction (src/engine/redeemGroup.ts), one
 * commit, then each event's metrics, log line and Processed, so the caller
 * resolves their offsets only once the commit is done. Refusals are results like successes (the
 * function wrote their failure rows). A transient error rolls the whole group back: nothing of it
 * took effect, so its events are handled again one by one, each waiting out the database as a
 * single event always did (a deadlock between two groups ends there, at the latest).
 */
export async function handleGroup(deps: HandlerDeps, events: readonly GroupedEvent[]): Promise<GroupOutcome> {
  const startedAt: number[] = [];
  let ran;
  try {
    ran = await redeemGroup(
      deps.db,
      events.map((e) => redeemRequestFor(e.event, e.origin, actorOf(e.message))),
      {
        maxMs: deps.batchMaxMs,
        onStart: (index) => {
          startedAt[index] = performance.now();
          deps.log.processing(events[index]!.event, events[index]!.origin);
        },
      },
    );
  } catch (error) {
    // Nothing committed (a failed commit may have: the event ids make running them again safe).
    deps.metrics.retries.inc({ reason: 'transient_error' });
    deps.log.groupRolledBack(events.length, events[0]!.origin, error);
    return { processed: [], alone: events.length };
  }
  const committed = performance.now();
  const group = ran.results.length;
  const processed = ran.results.map((result, index) => ({
    ...settled(deps, events[index]!.origin, events[index]!.event.event_id, result, Math.round(committed - startedAt[index]!)),
    group,
  }));
  const stop = ran.stop.kind;
  return { processed, alone: stop === 'conflict' || stop === 'error' ? 1 : 0 };
}
