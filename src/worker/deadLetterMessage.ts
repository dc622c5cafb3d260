import type { DeadLetterCode } from '../kafka/deadLetter.js';
import { keepTrying } from './keepTrying.js';
import { tryOptions, type HandlerDeps, type MessageScope, type Processed } from './messageScope.js';
import { sourceId } from './workerLog.js';

/**
 * Sends a message to the DLQ, trying for as long as the worker runs (whatever the broker says,
 * never skip: the offset stays until the DLQ acknowledged the message); then it counts as
 * finished. Null when the worker stopped first.
 */
export async function deadLetter(
  deps: HandlerDeps,
  scope: MessageScope,
  failure: { errorCode: DeadLetterCode; reason: string; eventId?: string | undefined },
): Promise<Processed | null> {
  const started = performance.now();
  const sent = await keepTrying(() => deps.dlq.publish(scope.message, scope.origin, failure), {
    ...tryOptions(deps, scope, `dead-lettering ${sourceId(scope.origin)}`, () => 'dlq_produce'),
    isTransient: () => true,
  });
  if (sent.status !== 'done') return null;
  deps.log.deadLettered(scope.origin, deps.dlq.dlqTopic, failure.errorCode, failure.reason, failure.eventId);
  deps.metrics.processed.inc({ outcome: 'dead_lettered' });
  deps.metrics.failures.inc({ error_code: failure.errorCode });
  return {
    ...scope.origin,
    outcome: 'dead_lettered',
    errorCode: failure.errorCode,
    ms: Math.round(performance.now() - started),
    ...(failure.eventId !== undefined && { eventId: failure.eventId }),
  };
}
