import { isTransientError } from '../shared/errors.js';
import { backoffDelay, type RetryPolicy } from '../shared/retry.js';
import { sleep } from '../shared/sleep.js';

/**
 * The worker's outer retry loop for one message. A transient failure (the database away, a
 * conflict that outlived redeem()'s own retries) is tried again for as long as the worker runs, so
 * the partition pauses instead of skipping; any other error is tried `maxFailures` times in all,
 * then reported so the caller can dead-letter the message. Between tries it heartbeats (a
 * rebalance error thrown by the heartbeat propagates: kafkajs rejoins and the message, not
 * resolved, is delivered again) and sleeps in slices no longer than one heartbeat interval.
 */
export const WORKER_RETRY: RetryPolicy = { attempts: Infinity, baseDelayMs: 100, maxDelayMs: 5_000 };

export interface KeepTryingOptions {
  /** False once the worker stops or the partition was taken away: give up without a result. */
  active: () => boolean;
  heartbeat: () => Promise<void>;
  signal: AbortSignal;
  /** Tries in all for a non-transient error. */
  maxFailures: number;
  /** Failed tries in all for a transient error (default: no bound; the dead-letter send has one). */
  maxTransientFailures?: number;
  policy?: RetryPolicy;
  isTransient?: (error: unknown) => boolean;
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown; transient: boolean }) => void;
  /** Longest sleep between heartbeats while waiting. */
  heartbeatEveryMs?: number;
}

export type Tried<T> = { status: 'done'; value: T } | { status: 'failed'; error: unknown; attempts: number } | { status: 'stopped' };

export async function keepTrying<T>(op: () => Promise<T>, options: KeepTryingOptions): Promise<Tried<T>> {
  const policy = options.policy ?? WORKER_RETRY;
  const isTransient = options.isTransient ?? isTransientError;
  let failures = 0;
  let transientFailures = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return { status: 'done', value: await op() };
    } catch (error) {
      if (!options.active()) return { status: 'stopped' };
      const transient = isTransient(error);
      if (!transient && ++failures >= options.maxFailures) return { status: 'failed', error, attempts: attempt };
      if (transient && ++transientFailures >= (options.maxTransientFailures ?? Infinity)) return { status: 'failed', error, attempts: attempt };
      // Cap the exponent: the delay is capped anyway, and 2 ** attempt must stay finite.
      const delayMs = backoffDelay(Math.min(attempt, 30), policy);
      options.onRetry?.({ attempt, delayMs, error, transient });
      await waitHeartbeating(delayMs, options);
      if (!options.active()) return { status: 'stopped' };
    }
  }
}

async function waitHeartbeating(delayMs: number, options: KeepTryingOptions): Promise<void> {
  const slice = options.heartbeatEveryMs ?? 1_000;
  const until = Date.now() + delayMs;
  for (;;) {
    await options.heartbeat();
    const left = until - Date.now();
    if (left <= 0 || options.signal.aborted) return;
    await sleep(Math.min(left, slice), options.signal);
  }
}
