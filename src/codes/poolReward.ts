import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { UsageError } from '../shared/errors.js';
import { isUuid } from '../shared/uuid.js';

export interface PoolReward {
  id: string;
  rewardCode: string;
  /** The merchant's zone: a date-only expires_at ends at midnight there. */
  timeZone: string;
}

/** --reward by uuid or reward_code, in this merchant; it must draw codes from a pool. */
export async function resolvePoolReward(db: Kysely<Schema>, merchantId: string, key: string): Promise<PoolReward> {
  const row = await db
    .selectFrom('reward_master as r')
    .innerJoin('merchants as m', 'm.id', 'r.merchant_id')
    .select(['r.id', 'r.reward_code', 'r.name', 'r.assign_promocode', 'm.time_zone'])
    .where('r.merchant_id', '=', merchantId)
    .where((eb) => (isUuid(key) ? eb('r.id', '=', key) : eb('r.reward_code', '=', key)))
    .executeTakeFirst();
  if (!row) throw new UsageError(`--reward ${key}: no such reward in this merchant (give its uuid or reward_code)`);
  if (!row.assign_promocode) {
    throw new UsageError(
      `--reward ${key}: reward ${row.reward_code} (${row.name}) does not draw codes from a pool (assign_promocode is false), so it takes no codes: pick a pool reward`,
    );
  }
  return { id: row.id, rewardCode: row.reward_code, timeZone: row.time_zone };
}

/** --reward for the read-only commands: any reward of the merchant, or none for all of them. */
export async function resolveAnyReward(db: Kysely<Schema>, merchantId: string, key: string | undefined): Promise<string | null> {
  if (key === undefined) return null;
  const row = await db
    .selectFrom('reward_master')
    .select('id')
    .where('merchant_id', '=', merchantId)
    .where((eb) => (isUuid(key) ? eb('id', '=', key) : eb('reward_code', '=', key)))
    .executeTakeFirst();
  if (!row) throw new UsageError(`--reward ${key}: no such reward in this merchant (give its uuid or reward_code)`);
  return row.id;
}
