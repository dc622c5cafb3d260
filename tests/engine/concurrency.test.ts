import pg from 'pg';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { Scenario, useTestDatabase } from '../support/scenario.js';
import {
  crowdFixture,
  expectBalancesMatchHoldings,
  liveUnitsByUser,
  memberEmail,
  redeemAllAtOnce,
  tally,
  writtenFor,
  type ConcurrentRequest,
} from '../support/concurrency.js';

// docs/testing.md, "Reliability tests": 200 concurrent requests from 50 members on the server; exactly what
// the pool, the stock or the limit allows is issued, nothing twice, no balance below zero. The
// invariant checker of tests/support/invariants.ts runs after every test (useTestDatabase).

const MEMBERS = Array.from({ length: 50 }, (_, i) => memberEmail(i));
const START = 1_000;
const PRICE = 50;

/** 200 requests, four per member, interleaved so neighbours in time are different members. */
function requests(reward: string, quantity: (i: number) => number = () => 1, count = 200): ConcurrentRequest[] {
  return Array.from({ length: count }, (_, i) => ({ user: MEMBERS[i % MEMBERS.length]!, reward, quantity: quantity(i) }));
}

describe('concurrent redemptions on the server', () => {
  const test = useTestDatabase('postgres', { poolSize: 20 });

  // First in the file, while the pool holds few connections: this test opens 50 of its own.
  it('50 members redeeming one pool reward are all in flight at once: none waits on another', async () => {
    const s = await Scenario.create(
      test().database.db,
      crowdFixture(50, START, [{ reward_code: 'POOL', name: 'Pool', assign_promocode: true, fallback_points: PRICE, codes: { generate: 100 } }]),
    );
    const clients = MEMBERS.map(() => new pg.Client({ connectionString: test().url, application_name: 'redeemctl-inflight' }));
    try {
      await Promise.all(clients.map((c) => c.connect()));
      await Promise.all(clients.map((c) => c.query('begin')));
      // Every transaction redeems and stays open. Were the pool path to queue on one hot row, the
      // second call would wait for the first to commit, which never happens before all return:
      // the watcher below turns such a wait into a failure naming who blocks whom.
      const pids = (await Promise.all(clients.map((c) => c.query<{ pid: number }>('select pg_backend_pid() as pid')))).map((r) => r.rows[0]!.pid);
      const calls = Promise.all(
        clients.map((c, i) =>
          c.query<{ result: { success: boolean; redemptions: Array<{ promo_code: string }> } }>(
            `select redeem_reward_with_points(p_reward_id => $1::uuid, p_quantity => 1, p_user_id => $2::uuid,
                                              p_merchant_id => $3::uuid, p_event_id => $4) as result`,
            [s.reward('POOL'), s.user(MEMBERS[i]!), s.merchantId, `inflight-${s.merchantId}-${i}`],
          ),
        ),
      );
      calls.catch(() => {}); // a failure is reported by the race below
      const results = await Promise.race([calls, failOnLockWait(test().url!, pids, calls)]);
      // All 50 returned while all 50 transactions are still open: 50 in flight at once.
      const { rows } = await sql<{ open: number }>`
        select count(*)::int as open from pg_stat_activity where pid = any (${pids}::int[]) and state = 'idle in transaction'`.execute(s.db);
      expect(rows[0]!.open).toBe(50);
      const codes = results.map((r) => r.rows[0]!.result);
      expect(codes.every((r) => r.success)).toBe(true);
      expect(new Set(codes.map((r) => r.redemptions[0]!.promo_code)).size).toBe(50);
      await Promise.all(clients.map((c) => c.query('commit')));
    } finally {
      await Promise.all(clients.map((c) => c.end().catch(() => {})));
    }
    expect(await s.codeStatuses('POOL')).toEqual({ available: 50, redeemed: 50 });
  });

  it('200 requests of 1 on a pool of 100 codes: exactly 100 issued, none twice, the rest INSUFFICIENT_CODES', async () => {
    const s = await Scenario.create(
      test().database.db,
      crowdFixture(50, START, [{ reward_code: 'POOL', name: 'Pool', assign_promocode: true, fallback_points: PRICE, codes: { generate: 100 } }]),
    );
    const results = await redeemAllAtOnce(s, requests('POOL'));
    const conflicts = results.filter((r) => r.error_code === 'CONCURRENT_CONFLICT');
    expect(tally(results)).toEqual({ success: 100, INSUFFICIENT_CODES: 100 - conflicts.length, ...(conflicts.length > 0 ? { CONCURRENT_CONFLICT: conflicts.length } : {}) });
    expect(await writtenFor(s, conflicts.map((r) => r.event_id))).toEqual({ requests: 0, rows: 0 });
    for (const refused of results.filter((r) => r.error_code === 'INSUFFICIENT_CODES')) {
      expect(refused.message).toBe('Only 0 code(s) available, you requested 1');
    }

    expect(await s.codeStatuses('POOL')).toEqual({ redeemed: 100 });
    const live = await s.db
      .selectFrom('reward_redemptions_ledger')
      .select(['promo_code', 'promo_code_id'])
      .where('reward_id', '=', s.reward('POOL'))
      .where('success', '=', true)
      .where('cancelled_at', 'is', null)
      .execute();
    expect(live).toHaveLength(100);
    expect(new Set(live.map((r) => r.promo_code_id)).size).toBe(100);
    expect(new Set(live.map((r) => r.promo_code)).size).toBe(100);
    const issuedInResults = results.flatMap((r) => r.redemptions.map((x) => x.promo_code));
    expect(new Set(issuedInResults).size).toBe(100);

    const held = await liveUnitsByUser(s, 'POOL');
    expect([...held.values()].reduce((a, b) => a + b, 0)).toBe(100);
    expect(await expectBalancesMatchHoldings(s, MEMBERS, START, PRICE, held)).toEqual([]);
  });

  it('200 requests of 1 to 3 codes on a pool of 100: never over-issued, and only a remainder too small for anyone is left', async () => {
    const s = await Scenario.create(
      test().database.db,
      crowdFixture(50, START, [{ reward_code: 'POOL', name: 'Pool', assign_promocode: true, fallback_points: PRICE, codes: { generate: 100 } }]),
    );
    const quantity = (i: number) => 1 + (i % 3);
    const results = await redeemAllAtOnce(s, requests('POOL', quantity));
    const counts = tally(results);
    expect(Object.keys(counts).every((k) => ['success', 'INSUFFICIENT_CODES', 'CONCURRENT_CONFLICT'].includes(k))).toBe(true);
    const conflicts = results.filter((r) => r.error_code === 'CONCURRENT_CONFLICT');
    expect(await writtenFor(s, conflicts.map((r) => r.event_id))).toEqual({ requests: 0, rows: 0 });
    for (const refused of results.filter((r) => r.error_code === 'INSUFFICIENT_CODES')) {
      expect(refused.available!).toBeLessThan(refused.requested!);
      expect(refused.message).toBe(`Only ${refused.available} code(s) available, you requested ${refused.requested}`);
    }

    const issued = results.filter((r) => r.success).reduce((n, r) => n + r.total_quantity, 0);
    const statuses = await s.codeStatuses('POOL');
    expect(statuses.redeemed).toBe(issued);
    expect((statuses.available ?? 0) + issued).toBe(100);
    // Demand is ~400 units: whatever is left is fewer than 3 codes, and a single code left over
    // means every request for one code was served.
    expect(statuses.available ?? 0).toBeLessThan(3);
    if ((statuses.available ?? 0) > 0) {
      expect(results.filter((r, i) => quantity(i) === 1 && !r.success)).toEqual([]);
    }
    const held = await liveUnitsByUser(s, 'POOL');
    expect([...held.values()].reduce((a, b) => a + b, 0)).toBe(issued);
    expect(await expectBalancesMatchHoldings(s, MEMBERS, START, PRICE, held)).toEqual([]);
  });

  it('200 requests on a reward without a pool and stock_total 100: exactly 100 units, the rest OUT_OF_STOCK', async () => {
    const s = await Scenario.create(
      test().database.db,
      crowdFixture(50, START, [{ reward_code: 'MUG', name: 'Mug', stock_total: 100, default_promo_code: 'MUG', fallback_points: PRICE }]),
    );
    const results = await redeemAllAtOnce(s, requests('MUG'));
    expect(tally(results)).toEqual({ success: 100, OUT_OF_STOCK: 100 });
    for (const refused of results.filter((r) => !r.success)) {
      expect(refused).toMatchObject({ message: 'Out of stock: 0 left, you requested 1', available: 0, requested: 1 });
    }
    const { rows } = await sql<{ issued: number }>`select issued from reward_stock_usage where reward_id = ${s.reward('MUG')}::uuid`.execute(s.db);
    expect(rows).toEqual([{ issued: 100 }]);
    const held = await liveUnitsByUser(s, 'MUG');
    expect([...held.values()].reduce((a, b) => a + b, 0)).toBe(100);
    expect(await expectBalancesMatchHoldings(s, MEMBERS, START, PRICE, held)).toEqual([]);
  });

  it("200 requests against a merchant-wide limit of 100 a day: exactly 100, the rest LIMIT_EXCEEDED", async () => {
    const s = await Scenario.create(
      test().database.db,
      crowdFixture(50, START, [{ reward_code: 'BAG', name: 'Bag', fallback_points: PRICE, limits: [{ scope: 'total', max: 100, unit: 'day' }] }]),
    );
    const results = await redeemAllAtOnce(s, requests('BAG'));
    expect(tally(results)).toEqual({ success: 100, LIMIT_EXCEEDED: 100 });
    for (const refused of results.filter((r) => !r.success)) {
      expect(refused).toMatchObject({ limit: 100, unit: 'day', scope: 'total', used: 100, remaining: 0, requested: 1 });
    }
    const { rows } = await sql<{ used: number }>`
      select u.used from limit_usage u join transaction_limits l on l.id = u.limit_id
      where l.reward_id = ${s.reward('BAG')}::uuid`.execute(s.db);
    expect(rows).toEqual([{ used: 100 }]);
    const held = await liveUnitsByUser(s, 'BAG');
    expect([...held.values()].reduce((a, b) => a + b, 0)).toBe(100);
    expect(await expectBalancesMatchHoldings(s, MEMBERS, START, PRICE, held)).toEqual([]);
  });

  it('10 requests at once from one member against a limit of 2 a day: exactly 2 succeed', async () => {
    const s = await Scenario.create(
      test().database.db,
      crowdFixture(1, START, [{ reward_code: 'SNACK', name: 'Snack', fallback_points: PRICE, limits: [{ scope: 'user', max: 2, unit: 'day' }] }]),
    );
    const results = await redeemAllAtOnce(s, requests('SNACK', () => 1, 10).map((r) => ({ ...r, user: memberEmail(0) })));
    expect(tally(results)).toEqual({ success: 2, LIMIT_EXCEEDED: 8 });
    for (const refused of results.filter((r) => !r.success)) {
      expect(refused).toMatchObject({ limit: 2, unit: 'day', scope: 'user', used: 2, remaining: 0, requested: 1 });
    }
    expect(await liveUnitsByUser(s, 'SNACK')).toEqual(new Map([[s.user(memberEmail(0)), 2]]));
    expect(await s.balance(memberEmail(0))).toBe(START - 2 * PRICE);
  });
});

/**
 * Resolves never; rejects as soon as one of `pids` waits on a lock that is held to the end of a
 * transaction (a row, a transaction id, a table), which here can only mean redemptions queue
 * behind each other. Relation-extension ('extend') and 'page' locks are left out: they are held
 * for the moment a file grows, not until commit, so waiting on them is not a queue.
 * Polls until `done` settles.
 */
async function failOnLockWait(url: string, pids: number[], done: Promise<unknown>): Promise<never> {
  let finished = false;
  done.then(
    () => (finished = true),
    () => (finished = true),
  );
  const watcher = new pg.Client({ connectionString: url });
  await watcher.connect();
  try {
    while (!finished) {
      const { rows } = await watcher.query(
        `select l.pid, pg_blocking_pids(l.pid) as blocked_by, l.locktype, l.relation::regclass::text as relation,
                l.mode, l.transactionid::text as xid, l.page, l.tuple
         from pg_locks l where not l.granted and l.pid = any ($1::int[]) and l.locktype not in ('extend', 'page')`,
        [pids],
      );
      if (rows.length > 0) throw new Error(`redemptions wait on each other: ${JSON.stringify(rows.slice(0, 3))}`);
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    await watcher.end();
  }
  return new Promise<never>(() => {});
}
