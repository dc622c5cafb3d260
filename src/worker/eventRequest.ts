import type { RedeemRequest } from '../engine/types.js';
import type { RedemptionEvent } from '../kafka/redemptionEvent.js';
import { sourceId, type Origin } from './workerLog.js';

/**
 * The engine request for one event, alone or in a group: the event id is the idempotency key,
 * the source is the message's topic/partition/offset, `actor` the operator who published it (its
 * x-actor header), recorded on the request and ledger rows.
 */
export function redeemRequestFor(event: RedemptionEvent, origin: Origin, actor: string | undefined): RedeemRequest {
  return {
    merchantId: event.merchant_id,
    userId: event.user_id,
    rewardId: event.reward_id,
    quantity: engineQuantity(event.quantity),
    eventId: event.event_id,
    sourceType: 'kafka',
    sourceId: sourceId(origin),
    eventTimestamp: event.timestamp,
    ...(event.replay_of !== undefined && { replayOf: event.replay_of }),
    ...(actor !== undefined && { actor }),
  };
}

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

/**
 * The event's quantity as redeem_reward_with_points' p_quantity int can take it. A number int
 * cannot hold as sent (3000000000, 1e20, Infinity from 1e400, or 1.5, which the cast would round
 * to 2) goes as null: the engine refuses a null quantity as INVALID_QUANTITY with a failure row
 * (sql/0003_redeem.sql, step 2), the member's answer, where the cast would fail on every try and
 * dead-letter the event as PROCESSING_ERROR. The request record then holds no quantity, as
 * record_invalid_event's does for a quantity of the wrong type; the log keeps the number sent.
 */
export function engineQuantity(quantity: number): number | null {
  const fits = Number.isInteger(quantity) && quantity >= INT_MIN && quantity <= INT_MAX;
  return fits ? quantity : null;
}
