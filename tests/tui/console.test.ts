import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANSI, BIN, ensureDist, runBinary, runInProcess, TEST_HOME } from '../support/cliHarness.js';
import { createServerDatabase, type TestDatabase } from '../support/databases.js';
import { PgProxy } from '../support/pgProxy.js';
import type { Scenario } from '../support/scenario.js';
import { buildTuiDataset } from '../support/tuiDataset.js';
import { tmuxAvailable, TmuxSession } from '../support/tuiTmux.js';

// The whole console, built (bin/redeemctl.js), against a real database: in a pseudo-terminal made
// by tmux (keys in, screen out), with --once without a terminal, and refusing to start without one.
// tmux comes with the machine image (docs/dash.md); without it these tests fail, they do not skip.

let handle: TestDatabase;
let s: Scenario;
let cwd: string;
const sessions: TmuxSession[] = [];

beforeAll(async () => {
  if (!tmuxAvailable()) throw new Error('tmux is needed for the console tests: apt-get install -y tmux');
  cwd = await mkdtemp(join(tmpdir(), 'redeemctl-dash-'));
  [handle] = await Promise.all([createServerDatabase({ poolSize: 2 }), ensureDist()]);
  s = await buildTuiDataset(handle.database.db, new Date());
});
afterAll(async () => {
  for (const session of sessions) await session.kill();
  await handle?.drop();
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

const env = (databaseUrl = handle.url!): Record<string, string> => ({
  PATH: process.env.PATH ?? '',
  HOME: TEST_HOME,
  TZ: 'UTC',
  DATABASE_URL: databaseUrl,
  REDEEMCTL_MERCHANT: s.merchantId,
});

async function startConsole(databaseUrl?: string, size = { columns: 120, rows: 40 }): Promise<TmuxSession> {
  const session = await TmuxSession.start({
    command: [process.execPath, BIN, 'dash', '--interval', '0.5'],
    env: env(databaseUrl),
    cwd,
    ...size,
  });
  sessions.push(session);
  return session;
}

/** [mark, reward] of the pool rows on a screen, top to bottom. */
const poolRows = (screen: string) => [...screen.matchAll(/│ [› ] (!! EMPTY|! LOW|OK)\s+(FLASH|VOUCHER|COFFEE|GIFTCARD)\s/g)].map((m) => [m[1], m[2]]);
const statusLine = (screen: string) => screen.trimEnd().split('\n').at(-1)!;

describe('redeemctl dash in a terminal', () => {
  it('starts, shows the pools soonest empty first, follows the arrows, pauses, helps and quits with 0', async () => {
    const tty = await startConsole();
    const first = await tty.waitFor((screen) => poolRows(screen).length === 4);
    expect(poolRows(first)).toEqual([
      ['!! EMPTY', 'FLASH'],
      ['! LOW', 'VOUCHER'],
      ['OK', 'COFFEE'],
      ['OK', 'GIFTCARD'],
    ]);
    expect(first).toContain('redeemctl dash · 4 pools: 1 EMPTY, 1 LOW · 1h: 48 requests, 3 failed');
    expect(first).toMatch(/› !! EMPTY FLASH/);
    expect(first).toContain('╭─ FLASH · Flash pool');
    expect(first).toMatch(/45 this hour/);
    for (const line of first.split('\n')) expect([...line].length).toBeLessThanOrEqual(120);

    await tty.send('Down');
    const moved = await tty.waitFor(/╭─ VOUCHER · Voucher pool[\s\S]*lots {6}B 10\/20 · A 0\/20/);
    expect(moved).toMatch(/› ! LOW {4}VOUCHER/);
    expect(moved).toContain('3 within 24h · 5 within 7d');

    await tty.send('p');
    await tty.waitFor((screen) => statusLine(screen).startsWith('PAUSED (p resumes) · showing data from '));
    await tty.send('p');
    await tty.waitFor((screen) => /^updated \d\d:\d\d:\d\dZ · every 0.5s/.test(statusLine(screen)));

    await tty.send('?');
    await tty.waitFor(/Help · \? or esc closes/);
    await tty.send('?');
    await tty.waitFor((screen) => poolRows(screen).length === 4);

    expect(await tty.exitStatus()).toBeNull();
    await tty.send('q');
    expect(await tty.waitForExit()).toBe(0);
  });

  it('stays within 80 columns, panels stacked, and keeps the frame below the terminal height', async () => {
    const tty = await startConsole(undefined, { columns: 80, rows: 30 });
    const screen = await tty.waitFor((text) => poolRows(text).length === 4);
    const lines = screen.trimEnd().split('\n');
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(80);
    expect(lines.length).toBeLessThan(30);
    expect(lines.filter((l) => (l.match(/╭/g) ?? []).length > 1)).toEqual([]);
    await tty.send('q');
    expect(await tty.waitForExit()).toBe(0);
  });

  it('keeps running while the database is away, says so, keeps the data, and recovers', async () => {
    const target = new URL(handle.url!);
    const proxy = await PgProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
    try {
      const tty = await startConsole(proxy.url(handle.url!));
      await tty.waitFor((screen) => poolRows(screen).length === 4 && statusLine(screen).startsWith('updated'));

      await proxy.cut();
      const away = await tty.waitFor((screen) => statusLine(screen).startsWith('database unreachable: '), 15_000);
      expect(statusLine(away)).toMatch(/^database unreachable: .+, showing data from \d\d:\d\d:\d\dZ/);
      expect(poolRows(away)).toHaveLength(4);
      // Several refreshes later it still runs, still showing the last good data.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const still = await tty.capture();
      expect(await tty.exitStatus()).toBeNull();
      expect(statusLine(still)).toMatch(/^database unreachable: /);
      expect(poolRows(still)).toHaveLength(4);

      await proxy.restore();
      const back = await tty.waitFor((screen) => statusLine(screen).startsWith('updated'), 20_000);
      expect(back).not.toContain('unreachable');
      expect(poolRows(back)).toHaveLength(4);
      await tty.send('q');
      expect(await tty.waitForExit()).toBe(0);
    } finally {
      await proxy.close();
    }
  });
});

describe('redeemctl dash without a terminal', () => {
  it('--once prints one frame, without colour, within COLUMNS, and exits 0', async () => {
    const r = await runBinary(['dash', '--once'], { ...env(), COLUMNS: '100' }, cwd);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toMatch(ANSI);
    expect(poolRows(r.stdout)).toEqual([
      ['!! EMPTY', 'FLASH'],
      ['! LOW', 'VOUCHER'],
      ['OK', 'COFFEE'],
      ['OK', 'GIFTCARD'],
    ]);
    expect(r.stdout.match(/redeemctl dash · /g)).toHaveLength(1);
    expect(r.stdout).toMatch(/data from \d\d:\d\d:\d\dZ · one frame \(--once\)\n$/);
    expect(r.stdout).toContain('INSUFFICIENT_POINTS');
    for (const line of r.stdout.trimEnd().split('\n')) expect([...line].length).toBeLessThanOrEqual(100);
  });

  it('plain dash refuses with one line pointing at the JSON commands, exit 2', async () => {
    const r = await runBinary(['dash'], env(), cwd);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('redeemctl dash needs a terminal');
    expect(r.stderr).toContain('`redeemctl pool health --json`');
    expect(r.stderr).toContain('`redeemctl metrics --since 1h --json`');
  });

  it('--help loads neither Ink, React, pg nor kafkajs', async () => {
    const probe = fileURLToPath(new URL('../support/tuiImportProbe.mjs', import.meta.url));
    const r = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', probe, BIN, 'dash', '--help'], { cwd, env: { PATH: process.env.PATH ?? '' } });
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout }));
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--worker-metrics <url>');
    expect(r.stdout).not.toContain('LOADED');
  });

  it('refuses bad flags before opening anything (exit 2)', async () => {
    const cli = (...argv: string[]) => runInProcess(['dash', ...argv], { env: { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' } });
    expect(await cli('--once', '--interval', '0')).toMatchObject({ code: 2, stderr: expect.stringContaining('--interval must be a number of seconds from 0.2 to 3600') });
    expect(await cli('--once', '--threshold', 'x')).toMatchObject({ code: 2, stderr: expect.stringContaining('--threshold must be a whole number') });
    expect(await cli('--once', '--worker-metrics', 'ftp://x')).toMatchObject({ code: 2, stderr: expect.stringContaining('--worker-metrics must be an http(s) URL') });
    // A database that is down before the start: exit 3 with the fix.
    expect(await cli('--once')).toMatchObject({ code: 3, stderr: expect.stringContaining('Cannot reach the database') });
  });

  it('--once in process: the same frame, NO_COLOR respected even on a terminal', async () => {
    const r = await runInProcess(['dash', '--once'], { env: { DATABASE_URL: handle.url!, REDEEMCTL_MERCHANT: s.merchantId, NO_COLOR: '1' }, stdoutTTY: true });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(ANSI);
    expect(poolRows(r.stdout).map(([, code]) => code)).toEqual(['FLASH', 'VOUCHER', 'COFFEE', 'GIFTCARD']);
  });
});
