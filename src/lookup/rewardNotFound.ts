import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { resolveRewardId } from '../engine/resolve.js';
import { didYouMean, rankSuggestions } from './suggest.js';

// The refusal for a reward_code that names no reward of this merchant, with the nearest codes
// of the same merchant (never another merchant's: tenancy, docs/lookup.md).

export interface UnknownReward {
  message: string;
  suggestions: string[];
}

/** Reads the merchant's reward codes (a few hundred at most in practice) and ranks them. */
export async function describeUnknownReward(db: Kysely<Schema>, merchantId: string, key: string): Promise<UnknownReward> {
  const rows = await db.selectFrom('reward_master').select('reward_code').where('merchant_id', '=', merchantId).execute();
  const suggestions = rankSuggestions(key, rows.map((r) => r.reward_code));
  const message = `No reward with reward_code ${key}` + (suggestions.length > 0 ? `.${didYouMean(suggestions)}` : '');
  return { message, suggestions };
}

/**
 * A reward of this merchant by uuid or reward_code: its id, or the refusal to print. Unlike
 * redeem (which leaves a uuid to the engine), lookups check a uuid here too.
 */
export async function findRewardId(
  db: Kysely<Schema>,
  merchantId: string,
  key: string,
): Promise<{ id: string; refusal?: undefined } | { id?: undefined; refusal: UnknownReward }> {
  const { id, kind } = await resolveRewardId(db, merchantId, key);
  if (id && kind !== 'uuid') return { id };
  if (id) {
    const row = await db.selectFrom('reward_master').select('id').where('merchant_id', '=', merchantId).where('id', '=', id).executeTakeFirst();
    return row ? { id: row.id } : { refusal: { message: `No reward with uuid ${key}`, suggestions: [] } };
  }
  return { refusal: await describeUnknownReward(db, merchantId, key) };
}
