import type { Kysely } from 'kysely';
import type { Schema } from '../../db/schema.js';
import type { KafkaSettings } from '../../kafka/settings.js';
import { createDatabaseSource } from './databaseSource.js';
import { kafkaLagPoller } from './kafkaSide.js';
import { SidePoller } from './sidePoller.js';
import type { DataSource, WorkerReport } from './snapshot.js';
import { fetchWorkerState } from './workerState.js';

export interface DashSourceOptions {
  db: Kysely<Schema>;
  merchantId: string;
  threshold: number;
  /** with Kafka configured: the lag of this group on settings.topic */
  kafka?: { settings: KafkaSettings; group: string };
  workerMetricsUrl?: string;
  /** how long a refresh waits for Kafka or the worker before showing "no answer" */
  sideTimeoutMs: number;
}

/** The console's data: the database, and Kafka and the worker when they are configured. */
export function openDashSource(options: DashSourceOptions): DataSource {
  const lag = options.kafka ? kafkaLagPoller(options.kafka.settings, options.kafka.group, options.sideTimeoutMs) : undefined;
  const url = options.workerMetricsUrl;
  const worker = url ? new SidePoller<WorkerReport>(() => fetchWorkerState(url, options.sideTimeoutMs), options.sideTimeoutMs) : undefined;
  return createDatabaseSource({
    db: options.db,
    merchantId: options.merchantId,
    threshold: options.threshold,
    ...(lag && { lag: lag.poller }),
    ...(worker && { worker }),
    closeSides: async () => {
      await lag?.close();
    },
  });
}
