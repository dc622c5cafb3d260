import type { PoolHealth } from '../../monitoring/poolHealth.js';
import type { MetricsReport } from '../../monitoring/redemptionMetrics.js';

// What the console shows, as plain data: the components render a Snapshot and nothing else, and
// only a DataSource (src/tui/data/databaseSource.ts) queries anything to build one.

/** The window of the figures and the throughput chart: the last hour, one bar per minute. */
export const WINDOW_MINUTES = 60;

export interface LatestFailure {
  /** ISO time the request was recorded */
  at: string;
  event_id: string;
  error_code: string;
  reward_code: string | null;
  quantity: number | null;
}

export interface LotCount {
  /** null: codes loaded without a lot */
  lot: string | null;
  available: number;
  total: number;
}

export interface PoolDetail {
  reward_id: string;
  /** Units redeemed per hour, oldest first; the last entry is the hour ending now. */
  hourly: number[];
  lots: LotCount[];
  /** Claimable codes whose expires_at falls within the next 24 hours / 7 days. */
  expiring_24h: number;
  expiring_7d: number;
  /** The soonest expiry among claimable codes, ISO, or null. */
  next_expiry: string | null;
}

export interface PartitionLag {
  partition: number;
  /** The group's committed offset, or null when it has committed nothing there. */
  committed: number | null;
  high: number;
  /** high − committed; with nothing committed, high − low (everything retained is unread). */
  lag: number;
}

export interface LagReport {
  group: string;
  topic: string;
  state: string;
  members: number;
  partitions: PartitionLag[];
  total: number;
}

export interface WorkerReport {
  url: string;
  up: boolean | null;
  processed: Record<string, number>;
  failures: number;
  retries: number;
  /** Lag per partition as the worker last saw it (its own gauge). */
  lag: Array<{ partition: number; lag: number }>;
}

/** A part read from a service other than the database: its failure is shown in its panel only. */
export type Side<T> = { ok: true; value: T } | { ok: false; error: string; last?: T };

export interface Snapshot {
  /** When this refresh started (ISO); every window ends here. */
  at: string;
  threshold: number;
  /** Soonest empty first, as `pool health` orders them. */
  pools: PoolHealth[];
  /** `metrics` over the last hour. */
  metrics: MetricsReport;
  /** Succeeded requests per minute over the last hour, oldest first (WINDOW_MINUTES entries). */
  throughputPerMinute: number[];
  /** Newest first. */
  latestFailures: LatestFailure[];
  /** Of the selected pool, or of the first one when none is selected; null without pools. */
  poolDetail: PoolDetail | null;
  /** Only when Kafka is configured. */
  lag?: Side<LagReport>;
  /** Only when the worker's metrics endpoint is given. */
  worker?: Side<WorkerReport>;
}

export interface DataSource {
  /** One refresh. Rejects when the database cannot be read; the caller keeps the last good one. */
  snapshot(selectedRewardId: string | null): Promise<Snapshot>;
  close(): Promise<void>;
}
