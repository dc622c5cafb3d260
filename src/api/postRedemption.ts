import { v5 as uuidv5 } from 'uuid';
import { newEvent } from '../kafka/redemptionEvent.js';
import { isUuid } from '../shared/uuid.js';
import type { Logger } from '../shared/logger.js';
import type { ApiMetrics } from './apiMetrics.js';
import type { TokenVerifier } from './auth.js';
import { readJsonObject } from './body.js';
import { HttpError, sendJson, type Handler } from './http.js';
import { NotQueuedError, type TrackedPublisher } from './publish.js';

/** The HTTP API narrows the engine's 1..1000 (docs/domain.md). */
export const MAX_API_QUANTITY = 100;
/** Namespace of event ids derived from an Idempotency-Key (a fixed, random uuid). */
const IDEMPOTENCY_NAMESPACE = '0b7a4f0e-5d1c-4b8e-9a53-2f6c1d7e8a90';

export interface PostDeps {
  verifier: TokenVerifier;
  publisher: TrackedPublisher;
  logger: Logger;
  metrics: ApiMetrics;
  bodyLimit: number;
}

/**
 * POST /redemptions {reward_id, quantity = 1}: the member and merchant come from the token, the
 * body names only the reward and the quantity (anything else in it is ignored). Answers 202 only
 * after Kafka acknowledged the event; nothing is published for any 4xx.
 */
export function postRedemption(deps: PostDeps): Handler {
  return async (req, res) => {
    const principal = await deps.verifier.verify(req.headers.authorization);
    const eventId = eventIdFor(req.headers['idempotency-key'], principal.merchantId, principal.userId);
    const body = await readJsonObject(req, deps.bodyLimit);
    const { rewardId, quantity } = validate(body);

    const event = newEvent({ userId: principal.userId, merchantId: principal.merchantId, rewardId, quantity, ...(eventId && { eventId }) });
    try {
      await deps.publisher.publish(event);
    } catch (error) {
      deps.metrics.publishFailures.inc();
      deps.logger.error(`[API] Could not publish event ${event.event_id}: ${(error as Error).message}`, { event_id: event.event_id });
      throw new NotQueuedError(`event ${event.event_id} was not acknowledged by Kafka`, { cause: error });
    }
    deps.metrics.published.inc();
    deps.logger.info(`[API] Published event ${event.event_id} for user ${event.user_id}, quantity: ${event.quantity}`, {
      event_id: event.event_id,
      user_id: event.user_id,
      merchant_id: event.merchant_id,
      quantity: event.quantity,
    });
    sendJson(res, 202, { success: true, event_id: event.event_id, message: 'Redemption request received and processing', quantity: event.quantity });
  };
}

export function validate(body: Record<string, unknown>): { rewardId: string; quantity: number } {
  const rewardId = body.reward_id;
  if (typeof rewardId !== 'string' || rewardId === '') throw new HttpError(400, 'reward_id is required');
  if (!isUuid(rewardId)) throw new HttpError(400, 'reward_id must be a uuid');
  const quantity = body.quantity === undefined ? 1 : body.quantity;
  if (typeof quantity !== 'number' || !Number.isInteger(quantity) || quantity < 1 || quantity > MAX_API_QUANTITY) {
    throw new HttpError(400, `quantity must be a number between 1 and ${MAX_API_QUANTITY}`);
  }
  return { rewardId: rewardId.toLowerCase(), quantity };
}

/**
 * With an Idempotency-Key the event id is derived from it and the caller, so a retried POST (after
 * a timeout or a 503) publishes the same event id and the engine applies it at most once.
 */
function eventIdFor(header: string | string[] | undefined, merchantId: string, userId: string): string | undefined {
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(header)) {
    throw new HttpError(400, 'Idempotency-Key must be 1 to 200 visible ASCII characters');
  }
  return uuidv5(`${merchantId}:${userId}:${header}`, IDEMPOTENCY_NAMESPACE);
}
