import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import { migrate } from '../src/db/migrations.js';
import { openDatabase } from '../src/db/database.js';
import { machineCpu } from './machineCpu.js';
import { withTpcbDatabase } from './pgbench.js';
import { dropDatabase, recreateDatabase, serverUrl, urlFor } from './scratch.js';
import { ENGINE_SHAPE, planRequests, round, seedBenchWorld, type WorkloadShape } from './workload.js';

// The `function` benchmark (docs/benchmarks.md, "function"): redeem_reward_with_points driven by
// pgbench itself, no Node in the path, beside pgbench's tpcb-like script with the same clients and
// duration. It separates what the SQL function costs from what the `engine` benchmark's Node
// callers add. Each phase runs on its own copy of one seeded database (CREATE DATABASE … TEMPLATE),
// so the pool and plain phases start from the same state; nothing is vacuumed or analysed.

const run = promisify(execFile);
const CLIENTS = Number(process.env.FUNCTION_BENCH_CLIENTS ?? 8);
const SECONDS = Number(process.env.FUNCTION_BENCH_SECONDS ?? 10);
const TEMPLATE = 'redeemctl_bench_fn_template';
const COPY = 'redeemctl_bench_fn_run';
// Enough codes that no phase runs a pool dry: 8 clients × 10 s at 2,000 tps × 3 codes ≈ 6,000 per reward.
const SHAPE: WorkloadShape = { ...ENGINE_SHAPE, codesPerPool: 20_000 };

/** One pgbench request: the engine benchmark's planned requests, picked at random, a fresh event id each. */
const script = (pool: boolean) => `\\set n random(1, ${SHAPE.requests})
\\set e random(1, 1000000000000)
select redeem_reward_with_points(reward_id, quantity, user_id, merchant_id, 'calc', 'fn-' || :e)
from bench_requests where n = (select n from bench_requests where ${pool ? '' : 'not '}pool and n >= :n order by n limit 1);
`;

interface Phase {
  tps: number;
  transactions: number;
  failed: number;
  cpu_us_per_transaction: number | null;
}

async function pgbench(args: string[], url: string): Promise<Phase> {
  const before = machineCpu();
  const { stdout } = await run('pgbench', ['-n', '-c', String(CLIENTS), '-j', String(Math.min(CLIENTS, 4)), '-T', String(SECONDS), ...args, url], { maxBuffer: 16 << 20 });
  const after = machineCpu();
  const tps = Number(/tps = ([\d.]+)/.exec(stdout)?.[1]);
  const transactions = Number(/number of transactions actually processed: (\d+)/.exec(stdout)?.[1]);
  const failed = Number(/number of failed transactions: (\d+)/.exec(stdout)?.[1] ?? 0);
  if (!Number.isFinite(tps) || !Number.isFinite(transactions)) throw new Error(`could not read pgbench's output:\n${stdout}`);
  const cpu = before !== null && after !== null && transactions > 0 ? round(((after.busy - before.busy) * 1_000_000) / transactions, 0) : null;
  return { tps: round(tps, 1), transactions, failed, cpu_us_per_transaction: cpu };
}

async function seedTemplate(log: (line: string) => void): Promise<void> {
  const url = await recreateDatabase(TEMPLATE);
  const setup = await openDatabase({ url, poolSize: 2 });
  try {
    await migrate(setup);
    log(`function: seeding ${SHAPE.members} members, ${SHAPE.poolRewards} pool rewards of ${SHAPE.codesPerPool} codes, ${SHAPE.plainRewards} plain rewards`);
    const world = await seedBenchWorld(setup.db, SHAPE);
    const pools = new Set(world.poolRewardIds);
    const rows = planRequests(world, SHAPE, 'function').map((r, i) => ({
      n: i + 1,
      reward_id: r.rewardId,
      user_id: r.userId,
      merchant_id: r.merchantId,
      quantity: r.quantity,
      pool: pools.has(r.rewardId),
    }));
    await sql`create table bench_requests (n int primary key, reward_id uuid, user_id uuid, merchant_id uuid, quantity int, pool boolean)`.execute(setup.db);
    for (let at = 0; at < rows.length; at += 2_000) {
      await sql`insert into bench_requests select * from jsonb_populate_recordset(null::bench_requests, ${JSON.stringify(rows.slice(at, at + 2_000))}::jsonb)`.execute(setup.db);
    }
  } finally {
    await setup.close();
  }
}

/** A fresh copy of the seeded database, checkpointed so no phase pays for the one before. */
async function freshCopy(): Promise<string> {
  const admin = new pg.Client({ connectionString: serverUrl() });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${COPY} with (force)`);
    await admin.query(`create database ${COPY} template ${TEMPLATE}`);
    await admin.query('checkpoint');
  } finally {
    await admin.end();
  }
  return urlFor(COPY);
}

function tpcbPhase(): Promise<Phase> {
  return withTpcbDatabase('redeemctl_bench_fn_tpcb', (url) => pgbench(['-b', 'tpcb-like'], url));
}

export async function measureFunction(log: (line: string) => void): Promise<object> {
  const dir = mkdtempSync(join(tmpdir(), 'redeemctl-fn-bench-'));
  try {
    await seedTemplate(log);
    writeFileSync(join(dir, 'pool.sql'), script(true));
    writeFileSync(join(dir, 'plain.sql'), script(false));
    log(`function: pgbench tpcb-like, ${CLIENTS} clients, ${SECONDS} s`);
    const tpcb = await tpcbPhase();
    log(`function: pool rewards, ${CLIENTS} clients, ${SECONDS} s`);
    const pool = await pgbench(['-f', join(dir, 'pool.sql')], await freshCopy());
    log(`function: plain rewards, ${CLIENTS} clients, ${SECONDS} s`);
    const plain = await pgbench(['-f', join(dir, 'plain.sql')], await freshCopy());
    return {
      bench: 'function',
      clients: CLIENTS,
      seconds: SECONDS,
      pool_tps: pool.tps,
      no_pool_tps: plain.tps,
      tpcb_tps: tpcb.tps,
      ratio_pool: round(pool.tps / tpcb.tps, 3),
      ratio_no_pool: round(plain.tps / tpcb.tps, 3),
      goal: 'pool and no-pool tps >= tpcb-like tps (the function alone, pgbench as the caller)',
      goal_met: pool.tps >= tpcb.tps && plain.tps >= tpcb.tps,
      pool,
      no_pool: plain,
      tpcb,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await dropDatabase(COPY);
    await dropDatabase(TEMPLATE);
  }
}
