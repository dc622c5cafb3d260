import type { KafkaMessage } from 'kafkajs';
import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import type { RetryPolicy } from '../shared/retry.js';
import type { RedeemResult } from '../engine/types.js';
import type { DeadLetterPublisher } from './deadLetterPublisher.js';
import type { KeepTryingOptions } from './keepTrying.js';
import type { Origin, WorkerLog } from './workerLog.js';
import type { Outcome, RetryReason, WorkerMetrics } from './workerMetrics.js';

/** What the worker shares between messages. */
export interface HandlerDeps {
  db: Kysely<Schema>;
  dlq: DeadLetterPublisher;
  log: WorkerLog;
  metrics: WorkerMetrics;
  /** Aborted when the worker stops: ends every back-off at once. */
  signal: AbortSignal;
  /** Tries in all before a message that keeps raising a non-transient error is dead-lettered. */
  maxFailures: number;
  /** Failed dead-letter sends (transient ones; a permanent one ends at once) before the fallback. */
  deadLetterAttempts: number;
  policy?: RetryPolicy | undefined;
  /** Events of one partition in one transaction at most (1: each event alone, as before). */
  batchSize: number;
  /** A group takes no further event once its transaction has been open this long (ms). */
  batchMaxMs: number;
}

/** One message being handled, with its batch's liveness and heartbeat. */
export interface MessageScope {
  origin: Origin;
  message: KafkaMessage;
  /** False once the worker stops or the partition is no longer ours. */
  active(): boolean;
  heartbeat(): Promise<void>;
}

/** A message finished: its effect is committed in the database, or it is in the DLQ. */
export interface Processed extends Origin {
  outcome: Outcome;
  eventId?: string;
  errorCode: string | null;
  ms: number;
  result?: RedeemResult;
  /** Events committed in the same database transaction as this one (1: alone). */
  group?: number;
}

/** keepTrying's options for one message: count and log each retry under `what`. */
export function tryOptions(deps: HandlerDeps, scope: MessageScope, what: string, reasonOf: (error: unknown) => RetryReason): KeepTryingOptions {
  return {
    active: scope.active,
    heartbeat: scope.heartbeat,
    signal: deps.signal,
    maxFailures: deps.maxFailures,
    ...(deps.policy !== undefined && { policy: deps.policy }),
    onRetry: (info) => {
      deps.metrics.retries.inc({ reason: reasonOf(info.error) });
      deps.log.retrying(what, info, scope.origin);
    },
  };
}
