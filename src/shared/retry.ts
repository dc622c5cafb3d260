import { isTransientError } from './errors.js';
import { sleep } from './sleep.js';

export interface RetryPolicy {
  /** Total tries, the first included. Infinity keeps going (the worker, while the database is away). */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 25, maxDelayMs: 2_000 };

export interface RetryOptions<T> {
  policy?: RetryPolicy;
  /** Which errors are worth another try (default: isTransientError, the database's transient failures). */
  retryError?: (error: unknown) => boolean;
  /** A result that is itself a transient refusal (CONCURRENT_CONFLICT) and worth another try. */
  retryResult?: (value: T) => boolean;
  onRetry?: (info: { attempt: number; delayMs: number; error?: unknown }) => void;
  signal?: AbortSignal;
}

/** Exponential back-off with full jitter in [delay/2, delay], capped. */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * Runs op until it succeeds, returns a final result, or fails with an error that is not
 * transient. A business refusal is a result, not an error, and is never retried; nor is a
 * programming error. When the tries run out, the last error is thrown as it was (its cause kept)
 * or the last result returned.
 */
export async function retrying<T>(op: (attempt: number) => Promise<T>, options: RetryOptions<T> = {}): Promise<T> {
  const policy = options.policy ?? DEFAULT_RETRY;
  for (let attempt = 1; ; attempt++) {
    let value: T;
    try {
      value = await op(attempt);
    } catch (error) {
      if (!(options.retryError ?? isTransientError)(error) || attempt >= policy.attempts || options.signal?.aborted) throw error;
      const delayMs = backoffDelay(attempt, policy);
      options.onRetry?.({ attempt, delayMs, error });
      await sleep(delayMs, options.signal);
      continue;
    }
    if (!options.retryResult?.(value) || attempt >= policy.attempts || options.signal?.aborted) return value;
    const delayMs = backoffDelay(attempt, policy);
    options.onRetry?.({ attempt, delayMs });
    await sleep(delayMs, options.signal);
  }
}
