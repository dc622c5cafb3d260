import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';

// The values the shell completion scripts ask for (`redeemctl __complete KIND PREFIX`,
// docs/cli.md "Shell completion"): keys an operator types, starting with what is typed so far.
// Reward codes are case-sensitive, as the resolver reads them (src/lookup/keys.ts).

const MAX_VALUES = 200;

/** The merchant's reward codes that start with `prefix`, in order. */
export async function rewardCodesStartingWith(db: Kysely<Schema>, merchantId: string, prefix: string): Promise<string[]> {
  const rows = await db
    .selectFrom('reward_master')
    .select('reward_code')
    .where('merchant_id', '=', merchantId)
    .where('reward_code', 'like', `${escapeLike(prefix)}%`)
    .orderBy('reward_code')
    .limit(MAX_VALUES)
    .execute();
  return rows.map((r) => r.reward_code);
}

/** Merchant names that start with `prefix` (what --merchant takes besides an id), in order. */
export async function merchantNamesStartingWith(db: Kysely<Schema>, prefix: string): Promise<string[]> {
  const rows = await db
    .selectFrom('merchants')
    .select('name')
    .where('name', 'like', `${escapeLike(prefix)}%`)
    .orderBy('name')
    .limit(MAX_VALUES)
    .execute();
  return rows.map((r) => r.name);
}

/** `%`, `_` and `\` typed by the operator are themselves, not patterns. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
