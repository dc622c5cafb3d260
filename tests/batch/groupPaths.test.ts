import pg from 'pg';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServerDatabase, type TestDatabase } from '../support/databases.js';
import { findViolations } from '../support/invariants.js';
import { BatchWorld, effectsOfBatch } from '../support/batchWorld.js';
import { runInProcess } from '../support/cliHarness.js';

// How a group of `batch run` ends when it cannot simply commit (src/batch/grantGroup.ts), on a
// real server with real locks: a row answered CONCURRENT_CONFLICT (another transaction holds every
// code of its pool) goes alone through redeem() and its retries, and the rows after it go on in a
// group; a lock timeout (transient) rolls the whole group back and it is run again with back-off.

let handle: TestDatabase;
let world: BatchWorld;
let holder: pg.Client | undefined;

beforeAll(async () => {
  handle = await createServerDatabase({ poolSize: 4 });
});
beforeEach(async () => {
  world = await BatchWorld.create(handle.database.db, handle.url!);
});
afterEach(async () => {
  await holder?.end().catch(() => {});
  holder = undefined;
  expect(await findViolations(handle.database.db)).toEqual([]);
});
afterAll(async () => {
  await handle?.drop();
});

/** Another session with an open transaction, to hold locks the batch meets. */
async function hold(statement: string, params: unknown[]): Promise<pg.Client> {
  holder = new pg.Client({ connectionString: handle.url });
  await holder.connect();
  await holder.query('begin');
  await holder.query(statement, params);
  return holder;
}

async function committed(eventIds: string[]): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from redemption_requests where event_id = any (${eventIds}::text[])`.execute(world.db);
  return rows[0]!.n;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The transactions the rows were granted in: lines sharing a ledger created_at (now() is the transaction's start). */
async function transactionsOf(batchId: string): Promise<number[][]> {
  const { rows } = await sql<{ lines: string[] }>`
    select array_agg(distinct event_id order by event_id) as lines from reward_redemptions_ledger
    where source_type = 'batch' and source_id = ${batchId} group by created_at order by min(created_at)`.execute(world.db);
  return rows.map((r) => r.lines.map((e) => Number(e.slice(batchId.length + 1))).sort((a, b) => a - b));
}

describe('a group stopped by CONCURRENT_CONFLICT', () => {
  it('commits the rows before it, sends that row alone with its retries, then groups the rest', async () => {
    const text = ['email,reward_code', 'bob@b.test,TOTE', 'cat@b.test,TOTE', 'ann@b.test,VOUCHER', 'ann@b.test,TOTE', 'bob@b.test,TOTE'].join('\n') + '\n';
    const file = world.file('conflict.csv', text);
    const batchId = world.batchIdOf(text);
    // Every available code of the pool held by another transaction: the claim finds none free.
    const codes = await hold("select id from reward_promo_code where reward_id = $1 and status = 'available' for update", [world.scenario.reward('VOUCHER')]);
    const run = world.cli('batch', 'run', '--yes', file, '--reason', 'r', '--group-size', '10', '--concurrency', '1', '--json');
    // Lines 2 and 3 committed as a group: line 4 is being retried alone. Let its codes go.
    await until('the rows before the conflict', async () => (await committed([`${batchId}:2`, `${batchId}:3`])) === 2);
    // Line 4 meets the held codes whether the first group reached it or its 50 ms bound ended the
    // group after line 3 (then line 4 opens the next group and stops it at once): give it that time
    // before the codes go, or a late line 4 found them free and ran in a group (a flaky run).
    // (Short: line 4's own retries, about 1.6 s in all, must outlast the hold.)
    await new Promise((resolve) => setTimeout(resolve, 200));
    await codes.query('rollback');
    const r = await run;
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).results.map((x: any) => [x.line, x.outcome, x.promo_codes.length])).toEqual([
      [2, 'granted', 0],
      [3, 'granted', 0],
      [4, 'granted', 1],
      [5, 'granted', 0],
      [6, 'granted', 0],
    ]);
    expect([...(await effectsOfBatch(world.db, batchId)).values()].map((e) => [e.requests, e.status, e.ledger])).toEqual(Array(5).fill([1, 'succeeded', 1]));
    // Line 4 in a transaction of its own (redeem()); the others in groups (a slow first row may let
    // the 50 ms time bound split one), in file order.
    const transactions = await transactionsOf(batchId);
    expect(transactions).toContainEqual([4]);
    expect(transactions.flat()).toEqual([2, 3, 4, 5, 6]);
  });
});

describe('a group rolled back by a transient error', () => {
  it('is run again with back-off once the lock is free: every row granted once, charged once', async () => {
    const text = ['email,reward_code', 'ann@b.test,TOTE', 'bob@b.test,TOTE', 'cat@b.test,TOTE'].join('\n') + '\n';
    const file = world.file('transient.csv', text);
    const batchId = world.batchIdOf(text);
    const url = new URL(handle.url!);
    url.searchParams.set('options', '-c lock_timeout=50');
    // Bob's wallet held: the group's second row times out on it (55P03), after the first ran.
    const wallet = await hold('select 1 from user_wallet where user_id = $1 for update', [world.scenario.user('bob@b.test')]);
    const before = await world.balances();
    const run = runInProcess(['batch', 'run', '--yes', file, '--reason', 'r', '--group-size', '10', '--json'], { env: { ...world.env, DATABASE_URL: url.toString() } });
    // The group waits on the wallet; held past lock_timeout, that try fails (55P03) and rolls back.
    await until('a session waiting on the wallet', async () => {
      // Not asked in the holder's session: pg_stat_activity is a snapshot for a whole transaction.
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(world.db);
      return rows[0]!.n > 0;
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    await wallet.query('rollback');
    const r = await run;
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).counts).toMatchObject({ granted: 3, refused: 0 });
    expect([...(await effectsOfBatch(world.db, batchId)).values()].map((e) => [e.requests, e.status, e.ledger])).toEqual(Array(3).fill([1, 'succeeded', 1]));
    const after = await world.balances();
    for (const member of ['ann@b.test', 'bob@b.test', 'cat@b.test']) expect(after[member], member).toBe(before[member]! - 10);
  });
});
