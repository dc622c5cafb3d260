import { sql, type Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { quote } from '../engine/quote.js';
import type { QuoteResult } from '../engine/types.js';
import { GrantPlan } from './plan.js';
import { TaskPool } from './pool.js';
import type { ResolvedDemand } from './scan.js';

// What --all-or-nothing and --dry-run check against: one quote per member x reward pair of the
// file (every row is covered by its pair's quote), and for each pool reward the available codes
// counted up to what the whole batch asks of it. Reads only.

export async function buildPlan(db: Kysely<Schema>, merchantId: string, demand: ResolvedDemand, concurrency: number): Promise<GrantPlan> {
  const quotes = new Map<string, QuoteResult>();
  const pool = new TaskPool(concurrency);
  for (const [key, pair] of demand.pairs) {
    await pool.run(async () => {
      quotes.set(key, await quote(db, { merchantId, userId: pair.userId, rewardId: pair.rewardId, quantity: 1 }));
    });
  }
  await pool.drain();

  const codesAvailable = new Map<string, number>();
  const poolRewards = new Set([...demand.pairs.entries()].filter(([key]) => isPoolQuote(quotes.get(key))).map(([, p]) => p.rewardId));
  for (const rewardId of poolRewards) {
    codesAvailable.set(rewardId, await countCodes(db, rewardId, demand.unitsByReward.get(rewardId) ?? 0));
  }
  return new GrantPlan((userId, rewardId) => {
    const q = quotes.get(`${userId}|${rewardId}`);
    if (!q) throw new Error(`no quote for ${userId} x ${rewardId}: the scan and the plan disagree`);
    return q;
  }, codesAvailable);
}

/** quote_reward sets codes_available only for pool rewards. */
function isPoolQuote(q: QuoteResult | undefined): boolean {
  return q !== undefined && q.codes_available !== null && q.codes_available !== undefined;
}

/** Available, unexpired codes, counted no further than `needed`: bounded by the batch, not the pool. */
async function countCodes(db: Kysely<Schema>, rewardId: string, needed: number): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from (
      select 1 from reward_promo_code
      where reward_id = ${rewardId}::uuid and status = 'available' and (expires_at is null or expires_at > now())
      limit ${needed}::int) c`.execute(db);
  return rows[0]?.n ?? 0;
}
