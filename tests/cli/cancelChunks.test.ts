import { spawn, type ChildProcess } from 'node:child_process';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { BIN, collectOutput, ensureDist, REPO_ROOT, runInProcess, TEST_HOME, type CliResult } from '../support/cliHarness.js';
import { createServerDatabase, type TestDatabase } from '../support/databases.js';
import { findViolations } from '../support/invariants.js';
import { Scenario, uniqueName } from '../support/scenario.js';

// `cancel` in chunks from the command line (docs/batch.md, "cancel --batch"; docs/engine.md,
// "Cancel"): --chunk-size, and Ctrl-C between two chunks (exit 130, what was done, the command that
// finishes it), then that command run as printed: every row cancelled once, every refund once.

const START = 1_000_000;
const MEMBERS = 20;

let handle: TestDatabase;
let s: Scenario;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  await ensureDist();
  handle = await createServerDatabase({ poolSize: 8 });
  s = await Scenario.create(handle.database.db, {
    merchant: { name: uniqueName('Chunks Co') },
    users: Array.from({ length: MEMBERS }, (_, i) => ({ email: `c${i}@chunks.test`, points: START })),
    rewards: [{ reward_code: 'HOT', name: 'Hot', fallback_points: 10, stock_total: 100_000, limits: [{ scope: 'total', max: 100_000, unit: 'all_time' }] }],
  });
});
afterEach(async () => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  expect(await findViolations(handle.database.db)).toEqual([]);
});
afterAll(async () => {
  await handle?.drop();
});

const env = () => ({ DATABASE_URL: handle.url!, NO_COLOR: '1', REDEEMCTL_ACTOR: 'tester', REDEEMCTL_MERCHANT: s.merchantId });
const cli = (...argv: string[]): Promise<CliResult> => runInProcess(argv, { env: env() });

/** `rows` rows of HOT in batch `batchId`, spread over the members. */
async function grant(batchId: string, rows: number): Promise<void> {
  const queue = Array.from({ length: rows }, (_, i) => i);
  await Promise.all(
    Array.from({ length: 6 }, async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        const r = await s.redeem(`c${i % MEMBERS}@chunks.test`, 'HOT', 1, { sourceType: 'batch', sourceId: batchId });
        if (!r.success) throw new Error(r.message);
      }
    }),
  );
}

async function state(batchId: string) {
  const { rows } = await sql<{ cancelled: number; live: number; refunds: number; twice: number }>`
    select count(*) filter (where l.cancelled_at is not null)::int as cancelled,
           count(*) filter (where l.cancelled_at is null)::int as live,
           (select count(*) from wallet_ledger w where w.source_type = 'redemption_cancellation'
              and w.source_id in (select id::text from reward_redemptions_ledger where source_id = ${batchId}))::int as refunds,
           (select count(*) from (select source_id from wallet_ledger where source_type = 'redemption_cancellation'
              group by source_id having count(*) > 1) d)::int as twice
    from reward_redemptions_ledger l where l.source_type = 'batch' and l.source_id = ${batchId}`.execute(handle.database.db);
  return rows[0]!;
}

describe('cancel --chunk-size', () => {
  it('cancels in chunks of that many rows, one transaction each, and says so', async () => {
    await grant('C1', 5);
    const r = await cli('cancel', '--batch', 'C1', '--reason', 'bad batch', '--yes', '--chunk-size', '2', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ success: true, cancelled: 5, chunks: 3, more: false, points_refunded: 50,
      message: 'Cancelled 5 redemption(s), refunding 50 points, in 3 chunks of at most 2' });
    expect(await state('C1')).toEqual({ cancelled: 5, live: 0, refunds: 5, twice: 0 });
  });

  it('refuses a chunk size out of range before any work (exit 2)', async () => {
    await grant('C2', 2);
    const r = await cli('cancel', '--batch', 'C2', '--reason', 'bad batch', '--yes', '--chunk-size', '0');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--chunk-size must be a whole number from 1 to 10000');
    expect(await state('C2')).toMatchObject({ cancelled: 0, live: 2 });
  });
});

describe('Ctrl-C between chunks (the built binary)', () => {
  it('stops after the chunk in flight with exit 130 and the command that finishes it; run as printed, it does', async () => {
    await grant('C3', 1_200);
    const argv = ['cancel', '--batch', 'C3', '--reason', 'bad batch', '--yes', '--chunk-size', '1'];
    const child = spawn(process.execPath, [BIN, ...argv], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: TEST_HOME, ...env() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    const ended = collectOutput(child);
    await vi.waitFor(async () => expect((await state('C3')).cancelled).toBeGreaterThan(0), { timeout: 30_000, interval: 5 });
    child.kill('SIGINT');
    const stopped = await ended;
    children.delete(child);
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(stopped.stderr).toMatch(/Stopped by SIGINT after \d+ chunk\(s\): \d+ redemption\(s\) cancelled/);
    expect(stopped.stderr).toContain(`To finish, run the same command again`);
    expect(stopped.stderr).toContain(`redeemctl cancel --batch C3 --reason 'bad batch' --yes --chunk-size 1`);
    const midway = await state('C3');
    expect(midway.live).toBeGreaterThan(0);
    expect(midway).toMatchObject({ refunds: midway.cancelled, twice: 0 });

    const rest = await cli(...argv, '--chunk-size', '500', '--json');
    expect(rest.code, rest.stderr).toBe(0);
    expect(JSON.parse(rest.stdout)).toMatchObject({ success: true, cancelled: midway.live, already_cancelled: midway.cancelled, more: false });
    expect(await state('C3')).toEqual({ cancelled: 1_200, live: 0, refunds: 1_200, twice: 0 });
    // Every balance is what it was less the points of the member's live rows: refunded exactly once.
    const { rows } = await sql`
      select w.user_id from user_wallet w left join reward_redemptions_ledger l on l.user_id = w.user_id and l.success and l.cancelled_at is null
      where w.merchant_id = ${s.merchantId}::uuid group by w.user_id, w.points_balance
      having w.points_balance <> ${START}::bigint - coalesce(sum(l.points_deducted), 0)`.execute(handle.database.db);
    expect(rows).toEqual([]);
  });
});
