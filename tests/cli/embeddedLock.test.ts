import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useEmbeddedFolder } from '../support/embeddedFolder.js';

// The embedded database serves one process at a time (docs/embedded.md): these run the built CLI
// as separate processes on one data folder, as operators in two terminals would, and check what
// they would check afterwards: balances, ledger rows, pool counts, exit codes and messages.
// The recovery cases (kill -9, the console lending the folder) are in embeddedLockRecovery.test.ts.

const f = useEmbeddedFolder();

describe('a data folder that holds no database', () => {
  it('is refused by every command but demo and db migrate, with the path and a hint, and nothing is created', async () => {
    const typo = join(f.dir, 'dta');
    for (const argv of [['pool', 'health'], ['redeem', '--user', 'vip@example.com', '--reward', 'COFFEE-MUG'], ['db', 'status'], ['db', 'seed']]) {
      const r = await f.run(argv, { ...f.env, REDEEMCTL_DATA_DIR: typo });
      expect({ argv, code: r.code }).toEqual({ argv, code: 3 });
      expect(r.stderr).toContain(`No embedded database at ${typo}`);
      expect(r.stderr).toContain('redeemctl db migrate');
      expect(existsSync(typo)).toBe(false);
    }
    const flag = await f.run(['--data-dir', typo, 'quote', '--user', 'vip@example.com', '--reward', 'COFFEE-MUG']);
    expect(flag.code).toBe(3);
    expect(flag.stderr).toContain(`No embedded database at ${typo}`);
    expect(existsSync(typo)).toBe(false);

    const migrate = await f.run(['db', 'migrate', '--json'], { ...f.env, REDEEMCTL_DATA_DIR: typo });
    expect(migrate.code, migrate.stderr).toBe(0);
    expect(existsSync(join(typo, 'PG_VERSION'))).toBe(true);
    const status = await f.run(['db', 'status', '--json'], { ...f.env, REDEEMCTL_DATA_DIR: typo });
    expect(status.code, status.stderr).toBe(0);
  }, 120_000);
});

describe('two processes on one embedded database', () => {
  it('two redeems started at once both take effect, one after the other', async () => {
    const before = await f.balanceOf('vip@example.com');
    const runs = ['lock-at-once-1', 'lock-at-once-2'].map((eventId) =>
      f.start(['redeem', '--user', 'vip@example.com', '--reward', 'COFFEE-MUG', '--event-id', eventId, '--json', '--lock-wait', '60']),
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
    expect(await f.balanceOf('vip@example.com')).toBe(before - spent);
    // Both are in the ledger: each event id is found by a cancel preview.
    for (const eventId of ['lock-at-once-1', 'lock-at-once-2']) {
      const c = await f.run(['cancel', '--event', eventId, '--reason', 'check', '--dry-run', '--json']);
      expect(c.code, c.stdout + c.stderr).toBe(0);
    }
  }, 120_000);

  it('a batch run holds the folder: --lock-wait 0 refuses at once naming it (exit 3, nothing changed); a waiting redeem goes after it', async () => {
    const before = await f.balanceOf('vip@example.com');
    const batch = f.start(['batch', 'run', '--yes', f.grantsCsv(3000), '--reason', 'lock test', '--json']);
    const holder = await f.untilHeldBy(batch.child.pid!);
    expect(holder.command).toBe('redeemctl batch run');

    const refused = await f.run(['--lock-wait', '0', 'redeem', '--user', 'vip@example.com', '--reward', 'COFFEE-MUG', '--event-id', 'lock-refused']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(`is in use by pid ${batch.child.pid} (\`redeemctl batch run\``);
    expect(refused.stderr).toContain('set DATABASE_URL');

    const waiting = f.start(['redeem', '--user', 'vip@example.com', '--reward', 'COFFEE-MUG', '--event-id', 'lock-waited', '--json', '--lock-wait', '300']);
    const [batchDone, waited] = await Promise.all([batch.done, waiting.done]);
    expect(batchDone.code, batchDone.stderr).toBe(0);
    expect(waited.code, waited.stderr).toBe(0);
    expect(waited.stderr).toContain(`in use by pid ${batch.child.pid} (\`redeemctl batch run\``);
    const redeemed = JSON.parse(waited.stdout) as { success: boolean; total_points_deducted: number };
    expect(redeemed.success).toBe(true);
    // The refused one changed nothing, the waiting one and all 3,000 free grants took effect.
    expect(await f.balanceOf('vip@example.com')).toBe(before - redeemed.total_points_deducted);
    expect((JSON.parse(batchDone.stdout) as { counts: { granted: number } }).counts.granted).toBe(3000);
    const c = await f.run(['cancel', '--event', 'lock-refused', '--reason', 'check', '--dry-run', '--json']);
    expect(c.stdout).toContain('REDEMPTION_NOT_FOUND');
  }, 240_000);
});
