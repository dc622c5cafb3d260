import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BIN, collectOutput, ensureDist, runBinary, type CliResult } from '../support/cliHarness.js';
import { deadLetterHeaders } from '../../src/kafka/deadLetter.js';
import { createTopic, producer } from '../support/eventsKafka.js';
import { json, useEventsWorld } from '../support/eventsWorld.js';
import { uniqueName } from '../support/scenario.js';

// The progress of the long commands through the built binary (docs/output.md, "Progress"): with
// REDEEMCTL_PROGRESS=tty the rewritten line (bar, percentage, rate, ETA, never wider than the
// terminal), through a pipe plain lines without escape codes, and with --json stdout is still
// exactly one JSON document. Ctrl-C during an export leaves no file at its path.

const CODES = 20_000;
const COLUMNS = 72;
const CLEAR = '\r\u001b[2K';
/** The rewrite mode through a pipe, and a line at every step. */
const TTY = { REDEEMCTL_PROGRESS: 'tty', REDEEMCTL_PROGRESS_EVERY_MS: '0', COLUMNS: String(COLUMNS) };

const world = useEventsWorld(() => ({
  merchant: { name: uniqueName('Progress') },
  users: [
    { email: 'ann@e.test', points: 10_000 },
    { email: 'bob@e.test', points: 10_000 },
  ],
  rewards: [
    { reward_code: 'MUG', name: 'Mug', fallback_points: 1 },
    { reward_code: 'VOUCHER', name: 'Voucher', fallback_points: 0, assign_promocode: true, codes: ['V-1'] },
    { reward_code: 'POOL', name: 'Pool', fallback_points: 0, assign_promocode: true, codes: { generate: CODES, prefix: 'P-' } },
    { reward_code: 'IMPORTED', name: 'Imported', fallback_points: 0, assign_promocode: true },
  ],
}));

let dir: string;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  await ensureDist();
  dir = mkdtempSync(join(tmpdir(), 'redeemctl-progress-'));
}, 180_000);

afterEach(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(argv: string[], extra: Record<string, string> = {}): Promise<CliResult> {
  return runBinary(argv, { ...world().env, HOME: dir, ...extra }, dir);
}

/** The rewritten lines of a terminal-mode stderr. */
function drawn(stderr: string): string[] {
  return stderr.split(CLEAR).filter((line) => line !== '');
}

function expectTerminalLines(stderr: string, label: string, total: string): void {
  const lines = drawn(stderr);
  const last = lines.filter((l) => l.startsWith(label)).at(-1);
  expect(last, stderr).toMatch(new RegExp(`^${label} \\[█+\\] 100% ${total}/${total} · [\\d,.]+/s · ETA \\d+s`));
  for (const line of lines) expect(line.length, line).toBeLessThan(COLUMNS);
  expect(stderr.endsWith(CLEAR), 'the line is cleared before the result').toBe(true);
}

/** A topic whose dead-letter topic holds `count` letters, as the worker writes them; returns the topic. */
async function deadLetters(count: number): Promise<string> {
  const topic = await createTopic('progress-redrive', 1);
  const dlq = await createTopic('progress-redrive', 1, `${topic}.dlq`);
  const failedAt = new Date().toISOString();
  const messages = Array.from({ length: count }, (_, i) => ({
    key: `k${i}`,
    value: `{"not":"an event ${i}"}`,
    headers: deadLetterHeaders({ reason: 'event_id: Required', errorCode: 'INVALID_EVENT', originTopic: topic, originPartition: 0, originOffset: String(i), failedAt }, {}),
  }));
  await (await producer()).send({ topic: dlq, messages });
  return topic;
}

describe('progress on a terminal (REDEEMCTL_PROGRESS=tty) and through a pipe, with --json', () => {
  it('codes export: bar, percentage, done/total, rate and ETA; plain lines elsewhere; nothing from a quick run by default; stdout one JSON document', async () => {
    const [tty, plain, quiet] = await Promise.all([
      cli(['codes', 'export', '--reward', 'POOL', '--output', 'tty.csv', '--json'], TTY),
      cli(['codes', 'export', '--reward', 'POOL', '--output', 'plain.csv', '--json'], { REDEEMCTL_PROGRESS_EVERY_MS: '0' }),
      cli(['codes', 'export', '--reward', 'POOL', '--output', 'quiet.csv', '--json']),
    ]);
    for (const [r, file] of [[tty, 'tty.csv'], [plain, 'plain.csv'], [quiet, 'quiet.csv']] as const) {
      expect(r.code, r.stderr).toBe(0);
      expect(json(r)).toEqual({ exported: CODES, output: file });
      expect(readFileSync(join(dir, file), 'utf8').trimEnd().split('\n')).toHaveLength(CODES + 1);
    }
    expectTerminalLines(tty.stderr, 'exporting codes', '20,000');
    expect(drawn(tty.stderr)[0]).toMatch(/^exporting codes \[█{6}░{18}\] 25% 5,000\/20,000$/);

    const lines = plain.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(CODES / 5_000 + 1); // each page, and the last (empty) one
    expect(lines[0]).toMatch(/^exporting codes 25% 5,000\/20,000$/);
    expect(lines.at(-1)).toMatch(/^exporting codes 100% 20,000\/20,000 · [\d,.]+\/s · ETA 0s$/);
    expect(plain.stderr).not.toMatch(/\u001b|\r|█|░/);

    expect(quiet.stderr).toBe('');
  });

  it('codes import: the bytes read with the rows, then its steps; batch run: rows; events replay and dlq redrive: messages sent of those planned', async () => {
    writeFileSync(join(dir, 'codes.csv'), ['code', ...Array.from({ length: 10_000 }, (_, i) => `IMP-${i}`)].join('\n') + '\n');
    writeFileSync(join(dir, 'grants.csv'), ['email,reward_code', ...Array.from({ length: 40 }, (_, i) => `${i % 2 ? 'ann' : 'bob'}@e.test,MUG`)].join('\n') + '\n');
    const { s } = world();
    // Three failures for want of codes (the pool holds one): what replay publishes again.
    for (const user of ['ann@e.test', 'bob@e.test', 'ann@e.test']) expect((await s.redeem(user, 'VOUCHER', 5)).error_code).toBe('INSUFFICIENT_CODES');
    const topic = await createTopic('progress-replay');
    const letters = await deadLetters(2);
    const [imported, batch, replay, redrive] = await Promise.all([
      cli(['codes', 'import', 'codes.csv', '--reward', 'IMPORTED', '--reason', 'progress test', '--yes', '--json'], TTY),
      cli(['batch', 'run', 'grants.csv', '--reason', 'progress test', '--yes', '--json'], TTY),
      cli(['events', 'replay', '--failed', '--execute', '--reason', 'progress test', '--json'], { ...TTY, KAFKA_TOPIC: topic }),
      cli(['dlq', 'redrive', '--execute', '--reason', 'progress test', '--json'], { ...TTY, KAFKA_TOPIC: letters }),
    ]);

    expect(imported.code, imported.stderr).toBe(0);
    expect(json(imported)).toMatchObject({ imported: 10_000 });
    const lines = drawn(imported.stderr);
    expect(lines.find((l) => l.startsWith('reading codes.csv [')), imported.stderr).toMatch(/^reading codes\.csv \[[█░]+\] \d+% [\d.]+\/[\d.]+ MB/);
    // With --yes the codes go into the pool as the file is read (docs/codes.md): no separate
    // duplicate check for a file without duplicates, then the codes still to insert once it is read.
    expect(lines).not.toContain('checking 10,000 rows for duplicates…');
    expect(lines).toContain('importing 10,000 codes…');

    expect(batch.code, batch.stderr).toBe(0);
    expect(json(batch)).toMatchObject({ status: 'completed' });
    expectTerminalLines(batch.stderr, 'granting rows', '40');

    expect(replay.code, replay.stderr).toBe(0);
    expect(json(replay)).toMatchObject({ planned: 3, published: 3 });
    expect(drawn(replay.stderr)).toContain('publishing replays [████████████████████████] 100% 3/3');
    expect(replay.stderr.endsWith(CLEAR)).toBe(true);

    expect(redrive.code, redrive.stderr).toBe(0);
    expect(json(redrive)).toMatchObject({ executed: true, selected: 2, redriven: 2 });
    expect(drawn(redrive.stderr)).toContain('redriving dead letters [████████████████████████] 100% 2/2');
  });
});

describe('codes export stopped by Ctrl-C', () => {
  /** Is the export's page query waiting for a lock? */
  async function exportWaiting(): Promise<boolean> {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from pg_stat_activity
      where datname = current_database() and wait_event_type = 'Lock' and query ilike '%select p.id, p.promo_code%'`.execute(world().s.db);
    return rows[0]!.n > 0;
  }

  it('SIGINT between pages: exit 130, nothing at the path (an earlier file left as it was), no partial file, and the command to run again', async () => {
    const out = join(dir, 'stopped.csv');
    writeFileSync(out, 'an earlier export\n');
    const db = world().s.db;
    // The first page waits on a lock the test holds, so the signal lands while the export runs.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const holding = new Promise<void>((resolve) => (locked = resolve));
    const lock = db.transaction().execute(async (trx) => {
      await sql`lock table reward_master in access exclusive mode`.execute(trx);
      locked();
      await released;
    });
    await holding;
    const child = spawn(process.execPath, [BIN, 'codes', 'export', '--output', 'stopped.csv', '--json'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: dir, ...world().env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    const done = collectOutput(child);
    try {
      const deadline = Date.now() + 30_000;
      while (!(await exportWaiting())) {
        if (Date.now() > deadline) throw new Error('the export never reached its first page');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      child.kill('SIGINT');
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      release();
      await lock;
    }
    const r = await done;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stdout).toBe('');
    const [headline, how, command] = r.stderr.trimEnd().split('\n');
    expect(headline).toBe(
      `Interrupted by SIGINT after 5,000 of ${(CODES + 1 + 10_000).toLocaleString('en-US')} codes. ` +
        'Nothing was written to stopped.csv (the partial file was removed; a file already there is left as it was).',
    );
    expect(how).toBe('Run it again to export from the start:');
    expect(command).toBe('  redeemctl codes export --output stopped.csv --json');
    expect(readFileSync(out, 'utf8')).toBe('an earlier export\n');
    expect(existsSync(`${out}.partial`)).toBe(false);

    const again = await cli(command!.trim().split(' ').slice(1));
    expect(again.code, again.stderr).toBe(0);
    expect(json(again)).toMatchObject({ exported: CODES + 1 + 10_000 });
  }, 60_000);
});
