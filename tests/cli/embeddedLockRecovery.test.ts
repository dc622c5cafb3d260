import { describe, expect, it } from 'vitest';
import { BIN } from '../support/cliHarness.js';
import { useEmbeddedFolder } from '../support/embeddedFolder.js';
import { tmuxAvailable, TmuxSession } from '../support/tuiTmux.js';

// The embedded database serves one process at a time (docs/embedded.md): these run the built CLI
// as separate processes on one data folder, as operators in two terminals would, and check what
// they would check afterwards: balances, ledger rows, pool counts, exit codes and messages.
// Recovery: the holder killed with kill -9, and the console lending its folder (the data-loss
// report of issue 13). Split from embeddedLock.test.ts so the two files run side by side.

const f = useEmbeddedFolder();

describe('a holder killed with kill -9', () => {
  it('kill -9 of the holder leaves no lock behind: the next command runs at once, and the resumed batch grants every row once', async () => {
    const file = f.grantsCsv(2500);
    const first = f.start(['batch', 'run', '--yes', file, '--reason', 'kill test', '--json']);
    await f.untilHeldBy(first.child.pid!);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    first.child.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');

    const resumed = await f.run(['--lock-wait', '0', 'batch', 'run', '--yes', file, '--reason', 'kill test', '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).not.toContain('in use by');
    const doc = JSON.parse(resumed.stdout) as { batch_id: string };
    expect(await f.grantedRows(doc.batch_id)).toBe(2500);
  }, 240_000);
});

describe.skipIf(!tmuxAvailable())('the console open beside support staff (the reported data loss)', () => {
  it('dash lends the folder to a redeem, shows its codes gone, and after q the redemption is still there', async () => {
    const poolAvailable = async () => {
      const r = await f.run(['pool', 'health', '--json']);
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { pools: Array<{ reward_code: string; available: number }> }).pools.find((p) => p.reward_code === 'COFFEE-VOUCHER')!.available;
    };
    const before = await poolAvailable();
    const dash = await TmuxSession.start({ command: [process.execPath, BIN, 'dash'], env: { ...f.env, PATH: process.env.PATH ?? '', HOME: f.dir }, cwd: f.dir, columns: 160, rows: 45 });
    f.sessions.push(dash);
    await dash.waitFor(/COFFEE-VOUCHER/, 60_000);

    const redeem = await f.run(['redeem', '--user', 'vip@example.com', '--reward', 'COFFEE-VOUCHER', '--quantity', '3', '--event-id', 'beside-dash', '--json']);
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
    const found = await f.run(['cancel', '--event', 'beside-dash', '--reason', 'check', '--dry-run', '--json']);
    expect(found.code, found.stdout + found.stderr).toBe(0);
    expect(found.stdout).not.toContain('REDEMPTION_NOT_FOUND');
  }, 240_000);
});
