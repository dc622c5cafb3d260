import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { UsageError } from '../shared/errors.js';
import { isUuid } from '../shared/uuid.js';

// The merchant an operator acts for, by id or name (--merchant, REDEEMCTL_MERCHANT), or the only
// one. Members and rewards are read by src/lookup/keys.ts, the one resolver of those keys.

export async function resolveMerchantId(db: Kysely<Schema>, given: string | undefined): Promise<string> {
  if (given) {
    const row = await db
      .selectFrom('merchants')
      .select('id')
      .where((eb) => (isUuid(given) ? eb('id', '=', given) : eb('name', '=', given)))
      .executeTakeFirst();
    if (!row) throw new UsageError(`No merchant ${JSON.stringify(given)}: check --merchant or REDEEMCTL_MERCHANT`, { hint: null });
    return row.id;
  }
  const rows = await db.selectFrom('merchants').select(['id', 'name']).limit(2).execute();
  if (rows.length === 1) return rows[0]!.id;
  if (rows.length === 0) {
    throw new UsageError('The database holds no merchant yet: run `redeemctl db seed` (or `redeemctl demo`) first', { hint: null });
  }
  throw new UsageError('The database holds several merchants: pass --merchant <id or name> or set REDEEMCTL_MERCHANT', { hint: null });
}
