import { classifySendFailure, type DeadLetterCode, type SendFailure } from '../kafka/deadLetter.js';
import { isTransientError } from '../shared/errors.js';
import { invalidEventArgs, recordInvalidEvent } from './invalidEvent.js';
import { keepTrying } from './keepTrying.js';
import { tryOptions, type HandlerDeps, type MessageScope, type Processed } from './messageScope.js';
import { errorText, sourceId } from './workerLog.js';

type Failure = { errorCode: DeadLetterCode; reason: string; eventId?: string | undefined };

/**
 * Sends a message to the DLQ; then it counts as finished. A transient send failure (the broker
 * away, a leader election, retries exhausted on those) is tried again with back-off, each retry
 * logged at warn and counted (retries_total{reason="dlq_produce"}), up to `deadLetterAttempts`
 * failed sends; a permanent one (the broker refused this message or this client for good:
 * MESSAGE_TOO_LARGE, TOPIC_AUTHORIZATION_FAILED, ...; classifySendFailure) is not tried again.
 * Either way the message then takes the fallback (sendFailed), so a DLQ that refuses never blocks
 * the partition (docs/worker.md, "When the dead-letter send fails"). Null when the worker stopped
 * first: the offset then stays.
 */
export async function deadLetter(deps: HandlerDeps, scope: MessageScope, failure: Failure): Promise<Processed | null> {
  const started = performance.now();
  const sent = await keepTrying(() => deps.dlq.publish(scope.message, scope.origin, failure), {
    ...tryOptions(deps, scope, `dead-lettering ${sourceId(scope.origin)}`, () => 'dlq_produce'),
    isTransient: (error) => !classifySendFailure(error).permanent,
    maxFailures: 1,
    maxTransientFailures: deps.deadLetterAttempts,
  });
  if (sent.status === 'stopped') return null;
  if (sent.status === 'failed') return sendFailed(deps, scope, failure, { error: sent.error, attempts: sent.attempts, started });
  deps.log.deadLettered(scope.origin, deps.dlq.dlqTopic, failure.errorCode, failure.reason, failure.eventId);
  deps.metrics.processed.inc({ outcome: 'dead_lettered' });
  deps.metrics.failures.inc({ error_code: failure.errorCode });
  return finished(scope, failure, 'dead_lettered', started);
}

/**
 * The fallback of a dead-letter send that failed for good: when the message names an event id and
 * a merchant, the failure is recorded as INVALID_EVENT (record_invalid_event; an unreadable
 * message's record, made before the send, stays as it was), so the member learns the outcome;
 * then one error line (origin, size, the DLQ's error, what was done) and
 * redeemctl_worker_dead_letter_failures_total{reason}, and the offset is resolved. A message that
 * names no event id is lost to the DLQ: the line keeps its origin, key and first bytes.
 */
async function sendFailed(
  deps: HandlerDeps,
  scope: MessageScope,
  failure: Failure,
  sent: { error: unknown; attempts: number; started: number },
): Promise<Processed | null> {
  const cause = classifySendFailure(sent.error);
  const args = invalidEventArgs(scope.message.value);
  let recorded: string | false | undefined;
  if (args) {
    const reason = `${failure.reason}; not dead-lettered: ${cause.text}`;
    const tried = await keepTrying(
      () => recordInvalidEvent(deps.db, args, reason),
      tryOptions(deps, scope, `recording event ${args.eventId}`, (error) => (isTransientError(error) ? 'transient_error' : 'record_invalid_event')),
    );
    if (tried.status === 'stopped') return null;
    if (tried.status === 'failed') deps.log.invalidEventNotRecorded(args.eventId, tried.error);
    recorded = tried.status === 'done' ? args.eventId : false;
  }
  const label = cause.permanent ? cause.kind : 'RETRIES_EXHAUSTED';
  deps.log.deadLetterFailed(scope.origin, scope.message, deps.dlq.dlqTopic, {
    error: sendErrorText(cause, sent.attempts),
    reason: label,
    recordedFor: recorded,
    eventId: args?.eventId,
  });
  deps.metrics.deadLetterFailures.inc({ reason: label });
  deps.metrics.processed.inc({ outcome: 'dead_letter_failed' });
  deps.metrics.failures.inc({ error_code: failure.errorCode });
  return finished(scope, failure, 'dead_letter_failed', sent.started);
}

function sendErrorText(cause: SendFailure, attempts: number): string {
  return errorText(cause.permanent ? cause.text : `${cause.text} (after ${attempts} attempts)`);
}

function finished(scope: MessageScope, failure: Failure, outcome: 'dead_lettered' | 'dead_letter_failed', started: number): Processed {
  return {
    ...scope.origin,
    outcome,
    errorCode: failure.errorCode,
    ms: Math.round(performance.now() - started),
    ...(failure.eventId !== undefined && { eventId: failure.eventId }),
  };
}
