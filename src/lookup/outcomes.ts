import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { done, refused, type Outcome } from '../shared/outcome.js';
import { Refusal } from '../shared/refusal.js';
import { resolveReward } from './keys.js';
import { findMember, findMembers, type MemberProfile, type MemberSummary } from './members.js';
import { memberRedemptions, type RedemptionLine } from './redemptions.js';
import { rewardDetails, type RewardDetail } from './rewards.js';

// Each support lookup as the outcome of its command (docs/lookup.md): the answer, exit 0 (an
// empty one too: no match is not a refusal), or the refusal when a named member or reward names
// nothing, exit 1. The result is the command's JSON document as it is.

type Db = Kysely<Schema>;

export interface MemberMatches {
  fragment: string;
  limit: number;
  members: MemberSummary[];
  truncated: boolean;
}

/** `members find`. */
export async function memberMatches(db: Db, merchantId: string, fragment: string, limit: number): Promise<Outcome<MemberMatches>> {
  return done({ fragment, limit, ...(await findMembers(db, merchantId, fragment, limit)) });
}

export interface MemberCard {
  member: MemberProfile;
  redemptions: RedemptionLine[];
  limit: number;
  truncated: boolean;
}

/** `members show`: the member and their latest redemptions. */
export async function memberCard(db: Db, merchantId: string, key: string, limit: number): Promise<Outcome<MemberCard | Refusal>> {
  const member = await findMember(db, merchantId, key);
  if (member instanceof Refusal) return refused(member);
  const { redemptions, truncated } = await memberRedemptions(db, { merchantId, userId: member.id, limit });
  return done({ member, redemptions, limit, truncated });
}

/** `rewards list`. */
export async function rewardList(db: Db, merchantId: string, limit: number): Promise<Outcome<{ rewards: RewardDetail[]; truncated: boolean }>> {
  return done(await rewardDetails(db, merchantId, { limit }));
}

/** `rewards show`. */
export async function rewardCard(db: Db, merchantId: string, key: string): Promise<Outcome<RewardDetail | Refusal>> {
  const rewardId = await resolveReward(db, merchantId, key);
  if (rewardId instanceof Refusal) return refused(rewardId);
  return done((await rewardDetails(db, merchantId, { rewardId, limit: 1 })).rewards[0]!);
}

export interface RedemptionQuery {
  user: string;
  reward?: string | undefined;
  since: Date | null;
  limit: number;
}

export interface MemberRedemptionList {
  member: Pick<MemberProfile, 'id' | 'email' | 'tel'>;
  filters: { reward: string | null; since: string | null; limit: number };
  redemptions: RedemptionLine[];
  truncated: boolean;
}

/** `redemptions list`: the member's redemptions, newest first, filtered by reward and time. */
export async function memberRedemptionList(db: Db, merchantId: string, query: RedemptionQuery): Promise<Outcome<MemberRedemptionList | Refusal>> {
  const member = await findMember(db, merchantId, query.user);
  if (member instanceof Refusal) return refused(member);
  const rewardId = query.reward === undefined ? null : await resolveReward(db, merchantId, query.reward);
  if (rewardId instanceof Refusal) return refused(rewardId);
  const found = await memberRedemptions(db, { merchantId, userId: member.id, rewardId, since: query.since, limit: query.limit });
  return done({
    member: { id: member.id, email: member.email, tel: member.tel },
    filters: { reward: query.reward ?? null, since: query.since?.toISOString() ?? null, limit: query.limit },
    ...found,
  });
}
