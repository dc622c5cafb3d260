import type { Kysely } from 'kysely';
import type { Schema } from '../../src/db/schema.js';
import { redeem } from '../../src/engine/redeem.js';
import type { RedeemResult } from '../../src/engine/types.js';
import { parseRedemptionEvent } from '../../src/kafka/redemptionEvent.js';
import { readTopic } from './eventsConsumer.js';

// Stands in for the worker in tests/ops: every message of the topic, in partition order,
// through the engine with the event's id and replay_of, as the asynchronous path does.

export async function processTopic(db: Kysely<Schema>, topic: string): Promise<RedeemResult[]> {
  const results: RedeemResult[] = [];
  for (const message of await readTopic(topic)) {
    const parsed = parseRedemptionEvent(message.value);
    if (!parsed.ok) throw new Error(`unreadable message at ${message.partition}:${message.offset}: ${parsed.reason}`);
    const e = parsed.event;
    results.push(
      await redeem(db, {
        merchantId: e.merchant_id,
        userId: e.user_id,
        rewardId: e.reward_id,
        quantity: e.quantity,
        eventId: e.event_id,
        sourceType: 'kafka',
        eventTimestamp: e.timestamp,
        ...(e.replay_of !== undefined && { replayOf: e.replay_of }),
      }),
    );
  }
  return results;
}
