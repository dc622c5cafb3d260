import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import type { RedeemResult } from '../engine/types.js';
import type { GrantMode } from './types.js';

// The stored results of rows an earlier run of this batch already sent, read in one query per
// chunk of rows (event id primary key lookups). A rerun or a resume reports these rows from
// here instead of calling the engine again, which would return the same stored result but count
// a redelivery in the replay metrics.

export interface StoredRequest {
  userId: string | null;
  rewardId: string | null;
  quantity: number | null;
  mode: string;
  result: RedeemResult;
}

export async function storedRequests(db: Kysely<Schema>, merchantId: string, eventIds: string[]): Promise<Map<string, StoredRequest>> {
  const found = new Map<string, StoredRequest>();
  if (eventIds.length === 0) return found;
  const rows = await db
    .selectFrom('redemption_requests')
    .select(['event_id', 'user_id', 'reward_id', 'quantity', 'mode', 'result'])
    .where('event_id', 'in', eventIds)
    .where('merchant_id', '=', merchantId)
    .execute();
  for (const row of rows) {
    if (!row.result) continue;
    found.set(row.event_id, {
      userId: row.user_id,
      rewardId: row.reward_id,
      quantity: row.quantity,
      mode: row.mode,
      result: { ...(row.result as RedeemResult), idempotent: true },
    });
  }
  return found;
}

/** A stored request is this row's only if it asked for the same thing; else the engine decides (IDEMPOTENCY_CONFLICT). */
export function sameRequest(stored: StoredRequest, wanted: { userId: string; rewardId: string; quantity: number; mode: GrantMode }): boolean {
  return (
    stored.userId === wanted.userId && stored.rewardId === wanted.rewardId && stored.quantity === wanted.quantity && stored.mode === wanted.mode
  );
}
