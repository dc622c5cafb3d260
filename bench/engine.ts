import { sql } from 'kysely';
import { openDatabase } from '../src/db/database.js';
import { migrate } from '../src/db/migrations.js';
import { envInt } from './envInt.js';
import { fillHistory } from './history.js';
import { pgbenchBaseline } from './pgbench.js';
import { dropDatabase, recreateDatabase } from './scratch.js';
import {
  ENGINE_SHAPE,
  planRequests,
  round,
  runWorkload,
  seedBenchWorld,
  type RequestKinds,
  type WorkloadResult,
  type WorkloadShape,
} from './workload.js';

export interface EngineRun extends WorkloadResult {
  kinds: RequestKinds;
  requestsPerSecond: number;
  ledgerRowsPerSecond: number;
  ledgerRowsWritten: number;
  historyLedgerRows: number;
  historyCodes: number;
}

/**
 * Codes enough for every pool request of the run: a request takes 3 codes on average (60 % take
 * one, the rest 2..10), so 4 per request, spread over the pools, leaves a margin and no pool runs
 * dry (a refusal for want of codes is cheaper than a redemption and would flatter the rate).
 */
export function codesPerPoolFor(shape: WorkloadShape, kinds: RequestKinds): number {
  const poolRequests = kinds === 'pool' ? shape.requests : kinds === 'mix' ? Math.ceil(shape.requests / 2) : 0;
  return Math.max(shape.codesPerPool, Math.ceil((poolRequests * 4) / shape.poolRewards));
}

/**
 * The engine workload on a fresh scratch database, optionally on top of a large history. Nothing
 * runs VACUUM or ANALYZE first (docs/benchmarks.md, "The goals"): the tables are as the seed left
 * them, as they are for a service that has just been loaded.
 */
export async function measureEngine(options: {
  history: boolean;
  shape?: WorkloadShape;
  kinds?: RequestKinds;
  log?: (line: string) => void;
}): Promise<EngineRun> {
  const kinds = options.kinds ?? 'mix';
  const base = options.shape ?? ENGINE_SHAPE;
  const shape = { ...base, codesPerPool: codesPerPoolFor(base, kinds) };
  const log = options.log ?? (() => {});
  const name = options.history ? 'redeemctl_bench_history' : 'redeemctl_bench_engine';
  const url = await recreateDatabase(name);
  const database = await openDatabase({ url, poolSize: shape.concurrency });
  try {
    await migrate(database);
    const world = await seedBenchWorld(database.db, shape);
    if (options.history) {
      log('filling 1,000,000 ledger rows and 1,000,000 codes…');
      await fillHistory(database.db, world);
    }
    const count = async () =>
      Number((await sql<{ n: number }>`select count(*)::bigint as n from reward_redemptions_ledger`.execute(database.db)).rows[0]!.n);
    const codes = Number((await sql<{ n: number }>`select count(*)::bigint as n from reward_promo_code`.execute(database.db)).rows[0]!.n);
    const before = await count();
    log(`${kinds}: ${shape.requests} requests with ${shape.concurrency} callers (history: ${before} ledger rows, ${codes} codes)…`);
    const result = await runWorkload(database.db, planRequests(world, shape, 'bench', kinds), shape.concurrency);
    const written = (await count()) - before;
    return {
      kinds,
      ...result,
      requestsPerSecond: round(result.requests / result.seconds),
      ledgerRowsPerSecond: round(written / result.seconds),
      ledgerRowsWritten: written,
      historyLedgerRows: before,
      historyCodes: codes,
    };
  } finally {
    await database.close();
    await dropDatabase(name);
  }
}

/**
 * `npm run bench -- engine`: pgbench tpcb-like (the machine's yardstick), then three phases of the
 * workload, each on its own fresh database seeded alike: the mix (half the requests on pool
 * rewards), then the pool half alone and the no-pool half alone, each with as many requests as the
 * mix. The halves are separate phases rather than the mix's requests timed by kind: in a mix both
 * kinds share the callers, so a per-kind rate would not be a throughput.
 * ENGINE_BENCH_REQUESTS sets the requests per phase (default 20,000; small values for a smoke run).
 */
export async function engineBench(log: (line: string) => void, env: Record<string, string | undefined> = process.env): Promise<object> {
  const shape: WorkloadShape = { ...ENGINE_SHAPE, requests: envInt(env, 'ENGINE_BENCH_REQUESTS', ENGINE_SHAPE.requests) };
  log('baseline: pgbench tpcb-like, 8 clients, 10 s');
  const baseline = await pgbenchBaseline(8, 10);
  const mix = await measureEngine({ history: false, shape, kinds: 'mix', log });
  const pool = await measureEngine({ history: false, shape, kinds: 'pool', log });
  const plain = await measureEngine({ history: false, shape, kinds: 'plain', log });
  const ratio = (run: EngineRun) => round(run.requestsPerSecond / baseline.tps, 3);
  return {
    bench: 'engine',
    requests: shape.requests,
    requests_per_s: mix.requestsPerSecond,
    pool_requests_per_s: pool.requestsPerSecond,
    no_pool_requests_per_s: plain.requestsPerSecond,
    ledger_rows_per_s: mix.ledgerRowsPerSecond,
    pgbench_tps: baseline.tps,
    ratio: ratio(mix),
    ratio_pool: ratio(pool),
    ratio_no_pool: ratio(plain),
    goal: 'ratio >= 1.0 for the mix and each half',
    goal_met: Math.min(ratio(mix), ratio(pool), ratio(plain)) >= 1,
    vacuum_before: false,
    run: mix,
    pool_run: pool,
    no_pool_run: plain,
    baseline,
  };
}
