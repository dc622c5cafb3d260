import { sql, type Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { isUuid } from '../shared/uuid.js';

/**
 * What an unreadable message still tells: an event id and a merchant are enough to record the
 * failure (sql/0006_invalid_event.sql), so GET /redemptions/<event_id> and the member app learn
 * the outcome. The other fields go in only when they are of the right type; anything else is null.
 */
export interface InvalidEventArgs {
  eventId: string;
  merchantId: string;
  userId: string | null;
  rewardId: string | null;
  quantity: number | null;
}

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

/** The arguments of record_invalid_event, or null when the message names no event id and merchant. */
export function invalidEventArgs(value: Buffer | null | undefined): InvalidEventArgs | null {
  if (!value || value.length === 0) return null;
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return null;
  const fields = json as Record<string, unknown>;
  const eventId = fields.event_id;
  // redemption_requests.event_id is 1..200 characters (0001_schema.sql).
  if (typeof eventId !== 'string' || eventId.length < 1 || eventId.length > 200) return null;
  const merchantId = uuidOrNull(fields.merchant_id);
  if (merchantId === null) return null;
  const quantity = fields.quantity;
  return {
    eventId,
    merchantId,
    userId: uuidOrNull(fields.user_id),
    rewardId: uuidOrNull(fields.reward_id),
    quantity: typeof quantity === 'number' && Number.isInteger(quantity) && quantity >= INT_MIN && quantity <= INT_MAX ? quantity : null,
  };
}

function uuidOrNull(value: unknown): string | null {
  return typeof value === 'string' && isUuid(value) ? value : null;
}

/** Records the INVALID_EVENT failure (request record and failure row); a second call changes nothing. */
export async function recordInvalidEvent(db: Kysely<Schema>, args: InvalidEventArgs, reason: string): Promise<void> {
  await sql`
    select record_invalid_event(${args.eventId}, ${args.merchantId}::uuid, ${args.userId}::uuid,
                                ${args.rewardId}::uuid, ${args.quantity}::int, ${reason})`.execute(db);
}
