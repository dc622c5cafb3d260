import type { KafkaMessage } from 'kafkajs';

// Who published an event, when an operator did (`events inject`, `events replay`): a message
// header, so the event's JSON body (docs/kafka.md) stays the API's. The worker passes it to the
// engine as p_actor, so the request and ledger rows say which operator's event they answer.
// Events the API publishes carry none: the member acts. A redrive keeps the original's headers.

export const ACTOR_HEADER = 'x-actor';

/** Longer values are cut: the header is a label, not a payload. */
const MAX_ACTOR_CHARS = 200;

export function actorHeaders(actor: string): Record<string, string> {
  return { [ACTOR_HEADER]: actor };
}

/** The operator named in the message's x-actor header, or undefined (an API event, or a blank header). */
export function actorOf(message: Pick<KafkaMessage, 'headers'>): string | undefined {
  const value = message.headers?.[ACTOR_HEADER];
  const first = Array.isArray(value) ? value[0] : value;
  const text = first?.toString('utf8').trim();
  return text ? text.slice(0, MAX_ACTOR_CHARS) : undefined;
}
