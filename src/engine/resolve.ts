import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { UsageError } from '../shared/errors.js';
import { isUuid } from './redeem.js';

// Operators type human keys: a member's email or tel, a reward's reward_code, a merchant's name.
// A uuid passes through unchanged, so the engine itself decides "not found" for ids.

export class NotFoundError extends UsageError {}

export async function resolveMerchantId(db: Kysely<Schema>, given: string | undefined): Promise<string> {
  if (given) {
    const row = await db
      .selectFrom('merchants')
      .select('id')
      .where((eb) => (isUuid(given) ? eb('id', '=', given) : eb('name', '=', given)))
      .executeTakeFirst();
    if (!row) throw new UsageError(`No merchant ${JSON.stringify(given)}: check --merchant or REDEEMCTL_MERCHANT`);
    return row.id;
  }
  const rows = await db.selectFrom('merchants').select(['id', 'name']).limit(2).execute();
  if (rows.length === 1) return rows[0]!.id;
  if (rows.length === 0) {
    throw new UsageError('The database holds no merchant yet: run `redeemctl db seed` (or `redeemctl demo`) first');
  }
  throw new UsageError('The database holds several merchants: pass --merchant <id or name> or set REDEEMCTL_MERCHANT');
}

export interface ResolvedKey {
  id: string | null;
  /** How the key was read, for messages: uuid, email, tel, reward_code. */
  kind: string;
}

export async function resolveUserId(db: Kysely<Schema>, merchantId: string, key: string): Promise<ResolvedKey> {
  if (isUuid(key)) return { id: key, kind: 'uuid' };
  const kind = key.includes('@') ? 'email' : 'tel';
  const row = await db
    .selectFrom('user_accounts')
    .select('id')
    .where('merchant_id', '=', merchantId)
    .where((eb) =>
      kind === 'email' ? eb(eb.fn('lower', ['email']), '=', key.toLowerCase()) : eb('tel', '=', key),
    )
    .executeTakeFirst();
  return { id: row?.id ?? null, kind };
}

export async function resolveRewardId(db: Kysely<Schema>, merchantId: string, key: string): Promise<ResolvedKey> {
  if (isUuid(key)) return { id: key, kind: 'uuid' };
  const row = await db
    .selectFrom('reward_master')
    .select('id')
    .where('merchant_id', '=', merchantId)
    .where('reward_code', '=', key)
    .executeTakeFirst();
  return { id: row?.id ?? null, kind: 'reward_code' };
}
