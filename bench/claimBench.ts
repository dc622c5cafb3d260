import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { openDatabase, type Database, type RawConnection } from '../src/db/database.js';
import { migrate } from '../src/db/migrations.js';
import { seed } from '../src/demo/seed.js';
import { importCodes } from '../src/codes/importPool.js';
import { resolvePoolReward } from '../src/codes/poolReward.js';
import { sweepExpiredCodes } from '../src/codes/sweep.js';
import { envInt } from './envInt.js';
import { dropDatabase, recreateDatabase } from './scratch.js';
import { round } from './workload.js';

// The `claim` benchmark of docs/benchmarks.md (issue 9, defect 7): the latency of a claim of one
// code on a 1,000,000-code pool, fresh, then with 50 % and 99 % of it redeemed, and on a second
// 1,000,000-code pool whose first half is expired (before and after the expiry sweep). Both
// pools go in through `codes import` (importCodes, the command's own code path); history is
// written in bulk with SQL, as the setup; the measured claims are rd_claim_codes itself. Nothing
// runs VACUUM or ANALYZE (the importer does neither), so the plan is the one an import leaves.
//
// A measured claim: on one connection, `begin`, then `select code_ids from rd_claim_codes($1, 1)`
// (timed: the statement's round trip), then the claimed code marked redeemed as
// redeem_reward_with_points marks it, then `commit`: so the pool is drawn down as redemptions draw
// it. Each phase also counts the shared buffers of one more claim (EXPLAIN ANALYZE BUFFERS, rolled
// back): a figure the machine's load does not change.

/** Codes per pool: 1,000,000 (CLAIM_BENCH_POOL, for a quick try). */
let POOL = 1_000_000;
const NAME = 'redeemctl_bench_claim';

interface PhaseFigures {
  claims: number;
  /** The phase's first claim: the one that passes a bulk change of history, before the floor moves. */
  first_ms: number;
  /** The other claims of the phase. */
  p50_ms: number;
  p99_ms: number;
  mean_ms: number;
  max_ms: number;
  /** Shared buffers (hit + read) of one claim after the phase, nested statements included. */
  buffers: number;
}

export interface ClaimBench {
  bench: 'claim';
  pool_codes: number;
  claims_per_phase: number;
  measured: string;
  phases: Record<string, PhaseFigures & { ratio_p50: number; ratio_mean: number; ratio_p99: number; ratio_buffers: number }>;
  worst: { phase: string; ratio_p50: number };
  goal: string;
  goal_met: boolean;
  setup_seconds: Record<string, number>;
  autovacuum: { setting: string; vacuumed: boolean; analyzed: boolean };
  load_average: { start: number[]; end: number[] };
}

/** A code-pool CSV, streamed; the first `expired` rows expire on 2020-01-01 (in the past). */
async function writePool(path: string, prefix: string, expired: number): Promise<void> {
  const out = createWriteStream(path);
  let chunk = expired > 0 ? 'code,expires_at\n' : 'code\n';
  for (let i = 1; i <= POOL; i++) {
    chunk += `${prefix}${String(i).padStart(9, '0')}${expired > 0 ? (i <= expired ? ',2020-01-01' : ',') : ''}\n`;
    if (chunk.length >= 1 << 16 || i === POOL) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end();
  await once(out, 'finish');
}

async function timed<T>(seconds: Record<string, number>, key: string, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await fn();
  seconds[key] = round((performance.now() - started) / 1000);
  return result;
}

/** One claim of one code, timed, then committed as a redemption commits it. */
async function claimOnce(conn: RawConnection, rewardId: string): Promise<number> {
  await conn.exec('begin');
  const started = performance.now();
  const { rows } = await conn.query<{ code_ids: number[] | null }>(`select code_ids from rd_claim_codes($1::uuid, 1)`, [rewardId]);
  const ms = performance.now() - started;
  const id = rows[0]?.code_ids?.[0];
  if (id === undefined) throw new Error(`the pool ${rewardId} ran out of codes`);
  await conn.query(`update reward_promo_code set status = 'redeemed', redeemed_at = now(), ledger_id = gen_random_uuid() where id = $1`, [id]);
  await conn.exec('commit');
  return ms;
}

async function claimBuffers(conn: RawConnection, rewardId: string): Promise<number> {
  await conn.exec('begin');
  try {
    const { rows } = await conn.query<{ 'QUERY PLAN': unknown }>(`explain (analyze, buffers, format json) select * from rd_claim_codes($1::uuid, 1)`, [rewardId]);
    const raw = rows[0]!['QUERY PLAN'];
    const plan = ((typeof raw === 'string' ? JSON.parse(raw) : raw) as Array<{ Plan: Record<string, number> }>)[0]!.Plan;
    return (plan['Shared Hit Blocks'] ?? 0) + (plan['Shared Read Blocks'] ?? 0);
  } finally {
    await conn.exec('rollback');
  }
}

async function measurePhase(conn: RawConnection, rewardId: string, claims: number): Promise<PhaseFigures> {
  const first = await claimOnce(conn, rewardId);
  const ms: number[] = [];
  for (let i = 1; i < claims; i++) ms.push(await claimOnce(conn, rewardId));
  ms.sort((a, b) => a - b);
  const at = (q: number) => round(ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]!, 3);
  return {
    claims,
    first_ms: round(first, 3),
    p50_ms: at(0.5),
    p99_ms: at(0.99),
    mean_ms: round(ms.reduce((a, b) => a + b, 0) / ms.length, 3),
    max_ms: round(ms[ms.length - 1]!, 3),
    buffers: await claimBuffers(conn, rewardId),
  };
}

/** History in one statement: every available code of the pool below the given share marked redeemed. */
async function redeemUpTo(database: Database, rewardId: string, share: number): Promise<void> {
  await sql`
    update reward_promo_code set status = 'redeemed', redeemed_at = now(), ledger_id = gen_random_uuid()
    where reward_id = ${rewardId}::uuid and status = 'available'
      and id < (select min(id) from reward_promo_code where reward_id = ${rewardId}::uuid) + ${Math.round(POOL * share)}::bigint`.execute(database.db);
}

interface World {
  merchantId: string;
  claimPool: string;
  expiryPool: string;
}

async function prepare(database: Database, dir: string, seconds: Record<string, number>, log: (line: string) => void): Promise<World> {
  await migrate(database);
  const world = await seed(database.db, {
    merchant: { name: 'Bench Claim' },
    rewards: [
      { reward_code: 'CLAIM-POOL', name: 'Claim pool', assign_promocode: true, fallback_points: 1 },
      { reward_code: 'EXPIRY-POOL', name: 'Expiry pool', assign_promocode: true, fallback_points: 1 },
    ],
  });
  for (const [code, prefix, expired] of [['CLAIM-POOL', 'CLM-', 0], ['EXPIRY-POOL', 'EXP-', POOL / 2]] as const) {
    const file = join(dir, `${code}.csv`);
    await writePool(file, prefix, expired);
    log(`codes import of ${POOL.toLocaleString('en')} codes into ${code}${expired > 0 ? ` (the first ${expired.toLocaleString('en')} expired)` : ''}…`);
    const reward = await resolvePoolReward(database.db, world.merchantId, code);
    const result = await timed(seconds, `import_${code.toLowerCase()}`, () =>
      importCodes(database, { file, merchantId: world.merchantId, reward, lot: null, dryRun: false, skipInvalid: false, actor: 'bench' }));
    if (result.imported !== POOL) throw new Error(`codes import imported ${result.imported} of ${POOL} codes into ${code}`);
  }
  return { merchantId: world.merchantId, claimPool: world.rewardIds['CLAIM-POOL']!, expiryPool: world.rewardIds['EXPIRY-POOL']! };
}

async function vacuumState(database: Database): Promise<ClaimBench['autovacuum']> {
  const { rows } = await sql<{ setting: string; vacuumed: boolean; analyzed: boolean }>`
    select current_setting('autovacuum') as setting,
           coalesce(last_autovacuum is not null or last_vacuum is not null, false) as vacuumed,
           coalesce(last_autoanalyze is not null or last_analyze is not null, false) as analyzed
    from pg_stat_user_tables where relname = 'reward_promo_code'`.execute(database.db);
  return rows[0] ?? { setting: 'unknown', vacuumed: false, analyzed: false };
}

async function runPhases(database: Database, world: World, claims: number, seconds: Record<string, number>, log: (line: string) => void) {
  const phases: Record<string, PhaseFigures> = {};
  await database.withConnection(async (conn) => {
    const phase = async (name: string, rewardId: string) => {
      log(`phase ${name}: ${claims} claims…`);
      phases[name] = await measurePhase(conn, rewardId, claims);
      log(`  ${JSON.stringify(phases[name])}`);
    };
    await phase('fresh', world.claimPool);
    log('setup: 50 % of the pool marked redeemed (one UPDATE)…');
    await timed(seconds, 'redeem_50', () => redeemUpTo(database, world.claimPool, 0.5));
    await phase('redeemed_50', world.claimPool);
    log('setup: 99 % of the pool marked redeemed (one UPDATE)…');
    await timed(seconds, 'redeem_99', () => redeemUpTo(database, world.claimPool, 0.99));
    await phase('redeemed_99', world.claimPool);
    await phase('expired_50', world.expiryPool);
    log('the expiry sweep (what the worker runs every minute)…');
    await timed(seconds, 'sweep', () => sweepExpiredCodes(database.db));
    await phase('expired_50_swept', world.expiryPool);
  });
  return phases;
}

export async function measureClaimBench(log: (line: string) => void, env: Record<string, string | undefined> = process.env): Promise<ClaimBench> {
  const claims = envInt(env, 'CLAIM_BENCH_CLAIMS', 2_000);
  POOL = envInt(env, 'CLAIM_BENCH_POOL', 1_000_000);
  const start = loadavg().map((l) => round(l, 1));
  const dir = mkdtempSync(join(tmpdir(), 'redeemctl-bench-claim-'));
  const database = await openDatabase({ url: await recreateDatabase(NAME), poolSize: 2 });
  try {
    const seconds: Record<string, number> = {};
    const world = await prepare(database, dir, seconds, log);
    const phases = await runPhases(database, world, claims, seconds, log);
    const fresh = phases.fresh!;
    const rated = Object.fromEntries(
      Object.entries(phases).map(([name, p]) => [name, {
        ...p,
        ratio_p50: round(p.p50_ms / fresh.p50_ms, 2),
        ratio_mean: round(p.mean_ms / fresh.mean_ms, 2),
        ratio_p99: round(p.p99_ms / fresh.p99_ms, 2),
        ratio_buffers: round(p.buffers / fresh.buffers, 2),
      }]),
    );
    const [worstName, worst] = Object.entries(rated).sort((a, b) => b[1].ratio_p50 - a[1].ratio_p50)[0]!;
    return {
      bench: 'claim',
      pool_codes: POOL,
      claims_per_phase: claims,
      measured: 'rd_claim_codes(reward, 1): the statement round trip on one connection, each claim in its own transaction that marks the code redeemed and commits; p50/p99/mean/max over the claims after the first of each phase',
      phases: rated,
      worst: { phase: worstName, ratio_p50: worst.ratio_p50 },
      goal: 'worst phase p50 <= 1.5 x fresh p50',
      goal_met: worst.ratio_p50 <= 1.5,
      setup_seconds: seconds,
      autovacuum: await vacuumState(database),
      load_average: { start, end: loadavg().map((l) => round(l, 1)) },
    };
  } finally {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
    await dropDatabase(NAME);
  }
}
