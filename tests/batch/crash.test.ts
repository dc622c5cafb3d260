import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FixtureInput } from '../../src/demo/fixtureSchema.js';
import { BIN, REPO_ROOT, runBinary } from '../support/cliHarness.js';
import { createServerDatabase, type TestDatabase } from '../support/databases.js';
import { findViolations } from '../support/invariants.js';
import { BatchWorld, effectsOfBatch, reportLines } from '../support/batchWorld.js';
import { ensureDist } from '../support/cliHarness.js';

// docs/testing.md, "Reliability tests": `batch run` killed with SIGKILL part-way and run again: every row
// granted exactly once in effect, the report complete. The built binary in a child process.

const ROWS = 3_000;
const MEMBERS = 300;

let handle: TestDatabase;
let world: BatchWorld;

function fixture(): FixtureInput {
  return {
    merchant: { name: 'Crash Co' },
    users: Array.from({ length: MEMBERS }, (_, i) => ({ email: `m${i}@crash.test`, tel: `+1555030${String(i).padStart(4, '0')}`, points: 1_000_000 })),
    rewards: [
      { reward_code: 'POOL', name: 'Pool reward', assign_promocode: true, fallback_points: 10, codes: { generate: 2_500, prefix: 'C-' } },
      { reward_code: 'PLAIN', name: 'Plain reward', fallback_points: 5 },
    ],
  };
}

/** Row i: a pool reward every third row (quantity 1 or 2), else the plain one (1..5); every fourth direct. */
function row(i: number): { member: string; reward: string; quantity: number; mode: string } {
  const pool = i % 3 === 0;
  return {
    member: i % 2 === 0 ? `m${i % MEMBERS}@crash.test` : `+1555030${String(i % MEMBERS).padStart(4, '0')}`,
    reward: pool ? 'POOL' : 'PLAIN',
    quantity: pool ? 1 + (i % 2) : 1 + (i % 5),
    mode: i % 4 === 0 ? 'direct' : 'calc',
  };
}

beforeAll(async () => {
  await ensureDist();
  handle = await createServerDatabase({ poolSize: 4 });
  world = await BatchWorld.create(handle.database.db, handle.url!, fixture());
}, 180_000);
afterAll(async () => {
  await handle?.drop();
});

async function batchRequests(batchId: string): Promise<number> {
  return requestsOf(world, batchId);
}

async function requestsOf(of: BatchWorld, batchId: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from redemption_requests where source_type = 'batch' and source_id = ${batchId}`.execute(of.db);
  return rows[0]!.n;
}

describe('batch run killed with SIGKILL and run again', () => {
  it('grants every row exactly once and completes the report', async () => {
    // Members alternate between the email and the tel column.
    const csv =
      ['email,tel,reward_code,quantity,mode']
        .concat(
          Array.from({ length: ROWS }, (_, i) => {
            const r = row(i);
            const byEmail = r.member.includes('@');
            return `${byEmail ? r.member : ''},${byEmail ? '' : r.member},${r.reward},${r.quantity},${r.mode}`;
          }),
        )
        .join('\n') + '\n';
    const file = world.file('crash.csv', csv);
    const report = world.path('crash.report.csv');
    const batchId = world.batchIdOf(csv);
    const env = { DATABASE_URL: handle.url!, REDEEMCTL_ACTOR: 'tester', NO_COLOR: '1' };
    const argv = ['batch', 'run', '--yes', file, '--reason', 'crash test', '--report', report, '--concurrency', '4'];

    // First run: killed once it has granted some rows but not all.
    const child = spawn(process.execPath, [BIN, ...argv], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    const firstRowAt = { t: 0 };
    let atKill = 0;
    for (;;) {
      atKill = await batchRequests(batchId);
      if (atKill > 0 && firstRowAt.t === 0) firstRowAt.t = Date.now();
      if (atKill >= ROWS / 5) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const secondsToKill = (Date.now() - firstRowAt.t) / 1000;
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const committed = await batchRequests(batchId);
    expect(committed).toBeGreaterThanOrEqual(atKill);
    expect(committed).toBeLessThan(ROWS);

    // What a crash leaves: the report's path untouched, beside it a partial report that is a
    // prefix of the file's rows, and a batch still running.
    expect(existsSync(report)).toBe(false);
    const partial = reportLines(readFileSync(`${report}.partial`, 'utf8'));
    expect(partial[0]).toBe('row,member,reward,quantity,outcome,error_code,message,event_id,redemption_codes,promo_codes');
    expect(partial.length - 1).toBeLessThanOrEqual(committed);
    expect(partial.slice(1).map((l) => Number(l.split(',')[0]))).toEqual(Array.from({ length: partial.length - 1 }, (_, i) => i + 2));
    const running = JSON.parse((await runBinary(['batch', 'status', batchId, '--json'], env, REPO_ROOT)).stdout);
    expect(running).toMatchObject({ status: 'running', rows: ROWS, granted: committed, pending: ROWS - committed });

    // Second run, to the end.
    const second = await runBinary([...argv, '--json'], env, REPO_ROOT);
    expect(second.code, second.stderr).toBe(0);
    const summary = JSON.parse(second.stdout);
    expect(summary).toMatchObject({ batch_id: batchId, status: 'completed', run: 2, rows: ROWS, problem_count: 0 });
    expect(summary.counts).toMatchObject({ granted: ROWS - committed, already_granted: committed, refused: 0, invalid: 0 });

    // Every row has exactly one request record, succeeded, and exactly its ledger rows.
    const byEvent = await effectsOfBatch(world.db, batchId);
    expect(byEvent.size).toBe(ROWS);
    let expectedLedgerRows = 0;
    for (let i = 0; i < ROWS; i++) {
      const r = row(i);
      const rowsOfRequest = r.reward === 'POOL' ? r.quantity : 1;
      expectedLedgerRows += rowsOfRequest;
      expect(byEvent.get(`${batchId}:${i + 2}`)).toEqual({ event_id: `${batchId}:${i + 2}`, requests: 1, status: 'succeeded', ledger: rowsOfRequest, qty: r.quantity });
    }
    const ledger = await sql<{ n: number }>`select count(*)::int as n from reward_redemptions_ledger where source_type = 'batch' and source_id = ${batchId}`.execute(world.db);
    expect(ledger.rows[0]!.n).toBe(expectedLedgerRows);

    // The report: every line once, in order, each granted in one of the two runs.
    const complete = reportLines(readFileSync(report, 'utf8'));
    expect(existsSync(`${report}.partial`)).toBe(false);
    expect(complete).toHaveLength(ROWS + 1);
    expect(complete.slice(1).map((l) => Number(l.split(',')[0]))).toEqual(Array.from({ length: ROWS }, (_, i) => i + 2));
    const outcomes = complete.slice(1).map((l) => l.split(',')[4]);
    expect(outcomes.filter((o) => o === 'already_granted')).toHaveLength(committed);
    expect(outcomes.filter((o) => o === 'granted')).toHaveLength(ROWS - committed);
    expect(await findViolations(world.db)).toEqual([]);

    const firstRate = Math.round(atKill / secondsToKill);
    console.info(
      `batch crash test: first run ~${firstRate} rows/s until SIGKILL at ${atKill} rows (${committed} committed); ` +
        `second run ${summary.rows_per_s} rows/s over ${ROWS} rows (${ROWS - committed} granted, ${committed} already granted)`,
    );
  }, 120_000);

  it('with explicit groups (--group-size 25, 3 in flight): every row granted exactly once, charged once, no code issued twice', async () => {
    // A merchant of its own: the first test used up part of the pool.
    const grouped = await BatchWorld.create(handle.database.db, handle.url!, { ...fixture(), merchant: { name: 'Crash Groups Co' } });
    const csv =
      ['email,tel,reward_code,quantity,mode,note']
        .concat(
          Array.from({ length: ROWS }, (_, i) => {
            const r = row(i);
            const byEmail = r.member.includes('@');
            return `${byEmail ? r.member : ''},${byEmail ? '' : r.member},${r.reward},${r.quantity},${r.mode},g${i}`;
          }),
        )
        .join('\n') + '\n';
    const file = grouped.file('crash-groups.csv', csv);
    const batchId = grouped.batchIdOf(csv);
    const env = { DATABASE_URL: handle.url!, REDEEMCTL_ACTOR: 'tester', NO_COLOR: '1', REDEEMCTL_MERCHANT: grouped.scenario.merchantId };
    const argv = ['batch', 'run', '--yes', file, '--reason', 'crash groups', '--group-size', '25', '--concurrency', '3'];
    const before = await grouped.balances();

    const child = spawn(process.execPath, [BIN, ...argv], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    let committed: number;
    try {
      // Killed with groups in flight: their open transactions roll back on the server.
      while ((await requestsOf(grouped, batchId)) < ROWS / 4) await new Promise((resolve) => setTimeout(resolve, 10));
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      committed = await requestsOf(grouped, batchId);
      expect(committed).toBeLessThan(ROWS);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }

    const second = await runBinary([...argv, '--json'], env, REPO_ROOT);
    expect(second.code, second.stderr).toBe(0);
    const summary = JSON.parse(second.stdout);
    expect(summary).toMatchObject({ batch_id: batchId, status: 'completed', run: 2, group_size: 25, rows: ROWS, rows_done: ROWS, problem_count: 0 });
    expect(summary.counts).toMatchObject({ granted: ROWS - committed, already_granted: committed, refused: 0, invalid: 0 });

    // Every row: one request, succeeded, exactly its ledger rows; every balance charged once.
    const byEvent = await effectsOfBatch(grouped.db, batchId);
    expect(byEvent.size).toBe(ROWS);
    const spent = new Map<string, number>();
    for (let i = 0; i < ROWS; i++) {
      const r = row(i);
      const pool = r.reward === 'POOL';
      expect(byEvent.get(`${batchId}:${i + 2}`)).toEqual({ event_id: `${batchId}:${i + 2}`, requests: 1, status: 'succeeded', ledger: pool ? r.quantity : 1, qty: r.quantity });
      const email = `m${i % MEMBERS}@crash.test`;
      if (r.mode === 'calc') spent.set(email, (spent.get(email) ?? 0) + r.quantity * (pool ? 10 : 5));
    }
    const after = await grouped.balances();
    for (let m = 0; m < MEMBERS; m++) {
      const email = `m${m}@crash.test`;
      expect(after[email], email).toBe(before[email]! - (spent.get(email) ?? 0));
    }
    // No pool code issued twice: each redeemed code is the code of exactly one ledger row of the batch.
    const codes = await sql<{ ledger_rows: number; distinct_codes: number; redeemed: number; twice: number }>`
      select (select count(*) from reward_redemptions_ledger where source_id = ${batchId} and promo_code_id is not null)::int as ledger_rows,
             (select count(distinct promo_code_id) from reward_redemptions_ledger where source_id = ${batchId} and promo_code_id is not null)::int as distinct_codes,
             (select count(*) from reward_promo_code where merchant_id = ${grouped.scenario.merchantId}::uuid and status = 'redeemed')::int as redeemed,
             (select count(*) from (select promo_code_id from reward_redemptions_ledger where promo_code_id is not null
                and merchant_id = ${grouped.scenario.merchantId}::uuid group by promo_code_id having count(*) > 1) t)::int as twice`.execute(grouped.db);
    const poolUnits = Array.from({ length: ROWS }, (_, i) => row(i)).filter((r) => r.reward === 'POOL').reduce((n, r) => n + r.quantity, 0);
    expect(codes.rows[0]).toEqual({ ledger_rows: poolUnits, distinct_codes: poolUnits, redeemed: poolUnits, twice: 0 });
    expect(await findViolations(grouped.db)).toEqual([]);
    console.info(`batch crash test with groups: SIGKILL at ${committed} of ${ROWS} rows committed; second run ${summary.rows_per_s} rows/s`);
  }, 120_000);
});
