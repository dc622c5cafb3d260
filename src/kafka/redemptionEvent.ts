import { z } from 'zod';
import { isUuid } from '../shared/uuid.js';

/**
 * The event on topic reward_redemptions (docs/domain.md, "The asynchronous path"), keyed by
 * user_id. A missing quantity means 1 (old producers); unknown fields are ignored. The quantity is
 * any JSON number, as sent: its range is the engine's to judge (INVALID_QUANTITY is a business
 * refusal with a failure row), fractions and numbers beyond int included (the worker hands those
 * to the engine as no quantity, src/worker/handleMessage.ts); a quantity of the wrong type makes
 * the message unreadable. Ids are checked by the one isUuid the HTTP API uses too.
 */
export interface RedemptionEvent {
  event_id: string;
  user_id: string;
  reward_id: string;
  quantity: number;
  merchant_id: string;
  timestamp: string;
  /** Set by `events replay`: the event this one replays. */
  replay_of?: string;
}

// Not z.uuid(): it admits the nil and max uuids and is stricter on case than the API, which then
// published events this schema refused. One predicate, so the two cannot drift apart again.
const uuid = z.string().refine(isUuid, { error: 'Invalid UUID' });

// Any JSON number: z.number() refuses 1e400, which JSON.parse reads as Infinity, yet that is still
// a number out of range (INVALID_QUANTITY), not an unreadable message.
const anyNumber = z.custom<number>((value) => typeof value === 'number', {
  error: (issue) => `Invalid input: expected number, received ${issue.input === null ? 'null' : Array.isArray(issue.input) ? 'array' : typeof issue.input}`,
});

const eventSchema = z.object({
  event_id: z.string().min(1).max(200),
  user_id: uuid,
  reward_id: uuid,
  quantity: anyNumber.optional(),
  merchant_id: uuid,
  timestamp: z.iso.datetime({ offset: true }).optional(),
  replay_of: z.string().min(1).max(200).optional(),
});

export type ParsedEvent = { ok: true; event: RedemptionEvent } | { ok: false; reason: string; eventId?: string };

/** Reads a message value; never throws. The reason names the field, for the DLQ header. */
export function parseRedemptionEvent(value: Buffer | string | null | undefined, now: () => Date = () => new Date()): ParsedEvent {
  if (value === null || value === undefined || value.length === 0) return { ok: false, reason: 'empty message' };
  let json: unknown;
  try {
    json = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
  } catch (error) {
    return { ok: false, reason: `not JSON: ${(error as Error).message}` };
  }
  const eventId = typeof (json as { event_id?: unknown })?.event_id === 'string' ? (json as { event_id: string }).event_id : undefined;
  const parsed = eventSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.') || '(message)';
    return { ok: false, reason: `${field}: ${issue.message}`, ...(eventId !== undefined && { eventId }) };
  }
  const { quantity, timestamp, replay_of, ...rest } = parsed.data;
  return {
    ok: true,
    event: {
      ...rest,
      quantity: quantity ?? 1,
      timestamp: timestamp ?? now().toISOString(),
      ...(replay_of !== undefined && { replay_of }),
    },
  };
}

export function newEvent(input: { userId: string; rewardId: string; merchantId: string; quantity?: number; eventId?: string; replayOf?: string }): RedemptionEvent {
  return {
    event_id: input.eventId ?? crypto.randomUUID(),
    user_id: input.userId,
    reward_id: input.rewardId,
    quantity: input.quantity ?? 1,
    merchant_id: input.merchantId,
    timestamp: new Date().toISOString(),
    ...(input.replayOf !== undefined && { replay_of: input.replayOf }),
  };
}
