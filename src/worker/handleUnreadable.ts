import { isTransientError } from '../shared/errors.js';
import { deadLetter } from './deadLetterMessage.js';
import { invalidEventArgs, recordInvalidEvent } from './invalidEvent.js';
import { keepTrying } from './keepTrying.js';
import { tryOptions, type HandlerDeps, type MessageScope, type Processed } from './messageScope.js';

/**
 * A message parseRedemptionEvent cannot read (not JSON, wrong types, missing fields, empty).
 * When it names an event id and a merchant, the INVALID_EVENT failure is recorded first, so the
 * member learns the outcome (the database being away pauses the partition, as for any event);
 * then the message goes to the DLQ, and only once the DLQ acknowledged it is it finished (or, when
 * the DLQ will not take it, once deadLetter's fallback logged and counted it).
 */
export async function handleUnreadable(
  deps: HandlerDeps,
  scope: MessageScope,
  parsed: { reason: string; eventId?: string },
): Promise<Processed | null> {
  const args = invalidEventArgs(scope.message.value);
  if (args) {
    const recorded = await keepTrying(
      () => recordInvalidEvent(deps.db, args, parsed.reason),
      tryOptions(deps, scope, `recording invalid event ${args.eventId}`, (error) =>
        isTransientError(error) ? 'transient_error' : 'record_invalid_event',
      ),
    );
    if (recorded.status === 'stopped') return null;
    // A record that keeps failing is not worth blocking the partition for: the message still
    // reaches the DLQ with its reason, and the error is logged.
    if (recorded.status === 'failed') deps.log.invalidEventNotRecorded(args.eventId, recorded.error);
  }
  return deadLetter(deps, scope, { errorCode: 'INVALID_EVENT', reason: parsed.reason, eventId: parsed.eventId });
}
