import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import type { Schema } from '../../src/db/schema.js';
import { cancel } from '../../src/engine/cancelAndUse.js';
import type { FixtureInput } from '../../src/demo/fixtureSchema.js';
import { codeStats } from '../../src/codes/stats.js';
import { poolHealth } from '../../src/monitoring/poolHealth.js';
import { BACKENDS } from '../support/databases.js';
import { memberEmail } from '../support/concurrency.js';
import { Scenario, uniqueName, useTestDatabase } from '../support/scenario.js';

// The claim's cost does not grow with the pool's history (issue 9, defect 7; docs/engine.md,
// "Nothing on the hot path grows with history or pool size" and "The claim floor and the expiry
// sweep"; sql/0019_claim_cost.sql). Structural assertions only: the shared buffers a claim
// touches (EXPLAIN ANALYZE BUFFERS counts the function's own statements) and its plan, never a
// time. History is written in bulk with SQL, as voided or expired codes (a redeemed code needs its
// ledger row, invariant 3): for the claim index they are the same, codes that have left it.

/** A claim from a fresh pool touches about a dozen buffers; this bound leaves room, and no room for history. */
const CLAIM_BUFFERS = 40;

function fixture(): FixtureInput {
  return {
    merchant: { name: uniqueName() },
    users: Array.from({ length: 8 }, (_, i) => ({ email: memberEmail(i), points: 1_000_000 })),
    rewards: [
      { reward_code: 'POOL', name: 'Pool', assign_promocode: true, fallback_points: 1 },
      { reward_code: 'OTHER', name: 'Other pool', assign_promocode: true, fallback_points: 1 },
    ],
  };
}

/** `count` codes PREFIX000001… in order (ascending ids), expiring at `expiresAt` (null: never). */
async function addCodes(db: Kysely<Schema>, s: Scenario, reward: string, count: number, prefix: string, expiresAt: Date | null = null): Promise<void> {
  await sql`
    insert into reward_promo_code (merchant_id, reward_id, promo_code, lot, expires_at)
    select ${s.merchantId}::uuid, ${s.reward(reward)}::uuid, ${prefix} || lpad(g::text, 6, '0'), ${prefix}, ${expiresAt}::timestamptz
    from generate_series(1, ${count}::int) g order by g`.execute(db);
}

/** History in one statement: the available codes of a lot voided. */
async function voidLot(db: Kysely<Schema>, s: Scenario, lot: string): Promise<void> {
  await sql`update reward_promo_code set status = 'voided'
            where merchant_id = ${s.merchantId}::uuid and lot = ${lot} and status = 'available'`.execute(db);
}

interface ExplainNode {
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
}

/**
 * Shared buffers (hit + read) of one claim of one code, its nested statements included, measured
 * on a connection whose plans are already cached, in a transaction rolled back.
 */
async function claimBuffers(database: Database, rewardId: string): Promise<number> {
  return database.withConnection(async (conn) => {
    try {
      await conn.exec('begin');
      await conn.query(`select * from rd_claim_codes($1::uuid, 1)`, [rewardId]);
      await conn.exec('rollback');
      await conn.exec('begin');
      const { rows } = await conn.query<{ 'QUERY PLAN': unknown }>(
        `explain (analyze, buffers, format json) select * from rd_claim_codes($1::uuid, 1)`,
        [rewardId],
      );
      const raw = rows[0]!['QUERY PLAN'];
      const plan = ((typeof raw === 'string' ? JSON.parse(raw) : raw) as Array<{ Plan: ExplainNode }>)[0]!.Plan;
      return (plan['Shared Hit Blocks'] ?? 0) + (plan['Shared Read Blocks'] ?? 0);
    } finally {
      await conn.exec('rollback');
    }
  });
}

async function promoCodes(s: Scenario, user: string, quantity = 1): Promise<string[]> {
  const r = await s.redeem(user, 'POOL', quantity);
  expect(r, r.message).toMatchObject({ success: true });
  return r.redemptions.map((x) => x.promo_code!);
}

/** The sweep, called until it finds nothing more (as the worker does, docs/engine.md). */
async function sweepAll(db: Kysely<Schema>): Promise<number> {
  let total = 0;
  for (;;) {
    const { rows } = await sql<{ n: number }>`select rd_sweep_expired_codes(5000) as n`.execute(db);
    total += rows[0]!.n;
    if (rows[0]!.n < 5000) return total;
  }
}

/** Claimable codes of the reward below the floor its claims start at: there must never be one. */
async function strandedBelowFloor(db: Kysely<Schema>, rewardId: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from reward_promo_code
    where reward_id = ${rewardId}::uuid and status = 'available' and retired_at is null
      and (expires_at is null or expires_at > now()) and id < rd_claim_floor(${rewardId}::uuid)`.execute(db);
  return rows[0]!.n;
}

describe.each(BACKENDS)('the claim cost on %s', (backend) => {
  const test = useTestDatabase(backend);
  const create = () => Scenario.create(test().database.db, fixture());

  it('a claim touches a bounded number of buffers however many voided codes lie ahead, on a never-analysed table', async () => {
    const { database } = test();
    const s = await create();
    await addCodes(database.db, s, 'POOL', 2_000, 'H1-');
    await addCodes(database.db, s, 'POOL', 20_000, 'H2-');
    await addCodes(database.db, s, 'POOL', 20, 'LIVE-');
    const fresh = await claimBuffers(database, s.reward('POOL'));
    expect(fresh).toBeLessThanOrEqual(CLAIM_BUFFERS);

    await voidLot(database.db, s, 'H1-');
    expect(await promoCodes(s, memberEmail(0))).toEqual(['H2-000001']); // the first claim passes the voided codes once
    const small = await claimBuffers(database, s.reward('POOL'));
    await voidLot(database.db, s, 'H2-');
    expect(await promoCodes(s, memberEmail(0))).toEqual(['LIVE-000001']);
    const large = await claimBuffers(database, s.reward('POOL'));

    expect(small, 'after 2,000 voided codes').toBeLessThanOrEqual(CLAIM_BUFFERS);
    expect(large, 'after 22,000 voided codes').toBeLessThanOrEqual(CLAIM_BUFFERS);
    expect(await strandedBelowFloor(database.db, s.reward('POOL'))).toBe(0);
  });

  it('the same with statistics taken while the pool was fresh (the plan that filtered every redeemed code)', async () => {
    const { database } = test();
    const s = await create();
    await addCodes(database.db, s, 'POOL', 10_000, 'OLD-');
    await addCodes(database.db, s, 'POOL', 20, 'LIVE-');
    await sql`analyze reward_promo_code`.execute(database.db);
    await voidLot(database.db, s, 'OLD-');
    expect(await promoCodes(s, memberEmail(1))).toEqual(['LIVE-000001']);
    expect(await claimBuffers(database, s.reward('POOL'))).toBeLessThanOrEqual(CLAIM_BUFFERS);
  });

  it('expired codes are never handed out, and claims do not visit them again, swept or not', async () => {
    const { database } = test();
    const s = await create();
    await addCodes(database.db, s, 'POOL', 3, 'A-');
    await addCodes(database.db, s, 'POOL', 10_000, 'EXP-', new Date(Date.now() - 86_400_000));
    await addCodes(database.db, s, 'POOL', 20, 'B-');
    expect(await promoCodes(s, memberEmail(2), 5)).toEqual(['A-000001', 'A-000002', 'A-000003', 'B-000001', 'B-000002']);
    // That claim passed the expired codes but could move the floor only to its own first code
    // (until it commits, its codes may yet go back); the next one passes them again and moves it.
    expect(await promoCodes(s, memberEmail(2), 1)).toEqual(['B-000003']);
    expect(await claimBuffers(database, s.reward('POOL'))).toBeLessThanOrEqual(CLAIM_BUFFERS);
    expect(await sweepAll(database.db)).toBeGreaterThanOrEqual(10_000);
    expect(await claimBuffers(database, s.reward('POOL'))).toBeLessThanOrEqual(CLAIM_BUFFERS);
    const rest = await s.redeem(memberEmail(2), 'POOL', 18);
    expect(rest).toMatchObject({ success: false, error_code: 'INSUFFICIENT_CODES', available: 17 });
    expect((await s.redeem(memberEmail(2), 'POOL', 17)).redemptions.map((r) => r.promo_code)).toEqual(
      Array.from({ length: 17 }, (_, i) => `B-${String(i + 4).padStart(6, '0')}`),
    );
    expect(await s.redeem(memberEmail(2), 'POOL', 1)).toMatchObject({ success: false, error_code: 'INSUFFICIENT_CODES', available: 0 });
    expect(await s.codeStatuses('POOL')).toEqual({ available: 10_000, redeemed: 23 });
  });

  it('the sweep retires expired codes: they stay expired in stats, pool counts and health, and leave the claim index', async () => {
    const { database } = test();
    await sweepAll(database.db); // what earlier tests of this file left expired
    const s = await create();
    await addCodes(database.db, s, 'POOL', 5, 'A-');
    await addCodes(database.db, s, 'POOL', 30, 'EXP-', new Date(Date.now() - 60_000));
    await addCodes(database.db, s, 'POOL', 5, 'B-', new Date(Date.now() + 86_400_000));
    await addCodes(database.db, s, 'OTHER', 7, 'O-', new Date(Date.now() - 60_000));

    const swept = await sql<{ n: number }>`select rd_sweep_expired_codes(1000) as n`.execute(database.db);
    expect(swept.rows[0]!.n).toBe(37);
    const again = await sql<{ n: number }>`select rd_sweep_expired_codes(1000) as n`.execute(database.db);
    expect(again.rows[0]!.n).toBe(0);

    const { rows } = await sql<{ lot: string; status: string; retired: boolean; n: number }>`
      select lot, status, retired_at is not null as retired, count(*)::int as n from reward_promo_code
      where merchant_id = ${s.merchantId}::uuid group by 1, 2, 3 order by 1`.execute(database.db);
    expect(rows).toEqual([
      { lot: 'A-', status: 'available', retired: false, n: 5 },
      { lot: 'B-', status: 'available', retired: false, n: 5 },
      { lot: 'EXP-', status: 'available', retired: true, n: 30 },
      { lot: 'O-', status: 'available', retired: true, n: 7 },
    ]);
    const [pool] = await codeStats(database.db, s.merchantId, s.reward('POOL'));
    expect(pool).toMatchObject({ available: 10, expired: 30, redeemed: 0, voided: 0, total: 40 });
    const health = await poolHealth(database.db, { merchantId: s.merchantId });
    expect(health.pools.find((p) => p.reward_code === 'POOL')).toMatchObject({ total: 40, available: 10, expired: 30, redeemed: 0, voided: 0 });
    expect(health.pools.find((p) => p.reward_code === 'OTHER')).toMatchObject({ total: 7, available: 0, expired: 7, status: 'EMPTY' });

    expect(await promoCodes(s, memberEmail(3), 10)).toEqual([
      ...['A-000001', 'A-000002', 'A-000003', 'A-000004', 'A-000005'],
      ...['B-000001', 'B-000002', 'B-000003', 'B-000004', 'B-000005'],
    ]);
    expect(await s.redeem(memberEmail(3), 'POOL', 1)).toMatchObject({ success: false, error_code: 'INSUFFICIENT_CODES', available: 0 });
    const after = await poolHealth(database.db, { merchantId: s.merchantId });
    expect(after.pools.find((p) => p.reward_code === 'POOL')).toMatchObject({ total: 40, available: 0, expired: 30, redeemed: 10 });
  });

  it('a released code is drawn first again, oldest first, after the floor has moved past it', async () => {
    const { database } = test();
    const s = await create();
    await addCodes(database.db, s, 'POOL', 100, 'R-');
    const events: string[] = [];
    for (let i = 0; i < 60; i++) {
      const r = await s.redeem(memberEmail(i % 8), 'POOL', 1);
      events.push(r.event_id);
    }
    const floor = await sql<{ f: number }>`select rd_claim_floor(${s.reward('POOL')}::uuid) as f`.execute(database.db);
    const third = await sql<{ id: number }>`select id from reward_promo_code where promo_code = 'R-000003' and merchant_id = ${s.merchantId}::uuid`.execute(database.db);
    expect(Number(floor.rows[0]!.f)).toBeGreaterThan(Number(third.rows[0]!.id)); // the claims have moved it

    expect(await cancel(s.db, { merchantId: s.merchantId, by: 'event', value: events[2]!, actor: 't', reason: 'r', codes: 'release' })).toMatchObject({ success: true, codes_released: 1 });
    expect(await strandedBelowFloor(database.db, s.reward('POOL'))).toBe(0);
    expect(await promoCodes(s, memberEmail(0), 2)).toEqual(['R-000003', 'R-000061']);
  });

  it('an exhausted pool: its floor goes past the end, and codes released or imported afterwards are drawn', async () => {
    const { database } = test();
    const s = await create();
    await addCodes(database.db, s, 'POOL', 3, 'X-');
    const first = await s.redeem(memberEmail(4), 'POOL', 3);
    expect(await s.redeem(memberEmail(4), 'POOL', 1)).toMatchObject({ success: false, error_code: 'INSUFFICIENT_CODES', available: 0 });
    await addCodes(database.db, s, 'OTHER', 50, 'Y-'); // ids beyond the pool's, from another reward
    expect(await s.redeem(memberEmail(4), 'POOL', 1)).toMatchObject({ success: false, error_code: 'INSUFFICIENT_CODES', available: 0 });

    await cancel(s.db, { merchantId: s.merchantId, by: 'event', value: first.event_id, actor: 't', reason: 'r', codes: 'release' });
    expect(await promoCodes(s, memberEmail(4), 3)).toEqual(['X-000001', 'X-000002', 'X-000003']);
    expect(await s.redeem(memberEmail(4), 'POOL', 1)).toMatchObject({ success: false, error_code: 'INSUFFICIENT_CODES', available: 0 });
    await addCodes(database.db, s, 'POOL', 2, 'Z-');
    expect(await promoCodes(s, memberEmail(4), 2)).toEqual(['Z-000001', 'Z-000002']);
  });

  it('a code whose expiry is moved later (not yet swept) comes back', async () => {
    const { database } = test();
    const s = await create();
    await addCodes(database.db, s, 'POOL', 40, 'E-', new Date(Date.now() - 60_000));
    await addCodes(database.db, s, 'POOL', 40, 'F-');
    expect(await promoCodes(s, memberEmail(5), 1)).toEqual(['F-000001']);
    await sql`update reward_promo_code set expires_at = now() + interval '1 day'
              where merchant_id = ${s.merchantId}::uuid and promo_code = 'E-000007'`.execute(database.db);
    expect(await promoCodes(s, memberEmail(5), 2)).toEqual(['E-000007', 'F-000002']);
  });
});

describe('the claim on postgres: its plan, and the floor under concurrency', () => {
  const test = useTestDatabase('postgres', { poolSize: 12 });

  it('the claim statement is an index scan of reward_promo_code_claim from the floor, whatever the statistics', async () => {
    const { database, url } = test();
    const s = await Scenario.create(database.db, fixture());
    await addCodes(database.db, s, 'POOL', 5_000, 'P-');
    await addCodes(database.db, s, 'POOL', 10, 'LIVE-');
    await sql`analyze reward_promo_code`.execute(database.db);
    await voidLot(database.db, s, 'P-');

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const plans: Array<{ 'Query Text': string; Plan: PlanNode }> = [];
      client.on('notice', (n) => {
        const text = n.message ?? '';
        const at = text.indexOf('{');
        if (text.includes('plan:') && at >= 0) plans.push(JSON.parse(text.slice(at)));
      });
      for (const setting of [
        `load 'auto_explain'`, `set auto_explain.log_min_duration = 0`, `set auto_explain.log_nested_statements = on`,
        `set auto_explain.log_format = json`, `set client_min_messages = log`,
      ]) await client.query(setting);
      for (const mode of ['force_custom_plan', 'force_generic_plan']) {
        await client.query(`set plan_cache_mode = ${mode}`);
        plans.length = 0;
        await client.query('begin');
        await client.query(`select * from rd_claim_codes($1, 1)`, [s.reward('POOL')]);
        await client.query('rollback');
        const claim = plans.find((p) => p['Query Text'].includes('for update skip locked'));
        expect(claim, mode).toBeDefined();
        const scan = findNode(claim!.Plan, (n) => n['Relation Name'] === 'reward_promo_code')!;
        expect(scan, mode).toMatchObject({ 'Node Type': 'Index Scan', 'Index Name': 'reward_promo_code_claim' });
        expect(scan['Index Cond'], mode).toMatch(/^\(\(ROW\(reward_id, id\) >= ROW\(/);
      }
    } finally {
      await client.end();
    }
  });

  it('under concurrent redemptions, releases and imports no claimable code is ever left below the floor', async () => {
    const { database } = test();
    const s = await Scenario.create(database.db, fixture());
    await addCodes(database.db, s, 'POOL', 150, 'C-');
    const successes: string[] = [];
    for (let round = 0; round < 6; round++) {
      const redeems = Array.from({ length: 16 }, (_, i) => s.redeem(memberEmail(i % 8), 'POOL', 1 + (i % 3)));
      const cancels = successes.splice(0, 5).map((eventId) =>
        cancel(s.db, { merchantId: s.merchantId, by: 'event', value: eventId, actor: 't', reason: 'r', codes: 'release' }));
      const imports = round % 2 === 0 ? [addCodes(database.db, s, 'POOL', 20, `I${round}-`)] : [];
      const [results] = await Promise.all([Promise.all(redeems), Promise.all(cancels), Promise.all(imports)]);
      for (const r of results) if (r.success) successes.push(r.event_id);
      expect(await strandedBelowFloor(database.db, s.reward('POOL')), `round ${round}`).toBe(0);
    }
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from reward_promo_code
      where reward_id = ${s.reward('POOL')}::uuid and status = 'available'`.execute(database.db);
    const drain = await s.redeem(memberEmail(0), 'POOL', rows[0]!.n);
    expect(drain, drain.message).toMatchObject({ success: true, total_quantity: rows[0]!.n });
  });
});

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Plans?: PlanNode[];
}

function findNode(node: PlanNode, match: (n: PlanNode) => boolean): PlanNode | undefined {
  if (match(node)) return node;
  for (const child of node.Plans ?? []) {
    const found = findNode(child, match);
    if (found) return found;
  }
  return undefined;
}
