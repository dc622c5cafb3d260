import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FixtureInput } from '../../src/demo/fixtureSchema.js';
import { BatchWorld, effectsOfBatch, reportLines } from '../support/batchWorld.js';
import { BIN, collectOutput, ensureDist, REPO_ROOT, runBinary, type CliResult } from '../support/cliHarness.js';
import { createServerDatabase, type TestDatabase } from '../support/databases.js';
import { findViolations } from '../support/invariants.js';
import { uniqueName } from '../support/scenario.js';
import { TmuxSession, tmuxAvailable } from '../support/tuiTmux.js';
import { createProgram } from '../../src/cli/program.js';
import { commandLine } from '../../src/cli/commandLine.js';
import { shellQuote } from '../../src/shared/shellQuote.js';

// Stopping commands part-way (docs/operations.md, "Stopping a command"), through the built binary:
// Ctrl-C or "n" at a confirmation prompt (a real terminal, through tmux), and SIGINT / SIGTERM /
// SIGKILL while `batch run` or `codes import` works. Nothing is ever half-done, the command says
// how far it got and how to go on, `batch status` never shows a stopped batch as running, and the
// command it prints finishes the job with every row granted exactly once.

const ROWS = 3_000;
const MEMBERS = 200;
const START_POINTS = 1_000_000;
const POOL_POINTS = 10;
const PLAIN_POINTS = 5;
// Enough that SIGINT lands while the import works (its COPY alone takes seconds), small enough to re-import.
const IMPORT_CODES = 300_000;

let handle: TestDatabase;
let world: BatchWorld;
/** A folder on PATH with a `redeemctl` that runs the built binary, so a printed command runs as printed. */
let shim: string;

const children = new Set<ChildProcess>();
const sessions = new Set<TmuxSession>();

function fixture(): FixtureInput {
  return {
    merchant: { name: uniqueName('Interrupt Co') },
    users: Array.from({ length: MEMBERS }, (_, i) => ({ email: `m${i}@int.test`, points: START_POINTS })),
    rewards: [
      { reward_code: 'POOL', name: 'Pool reward', assign_promocode: true, fallback_points: POOL_POINTS, codes: { generate: 6_000, prefix: 'P-' } },
      { reward_code: 'PLAIN', name: 'Plain reward', fallback_points: PLAIN_POINTS },
      { reward_code: 'IMPORTED', name: 'Imported codes', assign_promocode: true, fallback_points: 0 },
    ],
  };
}

interface Row {
  member: string;
  reward: 'POOL' | 'PLAIN';
  quantity: number;
  mode: 'calc' | 'direct';
}

/** Row i of a grants file; `salt` makes another file (another batch id) of the same shape. */
function row(i: number, salt: number): Row {
  const pool = i % 3 === 0;
  return {
    member: `m${(i + salt) % MEMBERS}@int.test`,
    reward: pool ? 'POOL' : 'PLAIN',
    quantity: pool ? 1 + (i % 2) : 1 + (i % 4),
    mode: i % 5 === 0 ? 'direct' : 'calc',
  };
}

function grantsCsv(salt: number): { csv: string; rows: Row[] } {
  const rows = Array.from({ length: ROWS }, (_, i) => row(i, salt));
  const csv = ['email,reward_code,quantity,mode', ...rows.map((r) => `${r.member},${r.reward},${r.quantity},${r.mode}`)].join('\n') + '\n';
  return { csv, rows };
}

beforeAll(async () => {
  await ensureDist();
  handle = await createServerDatabase({ poolSize: 4 });
  world = await BatchWorld.create(handle.database.db, handle.url!, fixture());
  shim = world.path('bin');
  mkdirSync(shim);
  writeFileSync(join(shim, 'redeemctl'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(join(shim, 'redeemctl'), 0o755);
}, 180_000);

afterEach(async () => {
  // Every process a test started is stopped, by its pid, pass or fail.
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
  for (const session of sessions) await session.kill();
  sessions.clear();
});

afterAll(async () => {
  await handle?.drop();
});

interface Started {
  child: ChildProcess;
  done: Promise<CliResult & { signal: NodeJS.Signals | null }>;
}

/** The built binary in the background, in the world's folder, with the world's environment. */
function start(argv: string[], extra: Record<string, string> = {}): Started {
  const child = spawn(process.execPath, [BIN, ...argv], {
    cwd: world.dir,
    env: { PATH: process.env.PATH ?? '', HOME: world.dir, ...world.env, ...extra },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const done = collectOutput(child);
  return { child, done };
}

/** A command line as printed (`redeemctl …`), run by a shell in `cwd`, `redeemctl` being the built binary. */
function runPrinted(command: string, cwd = world.dir): Promise<CliResult> {
  const child = spawn('/bin/sh', ['-c', command], {
    cwd,
    env: { PATH: `${shim}:${process.env.PATH ?? ''}`, HOME: world.dir, ...world.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  return collectOutput(child);
}

function cli(...argv: string[]): Promise<CliResult> {
  return runBinary(argv, { ...world.env, HOME: world.dir }, world.dir);
}

async function until<T>(probe: () => Promise<T>, ok: (value: T) => boolean, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(value)})`);
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
}

async function batchRequests(batchId: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from redemption_requests where source_type = 'batch' and source_id = ${batchId}`.execute(world.db);
  return rows[0]!.n;
}

async function status(batchId: string): Promise<Record<string, any>> {
  const r = await cli('batch', 'status', batchId, '--json');
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

/** Every row has exactly one request, succeeded, with its ledger rows, once. */
async function expectEveryRowOnce(batchId: string, rows: Row[]): Promise<void> {
  const byEvent = await effectsOfBatch(world.db, batchId);
  expect(byEvent.size).toBe(rows.length);
  rows.forEach((r, i) => {
    const id = `${batchId}:${i + 2}`;
    expect(byEvent.get(id)).toEqual({ event_id: id, requests: 1, status: 'succeeded', ledger: r.reward === 'POOL' ? r.quantity : 1, qty: r.quantity });
  });
}

/** Points each member should have spent on these rows (calc rows only; direct grants are free). */
function spent(rows: Row[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of rows) {
    if (r.mode !== 'calc') continue;
    out.set(r.member, (out.get(r.member) ?? 0) + r.quantity * (r.reward === 'POOL' ? POOL_POINTS : PLAIN_POINTS));
  }
  return out;
}

/** The resume command the interrupted run printed: the indented line after "To resume". */
function printedResume(stderr: string): string {
  const lines = stderr.split('\n');
  const at = lines.findIndex((l) => l.startsWith('To resume, run the same command again'));
  expect(at, stderr).toBeGreaterThanOrEqual(0);
  return lines[at + 1]!.trim();
}

describe('a confirmation prompt on a terminal', () => {
  const tmux = tmuxAvailable();

  /**
   * The command on a terminal, run by a shell that prints its exit status afterwards and then
   * waits (the session is killed after the test): tmux, loaded, may report a dead pane before it
   * has the status (tests/support/tuiTmux.ts), and a dead pane's screen lost its first line here.
   */
  async function prompt(argv: string[]): Promise<TmuxSession> {
    const session = await TmuxSession.start({
      command: ['/bin/sh', '-c', '"$@"; echo "[exit $?]"; exec sleep 600', 'sh', process.execPath, BIN, ...argv],
      env: { PATH: process.env.PATH ?? '', HOME: world.dir, ...world.env },
      cwd: world.dir,
      columns: 160,
      rows: 12,
    });
    sessions.add(session);
    await session.waitFor(/\[y\/N\]/);
    return session;
  }

  /** The exit status the shell printed, and the screen then. */
  async function exited(session: TmuxSession): Promise<{ code: number; screen: string }> {
    const screen = await session.waitFor(/\[exit \d+\]/);
    return { code: Number(/\[exit (\d+)\]/.exec(screen)![1]), screen };
  }

  it.skipIf(!tmux)('Ctrl-C at `codes void`: "Aborted; nothing changed", exit 130, nothing voided', async () => {
    const before = await world.footprint();
    const session = await prompt(['codes', 'void', '--lot', 'seed', '--reward', 'POOL', '--reason', 'prompt test']);
    await session.send('C-c');
    const { code, screen } = await exited(session);
    expect(code, screen).toBe(130);
    expect(screen).toMatch(/Void the \d+ available codes of reward POOL in lot seed\? \[y\/N\]\s*\n(\^C)?Aborted; nothing changed\n/);
    expect(screen).not.toMatch(/error|unexpected/i);
    expect(await world.footprint()).toEqual(before);
  });

  it.skipIf(!tmux)('"n" at `codes void`: "Not confirmed; nothing changed", exit 1, nothing voided', async () => {
    const before = await world.footprint();
    const session = await prompt(['codes', 'void', '--lot', 'seed', '--reward', 'POOL', '--reason', 'prompt test']);
    await session.send('n', 'Enter');
    const { code, screen } = await exited(session);
    expect(code, screen).toBe(1);
    expect(screen).toMatch(/\[y\/N\] n\nNot confirmed; nothing changed\n/);
    expect(await world.footprint()).toEqual(before);
  });

  it.skipIf(!tmux)('"y" at `codes void`: asked first, then locked (no transaction open while it waits), then voided', async () => {
    const file = world.file('ask-first.csv', ['code', 'ASK-1', 'ASK-2', 'ASK-3']);
    const imported = await cli('codes', 'import', file, '--reward', 'POOL', '--lot', 'ask-first', '--reason', 'test', '--yes');
    expect(imported.code, imported.stderr).toBe(0);
    const session = await prompt(['codes', 'void', '--lot', 'ask-first', '--reward', 'POOL', '--reason', 'prompt test']);
    // The question is on the screen: the command holds no transaction (no snapshot, no lock).
    const open = await sql<{ pid: number; state: string }>`
      select pid, state from pg_stat_activity
      where datname = current_database() and application_name = 'redeemctl' and xact_start is not null
        and pid <> pg_backend_pid()`.execute(world.db);
    expect(open.rows).toEqual([]);
    await session.send('y', 'Enter');
    const { code, screen } = await exited(session);
    expect(code, screen).toBe(0);
    const statuses = await sql<{ status: string; n: number }>`
      select status, count(*)::int as n from reward_promo_code where lot = 'ask-first' group by status`.execute(world.db);
    expect(statuses.rows).toEqual([{ status: 'voided', n: 3 }]);
  });

  it.skipIf(!tmux)('Ctrl-C and "n" at `cancel --batch`: 130 and 1, nothing cancelled', async () => {
    const batchId = 'b-prompt-test';
    const file = world.file('prompt.csv', ['email,reward_code', 'm1@int.test,PLAIN', 'm2@int.test,PLAIN']);
    const granted = await cli('batch', 'run', file, '--reason', 'for the prompt', '--batch-id', batchId, '--yes');
    expect(granted.code, granted.stderr).toBe(0);
    const before = await world.footprint();
    for (const [keys, code, text] of [
      [['C-c'], 130, 'Aborted; nothing changed'],
      [['no', 'Enter'], 1, 'Not confirmed; nothing changed'],
    ] as const) {
      const session = await prompt(['cancel', '--batch', batchId, '--reason', 'prompt test']);
      await session.send(...keys);
      const exit = await exited(session);
      expect(exit.code, exit.screen).toBe(code);
      expect(exit.screen).toContain(`Cancel every redemption of batch ${batchId}? [y/N]`);
      expect(exit.screen).toContain(`\n${text}\n`);
      expect(await world.footprint()).toEqual(before);
    }
  });

  it('without a terminal nothing waits: refused, the flag named, exit 2', async () => {
    const r = await cli('codes', 'void', '--lot', 'seed', '--reward', 'POOL', '--reason', 'no tty');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('pass --yes');
  });
});

describe('batch run stopped part-way', () => {
  it('SIGINT: rows in flight finish, the batch is marked interrupted, the printed command resumes it; every row granted once', async () => {
    const { csv, rows } = grantsCsv(0);
    const file = world.file('grants.csv', csv);
    const batchId = world.batchIdOf(csv);
    const balancesBefore = await world.balances();
    const run = start(['batch', 'run', 'grants.csv', '--reason', "Ann's goodwill", '--report', 'grants.report.csv', '--concurrency', '4', '--yes']);
    await until(() => batchRequests(batchId), (n) => n >= ROWS / 6, 'some rows granted');
    run.child.kill('SIGINT');
    const first = await run.done;
    expect(first.code, first.stderr).toBe(130);
    expect(first.signal).toBeNull();
    const done = await batchRequests(batchId);
    expect(done).toBeLessThan(ROWS);

    // What it says: rows done of the total, the batch id, the exact command to resume.
    // A slow run may have printed plain progress lines first (stderr is not a terminal).
    const headline = afterProgress(first.stderr)[0]!;
    const match = headline.match(/^Interrupted by SIGINT: batch (\S+) stopped after ([\d,]+) of 3,000 rows \(granted ([\d,]+), refused 0\); the rows in flight finished first, so no row is half-done\.$/);
    expect(match, first.stderr).not.toBeNull();
    expect(match![1]).toBe(batchId);
    expect(Number(match![2]!.replace(/,/g, ''))).toBe(done);
    expect(Number(match![3]!.replace(/,/g, ''))).toBe(done);
    expect(first.stderr).toContain('The report grants.report.csv lists the rows done so far.');
    const resume = printedResume(first.stderr);
    expect(resume).toBe(`redeemctl batch run grants.csv --reason 'Ann'\\''s goodwill' --report grants.report.csv --concurrency 4 --yes`);
    expect(first.stdout).toBe('');
    // The report holds exactly the rows done, in order.
    expect(reportLines(readFileSync(world.path('grants.report.csv'), 'utf8'))).toHaveLength(done + 1);

    // batch status: interrupted (SIGINT), not running; the resume command with its folder.
    expect(await status(batchId)).toMatchObject({ status: 'interrupted', interrupted_by: 'SIGINT', rows: ROWS, granted: done, pending: ROWS - done, resume: `cd ${world.dir} && ${resume}` });
    const human = await cli('batch', 'status');
    expect(human.stdout).toMatch(new RegExp(`${batchId}\\s+grants\\.csv\\s+interrupted \\(SIGINT\\)`));
    expect(human.stdout).not.toMatch(new RegExp(`${batchId}.*running`));

    // The printed command, as printed, finishes the batch.
    const second = await runPrinted(`${resume} --json`);
    expect(second.code, second.stderr).toBe(0);
    const summary = JSON.parse(second.stdout);
    expect(summary).toMatchObject({ batch_id: batchId, status: 'completed', run: 2, rows: ROWS, rows_done: ROWS, problem_count: 0 });
    expect(summary.counts).toMatchObject({ granted: ROWS - done, already_granted: done, refused: 0, invalid: 0 });
    expect(await status(batchId)).toMatchObject({ status: 'completed', interrupted_by: null, pending: 0, resume: null });

    await expectEveryRowOnce(batchId, rows);
    const balancesAfter = await world.balances();
    for (const [member, points] of spent(rows)) expect(balancesAfter[member], member).toBe(balancesBefore[member]! - points);
    expect(reportLines(readFileSync(world.path('grants.report.csv'), 'utf8'))).toHaveLength(ROWS + 1);
    expect(await findViolations(world.db)).toEqual([]);
  }, 180_000);

  it('SIGTERM does the same, and --json still prints its one document', async () => {
    const { csv, rows } = grantsCsv(1);
    world.file('grants-term.csv', csv);
    const batchId = world.batchIdOf(csv);
    const run = start(['batch', 'run', 'grants-term.csv', '--reason', 'term', '--json', '--yes']);
    await until(() => batchRequests(batchId), (n) => n >= 100, 'some rows granted');
    run.child.kill('SIGTERM');
    const first = await run.done;
    expect(first.code, first.stderr).toBe(130);
    const done = await batchRequests(batchId);
    expect(JSON.parse(first.stdout)).toMatchObject({ batch_id: batchId, status: 'interrupted', rows: ROWS, rows_done: done });
    expect(first.stderr).toMatch(new RegExp(`^Interrupted by SIGTERM: batch ${batchId} stopped after [\\d,]+ of 3,000 rows`));
    expect(await status(batchId)).toMatchObject({ status: 'interrupted', interrupted_by: 'SIGTERM', pending: ROWS - done });
    const resume = printedResume(first.stderr);
    expect(resume).toBe('redeemctl batch run grants-term.csv --reason term --json --yes');
    const second = await runPrinted(resume);
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout).counts).toMatchObject({ granted: ROWS - done, already_granted: done });
    await expectEveryRowOnce(batchId, rows);
  }, 180_000);

  it('SIGKILL (no chance to mark it): shown as interrupted (runner gone) once its heartbeat is stale, with the resume command', async () => {
    const { csv, rows } = grantsCsv(2);
    world.file('grants-kill.csv', csv);
    const batchId = world.batchIdOf(csv);
    const run = start(['batch', 'run', 'grants-kill.csv', '--reason', 'kill', '--yes'], { REDEEMCTL_BATCH_HEARTBEAT_MS: '200' });
    await until(() => batchRequests(batchId), (n) => n >= 100, 'some rows granted');
    run.child.kill('SIGKILL');
    expect((await run.done).signal).toBe('SIGKILL');
    const done = await batchRequests(batchId);

    // 4 missed beats of 200 ms: gone within a second or so.
    const gone = await until(() => status(batchId), (s) => s.status !== 'running', 'the runner seen gone', 10_000);
    expect(gone).toMatchObject({ status: 'interrupted', interrupted_by: 'runner gone', granted: done, pending: ROWS - done });
    expect(gone.runner).toMatch(new RegExp(`^pid ${run.child.pid} on `));
    expect(gone.resume).toBe(`cd ${world.dir} && redeemctl batch run grants-kill.csv --reason kill --yes`);
    const detail = await cli('batch', 'status', batchId);
    expect(detail.stdout).toMatch(/status\s+interrupted \(runner gone\)/);
    expect(detail.stdout).toContain(`${ROWS - done} row(s) not yet sent. To resume, run the same command again`);

    const second = await runPrinted(gone.resume);
    expect(second.code, second.stderr).toBe(0);
    await expectEveryRowOnce(batchId, rows);
    expect(await status(batchId)).toMatchObject({ status: 'completed', interrupted_by: null });
  }, 180_000);
});

describe('codes import stopped part-way', () => {
  async function importedState() {
    const { rows } = await sql<{ codes: number; batches: number }>`
      select (select count(*) from reward_promo_code where reward_id = ${world.scenario.reward('IMPORTED')}::uuid)::int as codes,
             (select count(*) from code_import_batches where reward_id = ${world.scenario.reward('IMPORTED')}::uuid)::int as batches`.execute(world.db);
    return rows[0]!;
  }

  /** Is this database's import still streaming the file (COPY into a part of the stage, or a part into the pool)? */
  async function copying(): Promise<boolean> {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from pg_stat_activity
      where datname = current_database() and state = 'active' and pid <> pg_backend_pid()
        and (query ilike 'copy codes_stage%' or query ilike '%insert into reward_promo_code%')`.execute(world.db);
    return rows[0]!.n > 0;
  }

  it('SIGINT while it reads: rolled back, nothing imported, no report left; the printed command imports it all, and again nothing twice', async () => {
    const lines = ['code,lot', ...Array.from({ length: IMPORT_CODES }, (_, i) => `IMP-${String(i).padStart(8, '0')},L1`)];
    world.file('codes.csv', lines);
    expect(await importedState()).toEqual({ codes: 0, batches: 0 });
    const run = start(['codes', 'import', 'codes.csv', '--reward', 'IMPORTED', '--report', 'codes.report.csv', '--reason', 'test', '--yes']);
    await until(copying, (yes) => yes, 'the import reading the file', 60_000);
    run.child.kill('SIGINT');
    const first = await run.done;
    expect(first.code, first.stderr).toBe(130);
    expect(first.stdout).toBe('');
    const [headline, how, command] = afterProgress(first.stderr);
    expect(headline).toMatch(
      /^Interrupted by SIGINT while (reading codes\.csv|checking for duplicates|importing): nothing was imported from codes\.csv \(the import is one transaction; it was rolled back\)\. It had read [\d,]+ rows\.$/,
    );
    expect(how).toBe(
      'Run the same command again to import the file; it starts from the beginning, and a re-run never imports a code twice (codes already in the pool are counted as duplicates and skipped):',
    );
    expect(command).toBe('  redeemctl codes import codes.csv --reward IMPORTED --report codes.report.csv --reason test --yes');
    expect(await importedState()).toEqual({ codes: 0, batches: 0 });
    expect(existsSync(world.path('codes.report.csv'))).toBe(false);

    const again = await runPrinted(`${command!.trim()} --json`);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ rows_read: IMPORT_CODES, imported: IMPORT_CODES, duplicate_in_pool: 0 });
    expect(await importedState()).toEqual({ codes: IMPORT_CODES, batches: 1 });

    const twice = await runPrinted(`${command!.trim()} --json`);
    expect(twice.code, twice.stderr).toBe(0);
    expect(JSON.parse(twice.stdout)).toMatchObject({ imported: 0, duplicate_in_pool: IMPORT_CODES });
    expect(await importedState()).toEqual({ codes: IMPORT_CODES, batches: 1 });
  }, 240_000);
});

describe('the printed command line', () => {
  it('quotes for a POSIX shell and hides a password in a URL', async () => {
    expect(shellQuote('plain-file_1.csv')).toBe('plain-file_1.csv');
    expect(shellQuote("Ann's goodwill")).toBe(`'Ann'\\''s goodwill'`);
    expect(shellQuote('')).toBe(`''`);
    let line = '';
    const io = { stdout: { write: () => true }, stderr: { write: () => true }, env: {} };
    const program = createProgram(io);
    program.commands.find((c) => c.name() === 'batch')!.commands.find((c) => c.name() === 'run')!.action((...args: unknown[]) => {
      line = commandLine(args.at(-1) as never);
    });
    await program.parseAsync(['--database-url=postgres://ops:s3cret@db:5432/r', 'batch', 'run', 'a b.csv', '--reason', 'x'], { from: 'user' });
    expect(line).toBe(`redeemctl '--database-url=postgres://ops:****@db:5432/r' batch run 'a b.csv' --reason x`);
  });
});

/** stderr's lines from the interruption message on: plain progress lines before it are skipped. */
function afterProgress(stderr: string): string[] {
  const lines = stderr.trimEnd().split('\n');
  const at = lines.findIndex((line) => line.startsWith('Interrupted by'));
  return at < 0 ? lines : lines.slice(at);
}
