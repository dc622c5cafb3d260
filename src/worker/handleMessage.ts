import { isTransientError, RedeemctlError } from '../shared/errors.js';
import { redeem } from '../engine/redeem.js';
import type { RedeemResult } from '../engine/types.js';
import { parseRedemptionEvent, type RedemptionEvent } from '../kafka/redemptionEvent.js';
import { actorOf } from '../kafka/actorHeader.js';
import { deadLetter } from './deadLetterMessage.js';
import { handleUnreadable } from './handleUnreadable.js';
import { keepTrying } from './keepTrying.js';
import { tryOptions, type HandlerDeps, type MessageScope, type Processed } from './messageScope.js';
import { redeemRequestFor } from './eventRequest.js';
import { errorText, type Origin } from './workerLog.js';
import type { Outcome } from './workerMetrics.js';

type ParsedEvent = ReturnType<typeof parseRedemptionEvent>;

/** A CONCURRENT_CONFLICT that outlived redeem()'s own retries: transient, so tried again. */
class ConflictPersists extends RedeemctlError {
  override readonly retriable = true;
}

/**
 * Handles one message until its effect is committed: a redemption (a success, or a refusal the
 * database recorded), or the dead-letter topic. Returns null when the worker stopped or lost the
 * partition first: the caller must then not resolve the offset. Redelivery is harmless: the
 * event id is the idempotency key of redeem_reward_with_points.
 */
export async function handleMessage(
  deps: HandlerDeps,
  scope: MessageScope,
  // The batch handler has read every message of its batch already (src/worker/processBatch.ts).
  parsed: ParsedEvent = parseRedemptionEvent(scope.message.value),
): Promise<Processed | null> {
  if (!parsed.ok) return handleUnreadable(deps, scope, parsed);
  const event = parsed.event;
  deps.log.processing(event, scope.origin);
  const started = performance.now();

  const tried = await keepTrying(
    () => redeemSettled(deps, event, scope.origin, actorOf(scope.message)),
    tryOptions(deps, scope, `event ${event.event_id}`, (error) =>
      error instanceof ConflictPersists ? 'concurrent_conflict' : isTransientError(error) ? 'transient_error' : 'processing_error',
    ),
  );
  if (tried.status === 'stopped') return null;
  if (tried.status === 'failed') {
    const reason = `${errorText(tried.error)} (after ${tried.attempts} attempts)`;
    return deadLetter(deps, scope, { errorCode: 'PROCESSING_ERROR', reason, eventId: event.event_id });
  }

  return settled(deps, scope.origin, event.event_id, tried.value, Math.round(performance.now() - started));
}

/** A committed result, alone or in a group: its metrics, its log line, and what onProcessed sees. */
export function settled(deps: HandlerDeps, origin: Origin, eventId: string, result: RedeemResult, ms: number): Processed {
  const outcome: Outcome = result.idempotent ? 'idempotent' : result.success ? 'succeeded' : 'refused';
  deps.metrics.processingSeconds.observe(ms / 1000);
  deps.metrics.processed.inc({ outcome });
  if (outcome === 'refused') deps.metrics.failures.inc({ error_code: result.error_code ?? 'UNKNOWN' });
  deps.log.result(result, ms);
  return { ...origin, outcome, eventId, errorCode: result.error_code, ms, result };
}

/** `actor`: the operator who published the event (its x-actor header), recorded on the request and ledger rows. */
async function redeemSettled(deps: HandlerDeps, event: RedemptionEvent, origin: Origin, actor: string | undefined): Promise<RedeemResult> {
  const result = await redeem(deps.db, redeemRequestFor(event, origin, actor), {
    signal: deps.signal,
    onRetry: (info) => deps.metrics.retries.inc({ reason: info.error === undefined ? 'concurrent_conflict' : 'transient_error' }),
  });
  if (result.error_code === 'CONCURRENT_CONFLICT') throw new ConflictPersists(result.message);
  return result;
}
