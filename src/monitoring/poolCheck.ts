import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import type { Outcome } from '../shared/outcome.js';
import { poolHealth, type PoolHealthReport } from './poolHealth.js';

/**
 * `pool health` as a check: the report, and with `failOnAlert` exit 1 while any pool is LOW or
 * EMPTY, so cron and monitoring can act on the exit code alone (docs/monitoring.md).
 */
export async function checkPools(
  db: Kysely<Schema>,
  options: { merchantId: string; threshold: number; failOnAlert: boolean },
): Promise<Outcome<PoolHealthReport>> {
  const report = await poolHealth(db, { merchantId: options.merchantId, threshold: options.threshold });
  return { exitCode: options.failOnAlert && report.alerts.length > 0 ? 1 : 0, result: report };
}
