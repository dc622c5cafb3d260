import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { Refusal } from '../shared/refusal.js';
import { didYouMean, rankSuggestions } from './suggest.js';

// The refusal for a reward key that names no reward of this merchant, with the nearest
// reward_codes of the same merchant (never another merchant's: tenancy, docs/lookup.md).

/**
 * `No reward with reward_code COFE. Did you mean COFFEE-MUG?`: REWARD_NOT_FOUND, with
 * `suggestions` in JSON (an empty list when nothing is near, and always for a uuid).
 */
export function rewardNotFound(key: string, kind: 'uuid' | 'reward_code', suggestions: string[] = []): Refusal {
  const message = `No reward with ${kind} ${key}` + (suggestions.length > 0 ? `.${didYouMean(suggestions)}` : '');
  return new Refusal('REWARD_NOT_FOUND', message, { suggestions });
}

/** The merchant's reward codes (a few hundred at most in practice), to rank against a misspelt key. */
export async function rewardCodes(db: Kysely<Schema>, merchantId: string): Promise<string[]> {
  const rows = await db.selectFrom('reward_master').select('reward_code').where('merchant_id', '=', merchantId).execute();
  return rows.map((r) => r.reward_code);
}

/** The refusal for a reward_code that names nothing, with the nearest codes. */
export async function unknownRewardCode(db: Kysely<Schema>, merchantId: string, key: string): Promise<Refusal> {
  return rewardNotFound(key, 'reward_code', rankSuggestions(key, await rewardCodes(db, merchantId)));
}
