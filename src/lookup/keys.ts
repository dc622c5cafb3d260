import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { isUuid } from '../shared/uuid.js';
import { Refusal } from '../shared/refusal.js';
import { rewardNotFound, unknownRewardCode } from './rewardNotFound.js';

// The one reading of the member and reward keys an operator types (docs/cli.md, "Members and
// rewards by key"): a member by uuid, email (without regard to case) or tel; a reward by uuid or
// reward_code. Always within the merchant, a uuid included: another merchant's member or reward is
// "not found", like one that does not exist. A key that names nothing is a Refusal
// (USER_NOT_FOUND / REWARD_NOT_FOUND, exit 1); a reward_code comes with the nearest codes.

export type MemberKeyKind = 'uuid' | 'email' | 'tel';
export type RewardKeyKind = 'uuid' | 'reward_code';

/** How a member key is read: a uuid, else an email when it has an `@`, else a tel. */
export function memberKeyKind(key: string): MemberKeyKind {
  if (isUuid(key)) return 'uuid';
  return key.includes('@') ? 'email' : 'tel';
}

export function rewardKeyKind(key: string): RewardKeyKind {
  return isUuid(key) ? 'uuid' : 'reward_code';
}

/** `No member with email x@y`: USER_NOT_FOUND. */
export function memberNotFound(key: string, kind: MemberKeyKind = memberKeyKind(key)): Refusal {
  return new Refusal('USER_NOT_FOUND', `No member with ${kind} ${key}`);
}

/** The member's id, or the refusal to print. */
export async function resolveMember(db: Kysely<Schema>, merchantId: string, key: string): Promise<string | Refusal> {
  const kind = memberKeyKind(key);
  const row = await db
    .selectFrom('user_accounts')
    .select('id')
    .where('merchant_id', '=', merchantId)
    .where((eb) => {
      if (kind === 'uuid') return eb('id', '=', key);
      return kind === 'email' ? eb(eb.fn('lower', ['email']), '=', key.toLowerCase()) : eb('tel', '=', key);
    })
    .executeTakeFirst();
  return row?.id ?? memberNotFound(key, kind);
}

/** The reward's id, or the refusal to print (with the nearest codes for a reward_code). */
export async function resolveReward(db: Kysely<Schema>, merchantId: string, key: string): Promise<string | Refusal> {
  const kind = rewardKeyKind(key);
  const row = await db
    .selectFrom('reward_master')
    .select('id')
    .where('merchant_id', '=', merchantId)
    .where((eb) => (kind === 'uuid' ? eb('id', '=', key) : eb('reward_code', '=', key)))
    .executeTakeFirst();
  if (row) return row.id;
  return kind === 'uuid' ? rewardNotFound(key, kind) : unknownRewardCode(db, merchantId, key);
}

/** A member and a reward, the member first: the first key that names nothing is the refusal. */
export async function resolveMemberAndReward(
  db: Kysely<Schema>,
  merchantId: string,
  memberKey: string,
  rewardKey: string,
): Promise<{ userId: string; rewardId: string } | Refusal> {
  const userId = await resolveMember(db, merchantId, memberKey);
  if (userId instanceof Refusal) return userId;
  const rewardId = await resolveReward(db, merchantId, rewardKey);
  if (rewardId instanceof Refusal) return rewardId;
  return { userId, rewardId };
}
