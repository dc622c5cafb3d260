import { sql, type Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import type { QuoteResult } from './types.js';

/** Price, eligibility and the largest quantity redeemable now; writes nothing. */
export async function quote(
  db: Kysely<Schema>,
  input: { merchantId: string; userId: string; rewardId: string; quantity?: number },
): Promise<QuoteResult> {
  const { rows } = await sql<{ result: QuoteResult }>`
    select quote_reward(${input.rewardId}::uuid, ${input.userId}::uuid, ${input.merchantId}::uuid,
                        ${input.quantity ?? 1}::int) as result`.execute(db);
  return rows[0]!.result;
}
