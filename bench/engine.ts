import { sql } from 'kysely';
import { openDatabase } from '../src/db/database.js';
import { migrate } from '../src/db/migrations.js';
import { fillHistory } from './history.js';
import { dropDatabase, recreateDatabase } from './scratch.js';
import { ENGINE_SHAPE, planRequests, round, runWorkload, seedBenchWorld, type WorkloadResult, type WorkloadShape } from './workload.js';

export interface EngineRun extends WorkloadResult {
  requestsPerSecond: number;
  ledgerRowsPerSecond: number;
  ledgerRowsWritten: number;
  historyLedgerRows: number;
  historyCodes: number;
}

/** The engine workload on a fresh scratch database, optionally on top of a large history. */
export async function measureEngine(options: { history: boolean; shape?: WorkloadShape; log?: (line: string) => void }): Promise<EngineRun> {
  const shape = options.shape ?? ENGINE_SHAPE;
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
    } else {
      await sql`vacuum analyze`.execute(database.db);
    }
    const count = async () =>
      Number((await sql<{ n: number }>`select count(*)::bigint as n from reward_redemptions_ledger`.execute(database.db)).rows[0]!.n);
    const codes = Number((await sql<{ n: number }>`select count(*)::bigint as n from reward_promo_code`.execute(database.db)).rows[0]!.n);
    const before = await count();
    log(`running ${shape.requests} requests with ${shape.concurrency} callers (history: ${before} ledger rows, ${codes} codes)…`);
    const result = await runWorkload(database.db, planRequests(world, shape, 'bench'), shape.concurrency);
    const written = (await count()) - before;
    return {
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
