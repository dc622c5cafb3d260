import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * How a message ended: the `outcome` label of redeemctl_worker_events_processed_total
 * (dead_letter_failed: the DLQ refused it, the fallback of src/worker/deadLetterMessage.ts ran).
 */
export type Outcome = 'succeeded' | 'refused' | 'idempotent' | 'dead_lettered' | 'dead_letter_failed';

/** Why the worker tried something again: the `reason` label of redeemctl_worker_retries_total. */
export type RetryReason = 'transient_error' | 'concurrent_conflict' | 'processing_error' | 'dlq_produce' | 'record_invalid_event';

export interface WorkerMetrics {
  processed: Counter<'outcome'>;
  failures: Counter<'error_code'>;
  retries: Counter<'reason'>;
  deadLetterFailures: Counter<'reason'>;
  processingSeconds: Histogram<never>;
  lag: Gauge<'topic' | 'partition'>;
  up: Gauge<never>;
}

/**
 * The worker's Prometheus metrics, registered on the given registry (one per worker, so two
 * workers in one process, as in the tests, do not collide).
 */
export function createWorkerMetrics(registry: Registry): WorkerMetrics {
  const registers = [registry];
  return {
    processed: new Counter({
      name: 'redeemctl_worker_events_processed_total',
      help: 'Kafka messages finished and committed, by outcome (succeeded, refused, idempotent, dead_lettered, dead_letter_failed)',
      labelNames: ['outcome'],
      registers,
    }),
    failures: new Counter({
      name: 'redeemctl_worker_failures_total',
      help: 'Messages that did not succeed, by error code (business refusals, INVALID_EVENT, PROCESSING_ERROR)',
      labelNames: ['error_code'],
      registers,
    }),
    retries: new Counter({
      name: 'redeemctl_worker_retries_total',
      help: 'Retries, by reason (transient_error: the database was unavailable; concurrent_conflict; processing_error; dlq_produce)',
      labelNames: ['reason'],
      registers,
    }),
    deadLetterFailures: new Counter({
      name: 'redeemctl_worker_dead_letter_failures_total',
      help: 'Messages the DLQ did not take (recorded in the database when they name an event id, logged, offset moved on), by reason: the broker error type (MESSAGE_TOO_LARGE, ...) or RETRIES_EXHAUSTED',
      labelNames: ['reason'],
      registers,
    }),
    processingSeconds: new Histogram({
      name: 'redeemctl_worker_processing_seconds',
      help: 'Time from taking a message to its database work committed, retries included',
      // docs/domain.md's target is under 500 ms per event; most take a few milliseconds.
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    lag: new Gauge({
      name: 'redeemctl_worker_consumer_lag',
      help: 'Messages behind the high watermark, per assigned partition (as of the last processed message)',
      labelNames: ['topic', 'partition'],
      registers,
    }),
    up: new Gauge({
      name: 'redeemctl_worker_up',
      help: '1 while the worker consumes, 0 once it stopped or crashed',
      registers,
    }),
  };
}
