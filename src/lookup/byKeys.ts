import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { redeem } from '../engine/redeem.js';
import { quote } from '../engine/quote.js';
import type { Mode, QuoteResult, RedeemResult } from '../engine/types.js';
import { bySuccess, refused, type Outcome } from '../shared/outcome.js';
import { Refusal } from '../shared/refusal.js';
import { resolveMemberAndReward } from './keys.js';

// `redeem` and `quote` for the keys an operator typed: the member and reward resolved first
// (src/lookup/keys.ts; one that names nothing is refused before the engine is called), then the
// engine, whose verdict decides the exit code.

type Db = Kysely<Schema>;

export interface RedeemByKeys {
  user: string;
  reward: string;
  quantity: number;
  mode: Mode;
  eventId?: string | undefined;
  actor: string;
  reason?: string | undefined;
}

export async function redeemByKeys(db: Db, merchantId: string, request: RedeemByKeys): Promise<Outcome<RedeemResult | Refusal>> {
  const target = await resolveMemberAndReward(db, merchantId, request.user, request.reward);
  if (target instanceof Refusal) return refused(target);
  return bySuccess(
    await redeem(db, {
      merchantId,
      ...target,
      quantity: request.quantity,
      mode: request.mode,
      ...(request.eventId !== undefined && { eventId: request.eventId }),
      sourceType: 'cli',
      actor: request.actor,
      ...(request.reason !== undefined && { reason: request.reason }),
    }),
  );
}

/** Exit 1 whenever redeem would refuse the request as quoted, not only when the member is ineligible. */
export async function quoteByKeys(db: Db, merchantId: string, request: { user: string; reward: string; quantity: number }): Promise<Outcome<QuoteResult | Refusal>> {
  const target = await resolveMemberAndReward(db, merchantId, request.user, request.reward);
  if (target instanceof Refusal) return refused(target);
  const result = await quote(db, { merchantId, ...target, quantity: request.quantity });
  return { exitCode: result.would_succeed ? 0 : 1, result };
}
