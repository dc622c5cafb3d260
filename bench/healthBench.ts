import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql, type Kysely } from 'kysely';
import { openDatabase } from '../src/db/database.js';
import { migrate } from '../src/db/migrations.js';
import type { Schema } from '../src/db/schema.js';
import { poolHealth } from '../src/monitoring/poolHealth.js';
import { poolHealthQuery } from '../src/monitoring/poolHealthQuery.js';
import { withoutJit } from '../src/monitoring/withoutJit.js';
import { seed } from '../src/demo/seed.js';
import { dropDatabase, recreateDatabase, urlFor } from './scratch.js';
import { round } from './workload.js';
import { BIN, median, timeChild, type ChildTime } from './childTime.js';

// The `health` benchmark of docs/benchmarks.md: `pool health` with 50 pool rewards and 5,000,000
// codes under 200 ms. Reward r (0..49) holds codes HB-100000·r … HB-(100000·(r+1) − 1); its
// first 1,000·r are redeemed (1,225,000 ledger rows, about a sixth of them in the last day), 1%
// of the rest expired. Then, through UPDATEs (the trigger's other branch): reward 0 voided down
// to 10 codes (LOW) and reward 1 voided to nothing (EMPTY). Times: the query function in
// process, and the built CLI as a child process, against `node -e 0` measured in the same run.

const REWARDS = 50;
const CODES_PER_REWARD = 100_000;



async function fill(db: Kysely<Schema>, log: (line: string) => void): Promise<{ merchantId: string }> {
  const summary = await seed(db, {
    merchant: { name: 'Health Bench' },
    users: Array.from({ length: 100 }, (_, i) => ({ email: `m${i}@bench.test`, points: 0 })),
    rewards: Array.from({ length: REWARDS }, (_, r) => ({
      reward_code: `POOL-${r}`, name: `Pool ${r}`, assign_promocode: true, fallback_points: 10,
    })),
  });
  const m = summary.merchantId;
  const rewards = Array.from({ length: REWARDS }, (_, r) => summary.rewardIds[`POOL-${r}`]!);
  const users = Object.values(summary.userIds);
  for (let r = 0; r < REWARDS; r += 5) {
    log(`codes for rewards ${r}..${r + 4} (${((r + 5) * CODES_PER_REWARD).toLocaleString('en')} of ${(REWARDS * CODES_PER_REWARD).toLocaleString('en')})`);
    // k: the code's place in its reward; redeemed codes get the ledger id their row will have.
    await sql`
      insert into reward_promo_code (merchant_id, reward_id, promo_code, lot, expires_at, status, redeemed_at, ledger_id)
      select ${m}::uuid, (${rewards}::uuid[])[1 + g / ${CODES_PER_REWARD}], 'HB-' || g, 'bench',
             case when g % 100 = 7 and k >= (g / ${CODES_PER_REWARD}) * 1000 then now() - interval '1 day' end,
             case when k < (g / ${CODES_PER_REWARD}) * 1000 then 'redeemed' else 'available' end,
             case when k < (g / ${CODES_PER_REWARD}) * 1000
                  then now() - case when g % 6 = 0 then random() * interval '23 hours' else interval '2 days' + random() * interval '28 days' end end,
             case when k < (g / ${CODES_PER_REWARD}) * 1000 then md5('hb' || g)::uuid end
      from generate_series(${r * CODES_PER_REWARD}::int, ${(r + 5) * CODES_PER_REWARD - 1}::int) g, lateral (select g % ${CODES_PER_REWARD} as k) x`.execute(db);
  }
  log('ledger rows for the redeemed codes');
  await sql`
    insert into reward_redemptions_ledger (id, code, merchant_id, user_id, reward_id, event_id, qty, promo_code, promo_code_id,
        points_deducted, success, mode, source_type, redeemed_at, created_at)
    select p.ledger_id, 'RWDHB' || p.id, ${m}::uuid, (${users}::uuid[])[1 + p.id % ${users.length}], p.reward_id, 'hb-' || p.id,
           1, p.promo_code, p.id, 10, true, 'calc', 'bench', p.redeemed_at, p.redeemed_at
    from reward_promo_code p where p.status = 'redeemed'
    -- In time order, as redemptions append them: the last day's rows share the table's last pages.
    order by p.redeemed_at`.execute(db);
  log('failures and voids (UPDATE: the trigger keeps pool_counts)');
  await sql`
    insert into redemption_requests (event_id, merchant_id, user_id, reward_id, quantity, mode, source_type, status, error_code, result, created_at)
    select 'hb-short-' || g, ${m}::uuid, (${users}::uuid[])[1 + g % ${users.length}], (${rewards}::uuid[])[1 + g % 2], 5, 'calc', 'bench',
           'failed', 'INSUFFICIENT_CODES', '{}'::jsonb, now() - random() * interval '2 days'
    from generate_series(1, 5000) g`.execute(db);
  await sql`update reward_promo_code set status = 'voided' where reward_id = ${rewards[0]}::uuid and status = 'available'
    and id not in (select id from reward_promo_code where reward_id = ${rewards[0]}::uuid and status = 'available' and expires_at is null order by id limit 10)`.execute(db);
  await sql`update reward_promo_code set status = 'voided' where reward_id = ${rewards[1]}::uuid and status = 'available'`.execute(db);
  // No VACUUM/ANALYZE: `pool health` right after a bulk change is what on-call runs (a plan that
  // flips on stale statistics is part of what this measures).
  return { merchantId: m };
}

/** CPU seconds a local server process has used (/proc, Linux), or null elsewhere. */
function processCpuMs(pid: number): number | null {
  try {
    // Fields after the command name: utime and stime are the 12th and 13th, in clock ticks (100/s).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

/** The filled database from an earlier run (HEALTH_BENCH_REUSE=1), or null. */
async function reuse(url: string): Promise<{ merchantId: string } | null> {
  const database = await openDatabase({ url, poolSize: 1 });
  try {
    const row = await database.db.selectFrom('merchants').select('id').where('name', '=', 'Health Bench').executeTakeFirst();
    return row ? { merchantId: row.id } : null;
  } catch {
    return null; // no such database yet
  } finally {
    await database.close();
  }
}

export async function measureHealth(log: (line: string) => void): Promise<object> {
  const name = 'redeemctl_bench_health';
  // HEALTH_BENCH_REUSE=1 measures the database a run with HEALTH_BENCH_KEEP=1 left (the fill
  // takes minutes; on a shared machine it helps to measure again when it is quieter).
  const reused = process.env.HEALTH_BENCH_REUSE === '1' ? await reuse(urlFor(name)) : null;
  const url = reused ? urlFor(name) : await recreateDatabase(name);
  // One connection: every statement of the timed runs goes to one server process, whose CPU
  // time is read from /proc alongside the wall time.
  const database = await openDatabase({ url, poolSize: 1 });
  try {
    await migrate(database);
    const { merchantId } = reused ?? (await fill(database.db, log));
    const db = database.db;
    const counts = (await sql<{ codes: number; ledger_rows: number; ledger_last_day: number }>`
      select (select count(*) from reward_promo_code)::float8 as codes,
             (select count(*) from reward_redemptions_ledger)::float8 as ledger_rows,
             (select count(*) from reward_redemptions_ledger where created_at > now() - interval '1 day')::float8 as ledger_last_day`.execute(db)).rows[0]!;

    log('pool health in process: 3 warm-up runs, then 20');
    for (let i = 0; i < 3; i++) await poolHealth(db, { merchantId });
    const queryMs: number[] = [];
    let report = await poolHealth(db, { merchantId });
    const backend = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)).rows[0]!.pid;
    const serverBefore = processCpuMs(backend);
    const clientBefore = process.cpuUsage();
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      report = await poolHealth(db, { merchantId });
      queryMs.push(performance.now() - t0);
    }
    const client = process.cpuUsage(clientBefore);
    const serverAfter = processCpuMs(backend);
    // CPU per run, server and client: what the machine's load does not stretch.
    const queryCpuMs =
      serverBefore === null || serverAfter === null ? null : (serverAfter - serverBefore + (client.user + client.system) / 1000) / 20;
    const plan = await withoutJit(db, (trx) =>
      sql<{ 'QUERY PLAN': string }>`explain (analyze, buffers) ${poolHealthQuery(merchantId, undefined)}`.execute(trx),
    );
    log('plan of the pool health statement:\n' + plan.rows.map((r) => r['QUERY PLAN']).join('\n'));

    log('node bin/redeemctl.js pool health --json against node -e 0: 5 runs each, alternating');
    // The CLI refuses a schema behind its sql/: apply any migration added since the fill began.
    await migrate(database);
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATABASE_URL: url, NO_COLOR: '1' };
    const cliArgs = [BIN, 'pool', 'health', '--json', '--merchant', merchantId];
    timeChild(cliArgs, env);
    const cli: ChildTime[] = [];
    const node: ChildTime[] = [];
    for (let i = 0; i < 5; i++) {
      cli.push(timeChild(cliArgs, env));
      node.push(timeChild(['-e', '0'], env));
    }
    const cliMs = cli.map((t) => t.wallMs);
    const nodeMs = node.map((t) => t.wallMs);
    const cpu = (times: ChildTime[]) => (times.every((t) => t.cpuMs !== null) ? round(median(times.map((t) => t.cpuMs!))) : null);
    const queryP50 = median(queryMs);
    const cliP50 = median(cliMs);
    return {
      bench: 'health',
      codes: counts.codes,
      rewards: report.pools.length,
      ledger_rows: counts.ledger_rows,
      ledger_rows_last_day: counts.ledger_last_day,
      statuses: Object.fromEntries(['OK', 'LOW', 'EMPTY'].map((s) => [s, report.pools.filter((p) => p.status === s).length])),
      query_ms_p50: round(queryP50),
      query_ms_min: round(Math.min(...queryMs)),
      query_ms_max: round(Math.max(...queryMs)),
      cli_ms_p50: round(cliP50),
      cli_ms_min: round(Math.min(...cliMs)),
      node_baseline_ms_p50: round(median(nodeMs)),
      node_baseline_ms_min: round(Math.min(...nodeMs)),
      cli_over_node_ms: round(cliP50 - median(nodeMs)),
      // CPU time, which the machine's load does not stretch: the query's per run (server process
      // and client), the CLI's and node's own (its query's server side not included).
      query_cpu_ms: queryCpuMs === null ? null : round(queryCpuMs),
      cli_cpu_ms_p50: cpu(cli),
      node_baseline_cpu_ms_p50: cpu(node),
      goal: '< 200 ms',
      // A shared machine: the load says how far the absolute times are from an idle one.
      load_average_1m: round(loadavg()[0]!),
      cpus: cpus().length,
      query_within_goal: queryP50 < 200,
      cli_within_goal: cliP50 < 200,
    };
  } finally {
    await database.close();
    // HEALTH_BENCH_KEEP=1 leaves the database for EXPLAIN by hand (docs/monitoring.md).
    if (process.env.HEALTH_BENCH_KEEP !== '1' && process.env.HEALTH_BENCH_REUSE !== '1') await dropDatabase(name);
  }
}
