import { sql } from 'kysely';
import type { RedeemResult } from '../../src/engine/types.js';
import type { FixtureInput } from '../../src/demo/fixtureSchema.js';
import { uniqueName, type Scenario } from './scenario.js';

// Helpers for tests/engine/concurrency.test.ts: many members, many requests at once, and the tallies to check.

/** `count` members m01@c.test… each holding `points`, plus the given rewards. */
export function crowdFixture(count: number, points: number, rewards: FixtureInput['rewards']): FixtureInput {
  return {
    merchant: { name: uniqueName('Crowd') },
    users: Array.from({ length: count }, (_, i) => ({ email: memberEmail(i), points })),
    rewards: rewards ?? [],
  };
}

export function memberEmail(i: number): string {
  return `m${String(i + 1).padStart(2, '0')}@c.test`;
}

export interface ConcurrentRequest {
  user: string;
  reward: string;
  quantity: number;
}

/**
 * Fires every request at once and waits for all of them. A rejected call is a test failure in
 * itself (the engine must answer with a result), so the rejections are thrown together.
 */
export async function redeemAllAtOnce(s: Scenario, requests: ConcurrentRequest[]): Promise<RedeemResult[]> {
  const settled = await Promise.allSettled(requests.map((r) => s.redeem(r.user, r.reward, r.quantity)));
  const rejected = settled.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error)?.message ?? r.reason)] : []));
  if (rejected.length > 0) throw new Error(`${rejected.length} redeem() call(s) rejected: ${rejected.slice(0, 3).join(' | ')}`);
  return settled.map((r) => (r as PromiseFulfilledResult<RedeemResult>).value);
}

/** How many results ended how: 'success' or the error code. */
export function tally(results: RedeemResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) {
    const key = r.success ? 'success' : String(r.error_code);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** Units each member holds in live (successful, not cancelled) rows of one reward. */
export async function liveUnitsByUser(s: Scenario, reward: string): Promise<Map<string, number>> {
  const rows = await s.db
    .selectFrom('reward_redemptions_ledger')
    .select(['user_id', (eb) => eb.fn.sum<number>('qty').as('units')])
    .where('reward_id', '=', s.reward(reward))
    .where('success', '=', true)
    .where('cancelled_at', 'is', null)
    .groupBy('user_id')
    .execute();
  return new Map(rows.map((r) => [r.user_id!, Number(r.units)]));
}

/** Each member's balance is what they started with minus the price of what they hold. */
export async function expectBalancesMatchHoldings(
  s: Scenario,
  members: string[],
  start: number,
  unitPrice: number,
  held: Map<string, number>,
): Promise<Array<{ member: string; balance: number; expected: number }>> {
  const mismatches = [];
  for (const member of members) {
    const balance = await s.balance(member);
    const expected = start - unitPrice * (held.get(s.user(member)) ?? 0);
    if (balance !== expected) mismatches.push({ member, balance, expected });
  }
  return mismatches;
}

/** Ledger rows and request records written under these event ids (CONCURRENT_CONFLICT must leave none). */
export async function writtenFor(s: Scenario, eventIds: string[]): Promise<{ requests: number; rows: number }> {
  if (eventIds.length === 0) return { requests: 0, rows: 0 };
  const { rows } = await sql<{ requests: number; rows: number }>`
    select (select count(*) from redemption_requests where event_id = any (${eventIds}::text[]))::int as requests,
           (select count(*) from reward_redemptions_ledger where event_id = any (${eventIds}::text[]))::int as rows`.execute(s.db);
  return rows[0]!;
}
