import { describe, expect, it } from 'vitest';
import { DependencyError, UsageError } from '../../src/shared/errors.js';
import { backoffDelay, DEFAULT_RETRY, retrying, type RetryPolicy } from '../../src/shared/retry.js';

// src/shared/retry.ts: what is retried, how often, and what the caller gets when it gives up.
// A 1 ms policy keeps the real back-off out of the way; nothing here waits on a clock.

const FAST: RetryPolicy = { attempts: 4, baseDelayMs: 1, maxDelayMs: 1 };

function pgError(code: string, message = `pg error ${code}`): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

/** An op that throws the given errors in turn, then returns 'done'; counts its calls. */
function failing(...errors: unknown[]) {
  const op = async (attempt: number) => {
    op.calls.push(attempt);
    if (attempt <= errors.length) throw errors[attempt - 1];
    return 'done';
  };
  op.calls = [] as number[];
  return op;
}

describe('backoffDelay', () => {
  const policy: RetryPolicy = { attempts: 6, baseDelayMs: 25, maxDelayMs: 2_000 };

  it('doubles per attempt, from half the ceiling (random 0) to the ceiling (random 1)', () => {
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(a, policy, () => 0))).toEqual([13, 25, 50, 100, 200]);
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(a, policy, () => 1))).toEqual([25, 50, 100, 200, 400]);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(75);
  });

  it('never exceeds maxDelayMs, however many attempts', () => {
    expect(backoffDelay(7, policy, () => 1)).toBe(1_600);
    expect(backoffDelay(8, policy, () => 1)).toBe(2_000);
    expect(backoffDelay(50, policy, () => 1)).toBe(2_000);
    expect(backoffDelay(50, policy, () => 0)).toBe(1_000);
  });

  it('stays within [ceiling/2, ceiling] for any random value', () => {
    for (const r of [0, 0.1, 0.37, 0.5, 0.99, 1]) {
      const d = backoffDelay(4, DEFAULT_RETRY, () => r);
      expect(d).toBeGreaterThanOrEqual(100);
      expect(d).toBeLessThanOrEqual(200);
    }
  });
});

describe('retrying', () => {
  it.each([
    ['serialization failure 40001', pgError('40001')],
    ['deadlock 40P01', pgError('40P01')],
    ['connection failure 08006', pgError('08006')],
    ['ECONNREFUSED', pgError('ECONNREFUSED')],
    ['RD409 (lost the race for a shared counter)', pgError('RD409')],
    ['a bare pg Error: "Connection terminated unexpectedly"', new Error('Connection terminated unexpectedly')],
    ['a DependencyError (retriable)', new DependencyError('Kafka is away')],
  ])('retries %s and returns the eventual value', async (_, error) => {
    const op = failing(error, error);
    const retries: Array<{ attempt: number; error?: unknown }> = [];
    const value = await retrying(op, { policy: FAST, onRetry: (info) => retries.push({ attempt: info.attempt, error: info.error }) });
    expect(value).toBe('done');
    expect(op.calls).toEqual([1, 2, 3]);
    expect(retries).toEqual([
      { attempt: 1, error },
      { attempt: 2, error },
    ]);
  });

  it.each([
    ['TypeError', new TypeError('x is not a function')],
    ['RangeError', new RangeError('Invalid array length')],
    ['UsageError', new UsageError('--quantity must be a whole number')],
    ['unique violation 23505', pgError('23505')],
    ['misuse RD001', pgError('RD001')],
  ])('never retries a %s: thrown at once, the very same object', async (_, error) => {
    const op = failing(error);
    await expect(retrying(op, { policy: FAST })).rejects.toBe(error);
    expect(op.calls).toEqual([1]);
  });

  it('returns a business refusal as it is, without a second try', async () => {
    const refusal = { success: false, error_code: 'INSUFFICIENT_POINTS' };
    let calls = 0;
    const value = await retrying(async () => (calls++, refusal), { policy: FAST });
    expect(value).toBe(refusal);
    expect(calls).toBe(1);
  });

  it('retries a result when retryResult says so, until one is final', async () => {
    const results = [{ error_code: 'CONCURRENT_CONFLICT' }, { error_code: 'CONCURRENT_CONFLICT' }, { error_code: null }];
    let calls = 0;
    const retries: number[] = [];
    const value = await retrying(async () => results[calls++]!, {
      policy: FAST,
      retryResult: (r) => r.error_code === 'CONCURRENT_CONFLICT',
      onRetry: (info) => retries.push(info.attempt),
    });
    expect(value).toBe(results[2]);
    expect(calls).toBe(3);
    expect(retries).toEqual([1, 2]);
  });

  it('returns the last retryable result once the attempts are spent', async () => {
    let calls = 0;
    const value = await retrying(async () => ({ error_code: 'CONCURRENT_CONFLICT', call: ++calls }), {
      policy: FAST,
      retryResult: () => true,
    });
    expect(value).toEqual({ error_code: 'CONCURRENT_CONFLICT', call: 4 });
    expect(calls).toBe(FAST.attempts);
  });

  it('stops after policy.attempts and throws the last error with its identity and cause', async () => {
    const cause = new Error('socket hang up');
    const errors = [1, 2, 3, 4].map((n) => Object.assign(new Error(`try ${n}`, { cause }), { code: '40001' }));
    const op = failing(...errors, new Error('never reached'));
    const thrown = await retrying(op, { policy: FAST }).catch((e: unknown) => e);
    expect(thrown).toBe(errors[3]);
    expect((thrown as Error).cause).toBe(cause);
    expect(op.calls).toEqual([1, 2, 3, 4]);
  });

  it('with attempts 1 never retries', async () => {
    const error = pgError('40001');
    const op = failing(error);
    await expect(retrying(op, { policy: { ...FAST, attempts: 1 } })).rejects.toBe(error);
    expect(op.calls).toEqual([1]);
  });

  it('an aborted signal stops the retries: the current error is thrown', async () => {
    const controller = new AbortController();
    const error = pgError('57P01');
    const op = failing(error, error, error);
    const pending = retrying(op, {
      policy: { attempts: Infinity, baseDelayMs: 1, maxDelayMs: 1 },
      signal: controller.signal,
      onRetry: () => controller.abort(),
    });
    await expect(pending).rejects.toBe(error);
    expect(op.calls).toEqual([1, 2]);
  });
});
