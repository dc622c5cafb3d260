import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { redeemGroup, type GroupResult } from '../../src/engine/redeemGroup.js';
import type { RedeemRequest } from '../../src/engine/types.js';
import { isTransientError } from '../../src/shared/errors.js';
import { Scenario, uniqueName, useTestDatabase } from '../support/scenario.js';

// Many redemptions in one transaction (src/engine/redeemGroup.ts; docs/engine.md, "Groups"): one
// commit for the group; an error that is not transient takes back only its own request; a group
// holds its locks until it commits, so two groups can deadlock where single requests could not,
// and the victim's whole group rolls back (a transient error for the caller to run again).

const test = useTestDatabase('postgres');

async function world(): Promise<Scenario> {
  return Scenario.create(test().database.db, {
    merchant: { name: uniqueName('Groups') },
    users: ['a', 'b', 'c', 'd'].map((k) => ({ email: `${k}@g.test`, points: 1_000 })),
    rewards: [
      { reward_code: 'S1', name: 'Stock one', fallback_points: 10, stock_total: 100 },
      { reward_code: 'S2', name: 'Stock two', fallback_points: 10, stock_total: 100 },
    ],
  });
}

function request(s: Scenario, user: string, reward: string, extra: Partial<RedeemRequest> = {}): RedeemRequest {
  return { merchantId: s.merchantId, userId: s.user(`${user}@g.test`), rewardId: s.reward(reward), quantity: 1, eventId: crypto.randomUUID(), ...extra };
}

async function requestRecords(s: Scenario, ids: string[]): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from redemption_requests where merchant_id = ${s.merchantId} and event_id = any (${ids}::text[])`.execute(s.db);
  return rows[0]!.n;
}

describe('redeemGroup', () => {
  it('commits every request of the group in one transaction, refusals and repeated event ids included', async () => {
    const s = await world();
    const first = request(s, 'a', 'S1');
    const requests = [first, request(s, 'b', 'S2', { quantity: 0 }), { ...first }, request(s, 'c', 'S1', { quantity: 2 })];
    const ran = await redeemGroup(s.db, requests);
    expect(ran.stop).toEqual({ kind: 'all' });
    expect(ran.results.map((r) => [r.success, r.error_code, r.idempotent])).toEqual([
      [true, null, false],
      [false, 'INVALID_QUANTITY', false],
      [true, null, true],
      [true, null, false],
    ]);
    // one transaction: the ledger rows share now(), the transaction's start
    const { rows } = await sql<{ n: number }>`
      select count(distinct created_at)::int as n from reward_redemptions_ledger where merchant_id = ${s.merchantId}`.execute(s.db);
    expect(rows[0]!.n).toBe(1);
    expect(await s.balance('a@g.test')).toBe(990);
  });

  it('takes back only the request that raised an error that is not transient; those before it commit', async () => {
    const s = await world();
    // direct mode without an actor is misuse (RD002): raised, not transient
    const requests = [request(s, 'a', 'S1'), request(s, 'b', 'S1', { mode: 'direct' }), request(s, 'c', 'S1')];
    const started: number[] = [];
    const ran = await redeemGroup(s.db, requests, { onStart: (i) => void started.push(i) });
    expect(ran.results.map((r) => r.success)).toEqual([true]);
    expect(ran.stop.kind).toBe('error');
    expect((ran.stop as { error: { code?: string } }).error.code).toBe('RD002');
    // the first request ran twice (the rollback took it back too), the third never
    expect(started).toEqual([0, 1, 0]);
    expect(await requestRecords(s, requests.map((r) => r.eventId!))).toBe(1);
    expect(await s.balance('a@g.test')).toBe(990);
    expect(await s.balance('c@g.test')).toBe(1_000);
  });

  it('stops taking requests once its time bound has passed', async () => {
    const s = await world();
    const ran = await redeemGroup(s.db, [request(s, 'a', 'S1'), request(s, 'b', 'S1')], { maxMs: 0 });
    expect(ran.results).toHaveLength(1);
    expect(ran.stop).toEqual({ kind: 'time' });
  });

  it('two groups taking two counters in opposite orders deadlock: the victim rolls back whole, the other commits', async () => {
    const s = await world();
    const one = [request(s, 'a', 'S1'), request(s, 'b', 'S2')];
    const two = [request(s, 'c', 'S2'), request(s, 'd', 'S1')];
    // each group's second request starts only once both groups hold their first counter
    let arrived = 0;
    let release!: () => void;
    const bothHoldOne = new Promise<void>((resolve) => (release = resolve));
    const barrier = async (index: number) => {
      if (index !== 1) return;
      if (++arrived === 2) release();
      await bothHoldOne;
    };
    const settled = await Promise.allSettled([redeemGroup(s.db, one, { onStart: barrier }), redeemGroup(s.db, two, { onStart: barrier })]);
    const failed = settled.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    const done = settled.filter((r): r is PromiseFulfilledResult<GroupResult> => r.status === 'fulfilled');
    expect(failed).toHaveLength(1);
    expect((failed[0]!.reason as { code?: string }).code).toBe('40P01');
    expect(isTransientError(failed[0]!.reason)).toBe(true);
    expect(done[0]!.value.results.map((r) => r.success)).toEqual([true, true]);
    const victim = settled[0]!.status === 'rejected' ? one : two;
    const winner = victim === one ? two : one;
    expect(await requestRecords(s, victim.map((r) => r.eventId!))).toBe(0);
    expect(await requestRecords(s, winner.map((r) => r.eventId!))).toBe(2);
    // run again, the victim's group commits
    expect((await redeemGroup(s.db, victim)).results.map((r) => [r.success, r.idempotent])).toEqual([
      [true, false],
      [true, false],
    ]);
  });
});
