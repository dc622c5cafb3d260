import { execFile, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { openDatabase } from '../src/db/database.js';
import { migrate } from '../src/db/migrations.js';
import { seed } from '../src/demo/seed.js';
import { dropDatabase, recreateDatabase } from './scratch.js';
import { round } from './workload.js';

// The `import` benchmark of docs/benchmarks.md: a CSV of N codes through `codes import` (the built
// CLI, a child process) against `psql \copy` of the same file into a bare one-column table.
// A third figure, the floor, is the database's own cost of the same rows: one INSERT … SELECT of
// them into reward_promo_code (its indexes, foreign keys and pool-count trigger), from psql.

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../bin/redeemctl.js', import.meta.url));

/** A code-pool CSV of `rows` codes, written as a stream (never held whole). */
async function writeCodes(path: string, rows: number): Promise<number> {
  const out = createWriteStream(path);
  let chunk = 'code\n';
  for (let i = 1; i <= rows; i++) {
    chunk += `IMP-${String(i).padStart(9, '0')}-${((i * 2654435761) % 2 ** 32).toString(36).toUpperCase()}\n`;
    if (chunk.length >= 1 << 16 || i === rows) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end();
  await once(out, 'finish');
  return statSync(path).size;
}

async function psql(url: string, command: string): Promise<number> {
  const started = performance.now();
  await run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', url, '-c', command], { maxBuffer: 16 << 20 });
  return (performance.now() - started) / 1000;
}

interface ChildRun {
  seconds: number;
  peakRssMb: number;
  stdout: string;
}

/** The CLI as a child process; peak RSS from /usr/bin/time (%M), else VmHWM polled from /proc. */
async function timeChild(args: string[], env: Record<string, string>): Promise<ChildRun> {
  const timed = existsSync('/usr/bin/time');
  const [command, argv] = timed ? ['/usr/bin/time', ['-f', 'maxrss_kb=%M', process.execPath, BIN, ...args]] : [process.execPath, [BIN, ...args]];
  const started = performance.now();
  const child = spawn(command, argv as string[], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let polledKb = 0;
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const poll = timed
    ? undefined
    : setInterval(() => {
        try {
          const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
          polledKb = Math.max(polledKb, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
        } catch {
          // exited between two polls
        }
      }, 50);
  const [code] = (await once(child, 'close')) as [number];
  if (poll) clearInterval(poll);
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`redeemctl ${args.join(' ')} exited ${code}:\n${stderr}`);
  const kb = timed ? Number(/maxrss_kb=(\d+)/.exec(stderr)?.[1] ?? 0) : polledKb;
  return { seconds, peakRssMb: round(kb / 1024, 1), stdout };
}

export interface ImportBench {
  rows: number;
  file_mb: number;
  copy_seconds: number;
  import_seconds: number;
  floor_seconds: number;
  peak_rss_mb: number;
  /** The CLI's own phase timings (codes import --json). */
  phases: Record<string, number>;
  load_average: number[];
}

export async function measureImport(rows: number, log: (line: string) => void): Promise<ImportBench> {
  const dir = mkdtempSync(join(tmpdir(), 'redeemctl-bench-import-'));
  const name = 'redeemctl_bench_import';
  try {
    const file = join(dir, `codes-${rows}.csv`);
    log(`writing ${rows} codes to ${file}…`);
    const bytes = await writeCodes(file, rows);
    const url = await recreateDatabase(name);
    let floor = { merchantId: '', rewardId: '', batchId: '' };
    const database = await openDatabase({ url, poolSize: 2 });
    try {
      await migrate(database);
      await seed(database.db, {
        merchant: { name: 'Bench Import' },
        rewards: [{ reward_code: 'BENCH-POOL', name: 'Bench pool', assign_promocode: true }],
      });
      const floorWorld = await seed(database.db, {
        merchant: { name: 'Bench Floor' },
        rewards: [{ reward_code: 'FLOOR-POOL', name: 'Floor pool', assign_promocode: true }],
      });
      const batch = await sql<{ id: string }>`
        insert into code_import_batches (merchant_id, reward_id, file_name)
        values (${floorWorld.merchantId}::uuid, ${floorWorld.rewardIds['FLOOR-POOL']!}::uuid, 'floor') returning id`.execute(database.db);
      floor = { merchantId: floorWorld.merchantId, rewardId: floorWorld.rewardIds['FLOOR-POOL']!, batchId: batch.rows[0]!.id };
      await sql`create table bench_copy (code text)`.execute(database.db);
      await sql`vacuum analyze`.execute(database.db);
    } finally {
      await database.close();
    }

    log('baseline: psql \\copy into a bare one-column table…');
    const copySeconds = await psql(url, `\\copy bench_copy(code) from '${file}' csv header`);

    log('codes import (the built CLI, a child process)…');
    const child = await timeChild(['codes', 'import', file, '--reward', 'BENCH-POOL', '--reason', 'benchmark', '--yes', '--json'], {
      DATABASE_URL: url,
      REDEEMCTL_MERCHANT: 'Bench Import',
      REDEEMCTL_ACTOR: 'bench',
    });
    const result = JSON.parse(child.stdout) as { imported: number; seconds: Record<string, number> };
    if (result.imported !== rows) throw new Error(`codes import imported ${result.imported} of ${rows} codes`);

    log('floor: one INSERT … SELECT of the same codes into reward_promo_code (another merchant)…');
    // The same three foreign keys (merchant, reward, import batch) as the import's rows.
    const floorSeconds = await psql(
      url,
      `insert into reward_promo_code (merchant_id, reward_id, promo_code, import_batch_id)
       select '${floor.merchantId}', '${floor.rewardId}', code, '${floor.batchId}' from bench_copy`,
    );
    return {
      rows,
      file_mb: round(bytes / 1_048_576, 1),
      copy_seconds: round(copySeconds, 3),
      import_seconds: round(child.seconds, 3),
      floor_seconds: round(floorSeconds, 3),
      peak_rss_mb: child.peakRssMb,
      phases: result.seconds,
      load_average: loadavg().map((l) => round(l, 1)),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await dropDatabase(name);
  }
}
