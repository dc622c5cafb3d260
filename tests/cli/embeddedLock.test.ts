import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { whoHolds, type LockHolder } from '../../src/db/dataDirLock.js';
import { BIN, collectOutput, ensureDist, runBinary } from '../support/cliHarness.js';
import { tmuxAvailable, TmuxSession } from '../support/tuiTmux.js';

// The embedded database serves one process at a time (docs/embedded.md): these run the built CLI
// as separate processes on one data folder, as operators in two terminals would, and check what
// they would check afterwards: balances, ledger rows, pool counts, exit codes and messages.

let dir: string;
let dataDir: string;
let env: Record<string, string>;
const children: ChildProcess[] = [];
const sessions: TmuxSession[] = [];

beforeAll(async () => {
  await ensureDist();
  dir = mkdtempSync(join(tmpdir(), 'redeemctl-lock-'));
  dataDir = join(dir, 'data');
  env = { REDEEMCTL_DATA_DIR: dataDir, REDEEMCTL_ACTOR: 'tester', NO_COLOR: '1' };
  const demo = await runBinary(['demo', '--json'], env, dir);
  expect(demo.code, demo.stderr).toBe(0);
}, 180_000);

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  for (const session of sessions.splice(0)) await session.kill();
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  done: ReturnType<typeof collectOutput>;
}

function start(argv: string[]): Started {
  const child = spawn(process.execPath, [BIN, ...argv], { cwd: dir, env: { PATH: process.env.PATH ?? '', HOME: dir, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const done = collectOutput(child);
  return { child, done };
}

/** Until `pid` holds the data folder's lock; its statement then. */
async function untilHeldBy(pid: number, timeoutMs = 60_000): Promise<LockHolder> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const holder = await whoHolds(realpathSync(dataDir));
    if (holder?.pid === pid) return holder;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`pid ${pid} never took the lock of ${dataDir}`);
}

async function balanceOf(email: string): Promise<number> {
  const q = await runBinary(['quote', '--user', email, '--reward', 'COFFEE-MUG', '--json'], env, dir);
  expect(q.stdout, q.stderr).toContain('"balance"');
  return (JSON.parse(q.stdout) as { balance: number }).balance;
}

function grantsCsv(rows: number): string {
  const file = join(dir, `grants-${rows}-${Date.now()}.csv`);
  writeFileSync(file, 'email,reward_code,quantity,mode\n' + 'vip@example.com,TOTE-BAG,1,direct\n'.repeat(rows));
  return file;
}

/** Rows `batch status` counts as granted for one batch, over all its runs. */
async function grantedRows(batchId: string): Promise<number> {
  const r = await runBinary(['batch', 'status', '--json'], env, dir);
  expect(r.code, r.stderr).toBe(0);
  const doc = JSON.parse(r.stdout) as { batches: Array<{ batch_id: string; granted: number; status: string }> };
  const batch = doc.batches.find((b) => b.batch_id === batchId);
  expect(batch?.status).toBe('completed');
  return batch!.granted;
}

describe('a data folder that holds no database', () => {
  it('is refused by every command but demo and db migrate, with the path and a hint, and nothing is created', async () => {
    const typo = join(dir, 'dta');
    for (const argv of [['pool', 'health'], ['redeem', '--user', 'vip@example.com', '--reward', 'COFFEE-MUG'], ['db', 'status'], ['db', 'seed']]) {
      const r = await runBinary(argv, { ...env, REDEEMCTL_DATA_DIR: typo }, dir);
      expect({ argv, code: r.code }).toEqual({ argv, code: 3 });
      expect(r.stderr).toContain(`No embedded database at ${typo}`);
      expect(r.stderr).toContain('redeemctl db migrate');
      expect(existsSync(typo)).toBe(false);
    }
    const flag = await runBinary(['--data-dir', typo, 'quote', '--user', 'vip@example.com', '--reward', 'COFFEE-MUG'], env, dir);
    expect(flag.code).toBe(3);
    expect(flag.stderr).toContain(`No embedded database at ${typo}`);
    expect(existsSync(typo)).toBe(false);

    const migrate = await runBinary(['db', 'migrate', '--json'], { ...env, REDEEMCTL_DATA_DIR: typo }, dir);
    expect(migrate.code, migrate.stderr).toBe(0);
    expect(existsSync(join(typo, 'PG_VERSION'))).toBe(true);
    const status = await runBinary(['db', 'status', '--json'], { ...env, REDEEMCTL_DATA_DIR: typo }, dir);
    expect(status.code, status.stderr).toBe(0);
  }, 120_000);
});

describe('two processes on one embedded database', () => {
  it('two redeems started at once both take effect, one after the other', async () => {
    const before = await balanceOf('vip@example.com');
    const runs = ['lock-at-once-1', 'lock-at-once-2'].map((eventId) =>
      start(['redeem', '--user', 'vip@example.com', '--reward', 'COFFEE-MUG', '--event-id', eventId, '--json', '--lock-wait', '60']),
    );
    const results = await Promise.all(runs.map((r) => r.done));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const docs = results.map((r) => JSON.parse(r.stdout) as { success: boolean; total_points_deducted: number; idempotent: boolean });
    expect(docs.map((d) => [d.success, d.idempotent])).toEqual([
      [true, false],
      [true, false],
    ]);
    // Whichever came second said why it waited.
    expect(results.some((r) => r.stderr.includes('Waiting up to 60 s for the embedded database: in use by pid'))).toBe(true);
    const spent = docs.reduce((n, d) => n + d.total_points_deducted, 0);
    expect(await balanceOf('vip@example.com')).toBe(before - spent);
    // Both are in the ledger: each event id is found by a cancel preview.
    for (const eventId of ['lock-at-once-1', 'lock-at-once-2']) {
      const c = await runBinary(['cancel', '--event', eventId, '--reason', 'check', '--dry-run', '--json'], env, dir);
      expect(c.code, c.stdout + c.stderr).toBe(0);
    }
  }, 120_000);

  it('a batch run holds the folder: --lock-wait 0 refuses at once naming it (exit 3, nothing changed); a waiting redeem goes after it', async () => {
    const before = await balanceOf('vip@example.com');
    const batch = start(['batch', 'run', grantsCsv(3000), '--reason', 'lock test', '--json']);
    const holder = await untilHeldBy(batch.child.pid!);
    expect(holder.command).toBe('redeemctl batch run');

    const refused = await runBinary(
      ['--lock-wait', '0', 'redeem', '--user', 'vip@example.com', '--reward', 'COFFEE-MUG', '--event-id', 'lock-refused'],
      env,
      dir,
    );
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(`is in use by pid ${batch.child.pid} (\`redeemctl batch run\``);
    expect(refused.stderr).toContain('set DATABASE_URL');

    const waiting = start(['redeem', '--user', 'vip@example.com', '--reward', 'COFFEE-MUG', '--event-id', 'lock-waited', '--json', '--lock-wait', '300']);
    const [batchDone, waited] = await Promise.all([batch.done, waiting.done]);
    expect(batchDone.code, batchDone.stderr).toBe(0);
    expect(waited.code, waited.stderr).toBe(0);
    expect(waited.stderr).toContain(`in use by pid ${batch.child.pid} (\`redeemctl batch run\``);
    const redeemed = JSON.parse(waited.stdout) as { success: boolean; total_points_deducted: number };
    expect(redeemed.success).toBe(true);
    // The refused one changed nothing, the waiting one and all 3,000 free grants took effect.
    expect(await balanceOf('vip@example.com')).toBe(before - redeemed.total_points_deducted);
    expect((JSON.parse(batchDone.stdout) as { counts: { granted: number } }).counts.granted).toBe(3000);
    const c = await runBinary(['cancel', '--event', 'lock-refused', '--reason', 'check', '--dry-run', '--json'], env, dir);
    expect(c.stdout).toContain('REDEMPTION_NOT_FOUND');
  }, 240_000);

  it('kill -9 of the holder leaves no lock behind: the next command runs at once, and the resumed batch grants every row once', async () => {
    const file = grantsCsv(2500);
    const first = start(['batch', 'run', file, '--reason', 'kill test', '--json']);
    await untilHeldBy(first.child.pid!);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    first.child.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');

    const resumed = await runBinary(['--lock-wait', '0', 'batch', 'run', file, '--reason', 'kill test', '--json'], env, dir);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).not.toContain('in use by');
    const doc = JSON.parse(resumed.stdout) as { batch_id: string };
    expect(await grantedRows(doc.batch_id)).toBe(2500);
  }, 240_000);
});

describe.skipIf(!tmuxAvailable())('the console open beside support staff (the reported data loss)', () => {
  it('dash lends the folder to a redeem, shows its codes gone, and after q the redemption is still there', async () => {
    const poolAvailable = async () => {
      const r = await runBinary(['pool', 'health', '--json'], env, dir);
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { pools: Array<{ reward_code: string; available: number }> }).pools.find((p) => p.reward_code === 'COFFEE-VOUCHER')!.available;
    };
    const before = await poolAvailable();
    const dash = await TmuxSession.start({ command: [process.execPath, BIN, 'dash'], env: { ...env, PATH: process.env.PATH ?? '', HOME: dir }, cwd: dir, columns: 160, rows: 45 });
    sessions.push(dash);
    await dash.waitFor(/COFFEE-VOUCHER/, 60_000);

    const redeem = await runBinary(['redeem', '--user', 'vip@example.com', '--reward', 'COFFEE-VOUCHER', '--quantity', '3', '--event-id', 'beside-dash', '--json'], env, dir);
    expect(redeem.code, redeem.stderr).toBe(0);
    expect(redeem.stderr).toContain('asked it to lend the database');
    const result = JSON.parse(redeem.stdout) as { success: boolean; redemptions: Array<{ promo_code: string }> };
    expect(result.success).toBe(true);
    expect(result.redemptions).toHaveLength(3);

    // The console reopens the folder and shows the three codes gone.
    await dash.waitFor(new RegExp(`${before - 3} available of`), 60_000);
    await dash.send('q');
    expect(await dash.waitForExit(20_000)).toBe(0);

    expect(await poolAvailable()).toBe(before - 3);
    const found = await runBinary(['cancel', '--event', 'beside-dash', '--reason', 'check', '--dry-run', '--json'], env, dir);
    expect(found.code, found.stdout + found.stderr).toBe(0);
    expect(found.stdout).not.toContain('REDEMPTION_NOT_FOUND');
  }, 240_000);
});
