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
// CLI, a child process) against the honest floor: `psql \copy` of the same codes, with the column
// values the import writes (merchant, reward, code, import batch), into the real reward_promo_code
// table, its indexes, constraints and triggers included. Beside it, `\copy` of the bare codes into
// a one-column table: what reading the file costs the server with no table around it.
// Nothing runs VACUUM or ANALYZE; a CHECKPOINT before each timed step keeps one step's WAL from
// being written out during the next.

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../bin/redeemctl.js', import.meta.url));

/** The i-th code of the benchmark's file. */
function codeAt(i: number): string {
  return `IMP-${String(i).padStart(9, '0')}-${((i * 2654435761) % 2 ** 32).toString(36).toUpperCase()}`;
}

/** Streams `rows` lines made by `line` into `path` (never held whole); the file's size. */
async function writeLines(path: string, rows: number, header: string | null, line: (i: number) => string): Promise<number> {
  const out = createWriteStream(path);
  let chunk = header === null ? '' : `${header}\n`;
  for (let i = 1; i <= rows; i++) {
    chunk += `${line(i)}\n`;
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
  /** `\copy` of the codes into reward_promo_code, before and after the import; their mean. */
  copy_seconds_real_table: number;
  copy_seconds_real_table_runs: number[];
  /** `\copy` of the bare codes into a one-column table (no index, trigger or constraint). */
  copy_seconds_bare_table: number;
  import_seconds: number;
  peak_rss_mb: number;
  /** The CLI's own phase timings (codes import --json). */
  phases: Record<string, number>;
  load_average: number[];
}

interface BenchWorld {
  url: string;
  merchantId: string;
  rewardId: string;
  /** The import batch the copied rows name, as an import's rows name theirs. */
  batchId: string;
}

/** A scratch database with the merchant and pool reward the import fills; no VACUUM, no ANALYZE. */
async function prepareWorld(name: string): Promise<BenchWorld> {
  const url = await recreateDatabase(name);
  const database = await openDatabase({ url, poolSize: 2 });
  try {
    await migrate(database);
    const world = await seed(database.db, {
      merchant: { name: 'Bench Import' },
      rewards: [{ reward_code: 'BENCH-POOL', name: 'Bench pool', assign_promocode: true }],
    });
    const rewardId = world.rewardIds['BENCH-POOL']!;
    const batch = await sql<{ id: string }>`
      insert into code_import_batches (merchant_id, reward_id, file_name)
      values (${world.merchantId}::uuid, ${rewardId}::uuid, 'copy') returning id`.execute(database.db);
    await sql`create table bench_copy (code text)`.execute(database.db);
    return { url, merchantId: world.merchantId, rewardId, batchId: batch.rows[0]!.id };
  } finally {
    await database.close();
  }
}

/** Empties the pool (and what its triggers wrote) so the next step starts from the same table. */
const EMPTY_POOL = 'truncate reward_promo_code, pool_count_deltas, reward_claim_marks';

/** The honest floor: the codes, with the columns the import writes, into the real pool table. */
async function copyIntoPool(world: BenchWorld, copyFile: string): Promise<number> {
  await psql(world.url, 'checkpoint');
  const seconds = await psql(world.url, `\\copy reward_promo_code (merchant_id, reward_id, promo_code, import_batch_id) from '${copyFile}' csv`);
  await psql(world.url, EMPTY_POOL);
  return seconds;
}

export async function measureImport(rows: number, log: (line: string) => void): Promise<ImportBench> {
  const dir = mkdtempSync(join(tmpdir(), 'redeemctl-bench-import-'));
  const name = 'redeemctl_bench_import';
  try {
    const world = await prepareWorld(name);
    const file = join(dir, `codes-${rows}.csv`);
    const copyFile = join(dir, `pool-rows-${rows}.csv`);
    log(`writing ${rows} codes to ${file}, and the same codes as pool rows to ${copyFile}…`);
    const bytes = await writeLines(file, rows, 'code', codeAt);
    const ids = `${world.merchantId},${world.rewardId}`;
    await writeLines(copyFile, rows, null, (i) => `${ids},${codeAt(i)},${world.batchId}`);

    log('psql \\copy of the bare codes into a one-column table…');
    await psql(world.url, 'checkpoint');
    const bareSeconds = await psql(world.url, `\\copy bench_copy(code) from '${file}' csv header`);
    log('psql \\copy of the codes into reward_promo_code (the floor), first run…');
    const copyBefore = await copyIntoPool(world, copyFile);

    log('codes import (the built CLI, a child process)…');
    await psql(world.url, 'checkpoint');
    const child = await timeChild(['codes', 'import', file, '--reward', 'BENCH-POOL', '--reason', 'benchmark', '--yes', '--json'], {
      DATABASE_URL: world.url,
      REDEEMCTL_MERCHANT: 'Bench Import',
      REDEEMCTL_ACTOR: 'bench',
    });
    const result = JSON.parse(child.stdout) as { imported: number; seconds: Record<string, number> };
    if (result.imported !== rows) throw new Error(`codes import imported ${result.imported} of ${rows} codes`);
    await psql(world.url, EMPTY_POOL);

    log('psql \\copy of the codes into reward_promo_code (the floor), second run…');
    const copyAfter = await copyIntoPool(world, copyFile);
    return {
      rows,
      file_mb: round(bytes / 1_048_576, 1),
      copy_seconds_real_table: round((copyBefore + copyAfter) / 2, 3),
      copy_seconds_real_table_runs: [round(copyBefore, 3), round(copyAfter, 3)],
      copy_seconds_bare_table: round(bareSeconds, 3),
      import_seconds: round(child.seconds, 3),
      peak_rss_mb: child.peakRssMb,
      phases: result.seconds,
      load_average: loadavg().map((l) => round(l, 1)),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await dropDatabase(name);
  }
}

/** `npm run bench -- import [ROWS]`: 1,000,000 codes unless told otherwise (the goal's RSS is at 10,000,000). */
export async function importBench(log: (line: string) => void, argv: string[] = process.argv): Promise<object> {
  const rows = Number(argv[3] ?? 1_000_000);
  if (!Number.isInteger(rows) || rows <= 0) throw new Error(`ROWS must be a positive integer, got ${argv[3]}`);
  const run = await measureImport(rows, log);
  const ratio = round(run.copy_seconds_real_table / run.import_seconds, 3);
  return {
    bench: 'import',
    rows,
    copy_seconds_real_table: run.copy_seconds_real_table,
    import_seconds: run.import_seconds,
    ratio,
    peak_rss_mb: run.peak_rss_mb,
    goal: 'ratio >= 0.9 (copy into the real table / import); peak_rss_mb < 200 at 10,000,000 codes',
    goal_met: ratio >= 0.9 && run.peak_rss_mb < 200,
    copy_seconds_bare_table: run.copy_seconds_bare_table,
    run,
  };
}
