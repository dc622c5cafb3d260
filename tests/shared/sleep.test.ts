import { afterEach, describe, expect, it, vi } from 'vitest';
import { sleep } from '../../src/shared/sleep.js';

// The one sleep (retries, the worker's back-off, Kafka admin retries, the data-folder lock poll):
// a shutdown must cut it short.

afterEach(() => {
  vi.useRealTimers();
});

describe('sleep', () => {
  it('resolves after the delay', async () => {
    vi.useFakeTimers();
    let done = false;
    const waiting = sleep(1_000).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await waiting;
    expect(done).toBe(true);
  });

  it.each([
    ['aborted while waiting', (controller: AbortController) => setTimeout(() => controller.abort(), 10)],
    ['already aborted', (controller: AbortController) => controller.abort()],
  ])('%s: resolves at once, never rejects, and leaves no timer behind', async (_name, abort) => {
    vi.useFakeTimers();
    const controller = new AbortController();
    abort(controller);
    const waiting = sleep(60_000, controller.signal);
    await vi.advanceTimersByTimeAsync(10);
    await expect(waiting).resolves.toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
  });
});
