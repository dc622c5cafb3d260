import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMigrationFiles } from '../../src/db/migrations.js';
import { BIN, ensureDist, REPO_ROOT, runBinary, TEST_HOME } from '../support/cliHarness.js';
import { createServerDatabase, type TestDatabase } from '../support/databases.js';
import type { Scenario } from '../support/scenario.js';
import { tmuxAvailable, TmuxSession } from '../support/tuiTmux.js';
import { buildPoolDataset } from '../monitoring/poolDataset.js';

// Tables through the built binary (docs/output.md): through a pipe, plain columns for scripts; on
// a real terminal (tmux) of 80 columns, a bordered table that fits in them. The pool health table
// is the widest there is (twelve columns).

let handle: TestDatabase;
let pools: Scenario;
let idle: Scenario;
const sessions: TmuxSession[] = [];

beforeAll(async () => {
  if (!tmuxAvailable()) throw new Error('tmux is needed for the terminal test: apt-get install -y tmux');
  [handle] = await Promise.all([createServerDatabase({ poolSize: 2 }), ensureDist()]);
  pools = await buildPoolDataset(handle.database.db);
  idle = await buildPoolDataset(handle.database.db, { idleOnly: true });
});
afterAll(async () => {
  for (const session of sessions) await session.kill();
  await handle?.drop();
});

const env = (merchant = pools.merchantId): Record<string, string> => ({ DATABASE_URL: handle.url!, REDEEMCTL_MERCHANT: merchant });
const BOX = /[┌┐└┘├┤┬┴┼│─]/;

describe('through a pipe (not a terminal)', () => {
  it('pool health prints plain columns: header, rows, two spaces apart, no borders, no trailing spaces', async () => {
    const r = await runBinary(['pool', 'health'], env(), REPO_ROOT);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(r.stdout).not.toMatch(BOX);
    expect(r.stdout).not.toMatch(/\u001b\[/);
    for (const line of lines) expect(JSON.stringify(line)).toBe(JSON.stringify(line.trimEnd()));
    // Every column, none dropped however narrow the caller's terminal might be.
    expect(lines[0]).toMatch(/^reward {3}status {4}available {2}total {2}redeemed {2}voided {2}expired {2}last 1h {2}last 24h {2}per hour {2}empty in {2}short 24h$/);
    // At the real time nothing was redeemed lately (the dataset lies in 2025): the rows as they sort.
    const rows = lines.slice(1, 7).map((l) => l.split(/ {2,}/));
    expect(rows.map((cells) => cells.slice(0, 4))).toEqual([
      ['DRY', '!! EMPTY', '0', '5'],
      ['NOCODES', '!! EMPTY', '0', '0'],
      ['LOWPOOL', '! LOW', '10', '20'],
      ['HOT', 'OK', '60', '100'],
      ['IDLE', 'OK', '80', '80'],
      ['STEADY', 'OK', '151', '200'],
    ]);
    // awk reads the columns: the first two of each row are the reward and its mark.
    expect(lines[1]).toMatch(/^DRY {6}!! EMPTY {2}0 /);
    expect(lines[7]).toMatch(/^as of \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z; LOW below 50 available;/);
  });

  it('db status prints plain columns, every time in UTC with its zone', async () => {
    const r = await runBinary(['db', 'status'], { DATABASE_URL: handle.url! }, REPO_ROOT);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^postgres /);
    expect(lines[1]).toMatch(/^id {2,}migration {2,}state {4}applied at$/);
    const files = readMigrationFiles();
    expect(lines.slice(2)).toHaveLength(files.length);
    for (const [i, line] of lines.slice(2).entries()) {
      expect(line).toMatch(new RegExp(`^${files[i]!.id} +${files[i]!.name.replace(/\./g, '\\.')} +applied {2}\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z$`));
    }
    expect(r.stdout).not.toMatch(BOX);
  });
});

describe('on a terminal', () => {
  it('pool health at 80 columns: bordered, fitted to 80, the dropped columns named', async () => {
    // One pool (the idle merchant), so the whole output stays on a 24-row screen: capture-pane
    // reads the screen, not what scrolled off it. The shell prints the exit status and stays: when
    // a pane dies, tmux 3.3 scrolls its top line away to make room for "Pane is dead".
    const session = await TmuxSession.start({
      command: ['/bin/sh', '-c', '"$0" "$@"; echo "exit $?"; sleep 60', process.execPath, BIN, 'pool', 'health'],
      env: { PATH: process.env.PATH ?? '', HOME: TEST_HOME, TZ: 'UTC', NO_COLOR: '1', ...env(idle.merchantId) },
      cwd: REPO_ROOT,
      columns: 80,
      rows: 24,
    });
    sessions.push(session);
    const screen = await session.waitFor(/^exit \d+$/m, 30_000);
    expect(screen, screen).toMatch(/^exit 0$/m);
    const table = screen.split('\n').filter((l) => BOX.test(l[0] ?? ''));
    // A line wider than the terminal would wrap onto the next row: every row of the table begins
    // with a left border and ends with a right one, and none is wider than 80.
    expect(table.length, screen).toBe(5);
    for (const line of table) {
      expect(line.trimEnd(), screen).toMatch(/^[┌│├└].*[┐│┤┘]$/);
      expect([...line.trimEnd()].length, screen).toBeLessThanOrEqual(80);
    }
    expect(table[0], screen).toMatch(/^┌─+┬/);
    expect(table[0]!.trimEnd().length, screen).toBeGreaterThan(60);
    expect(table[1], screen).toMatch(/^│ reward\s+│ status\s+│ available │ .*│ per hour │ empty in │/);
    expect(table[3], screen).toMatch(/^│ IDLE\s+│ OK\s+│ 80\s+│ 80\s+│ 0\s+│ never\s+│/);
    expect(screen.replace(/\n/g, ' ')).toMatch(/not shown at 80 columns: voided, expired, .*\(a wider terminal or --json shows them\)/);
  });
});
