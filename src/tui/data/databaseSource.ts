import type { Kysely } from 'kysely';
import type { Schema } from '../../db/schema.js';
import { poolHealth } from '../../monitoring/poolHealth.js';
import { redemptionMetrics } from '../../monitoring/redemptionMetrics.js';
import { latestFailures } from './latestFailuresQuery.js';
import { poolDetail } from './poolDetailQuery.js';
import { RefreshError } from './refreshError.js';
import type { SidePoller } from './sidePoller.js';
import { WINDOW_MINUTES, type DataSource, type LagReport, type Snapshot, type WorkerReport } from './snapshot.js';
import { throughputPerMinute } from './throughputQuery.js';

// The console's one DataSource: the database through the same functions as `pool health` and
// `metrics` (src/monitoring/), plus the console's own reads (throughput, latest failures, the
// selected pool's detail), and optionally Kafka lag and the worker's state.

export const LATEST_FAILURES = 10;

export interface DatabaseSourceOptions {
  db: Kysely<Schema>;
  merchantId: string;
  threshold: number;
  lag?: SidePoller<LagReport>;
  worker?: SidePoller<WorkerReport>;
  /** Closes what the pollers hold (the Kafka admin); the database is the command's to close. */
  closeSides?: () => Promise<void>;
  /** Where the windows end; tests pin it. */
  clock?: () => Date;
}

export function createDatabaseSource(options: DatabaseSourceOptions): DataSource {
  const { db, merchantId, threshold } = options;
  const clock = options.clock ?? (() => new Date());

  async function fromDatabase(now: Date, selected: string | null) {
    const since = new Date(now.getTime() - WINDOW_MINUTES * 60_000);
    const [health, metrics, perMinute, failures] = await Promise.all([
      poolHealth(db, { merchantId, threshold, now }),
      redemptionMetrics(db, { merchantId, since, now }),
      throughputPerMinute(db, merchantId, now, WINDOW_MINUTES),
      latestFailures(db, merchantId, now, LATEST_FAILURES),
    ]);
    // The detail follows the selection; a selection that no longer lists falls back to the top.
    const detailFor = health.pools.find((p) => p.reward_id === selected) ?? health.pools[0];
    const detail = detailFor ? await poolDetail(db, merchantId, detailFor.reward_id, now) : null;
    return { health, metrics, perMinute, failures, detail };
  }

  return {
    async snapshot(selected) {
      const now = clock();
      const [database, lag, worker] = await Promise.all([
        fromDatabase(now, selected).catch((error: unknown) => {
          throw RefreshError.from(error);
        }),
        options.lag?.poll(),
        options.worker?.poll(),
      ]);
      const snapshot: Snapshot = {
        at: now.toISOString(),
        threshold: database.health.threshold,
        pools: database.health.pools,
        metrics: database.metrics,
        throughputPerMinute: database.perMinute,
        latestFailures: database.failures,
        poolDetail: database.detail,
        ...(lag && { lag }),
        ...(worker && { worker }),
      };
      return snapshot;
    },
    async close() {
      // A Kafka read still running is not waited for: closing the admin ends it.
      await options.closeSides?.();
    },
  };
}
