import { describe, expect, it } from 'vitest';
import { PublishTimeoutError, TrackedPublisher, type Publisher } from '../../src/api/publish.js';
import { newEvent, type RedemptionEvent } from '../../src/kafka/redemptionEvent.js';

// The API's batching and time bound around EventPublisher, on a stand-in publisher whose sends
// complete when the test says (the real broker path is in post.test.ts and health.test.ts).

class HeldPublisher implements Publisher {
  readonly sends: Array<{ events: RedemptionEvent[]; release(error?: Error): void }> = [];
  publish(events: RedemptionEvent[]): Promise<void> {
    return new Promise((resolve, reject) => this.sends.push({ events, release: (error) => (error ? reject(error) : resolve()) }));
  }
}

const event = (n: number) => newEvent({ userId: crypto.randomUUID(), merchantId: crypto.randomUUID(), rewardId: crypto.randomUUID(), quantity: n });
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('TrackedPublisher', () => {
  it('sends at once when idle, and batches what arrives while a send is in flight, in order', async () => {
    const held = new HeldPublisher();
    const publisher = new TrackedPublisher(held, 5_000);
    const first = publisher.publish(event(1));
    const rest = [2, 3, 4].map((n) => publisher.publish(event(n)));
    await flush();
    expect(held.sends.map((s) => s.events.map((e) => e.quantity))).toEqual([[1]]);
    held.sends[0]!.release();
    await first;
    await flush();
    expect(held.sends.map((s) => s.events.map((e) => e.quantity))).toEqual([[1], [2, 3, 4]]);
    held.sends[1]!.release();
    await Promise.all(rest);
    expect(publisher.state).toBe('up');
  });

  it('a failed send rejects every event in it and reports kafka down until one succeeds', async () => {
    const held = new HeldPublisher();
    const publisher = new TrackedPublisher(held, 5_000);
    const failing = publisher.publish(event(1));
    await flush();
    held.sends[0]!.release(new Error('broker gone'));
    await expect(failing).rejects.toThrow('broker gone');
    expect(publisher.state).toBe('down');
    const next = publisher.publish(event(2));
    await flush();
    held.sends[1]!.release();
    await next;
    expect(publisher.state).toBe('up');
  });

  it('times out a stuck send, and an event still queued behind it is never sent after its timeout', async () => {
    const held = new HeldPublisher();
    const publisher = new TrackedPublisher(held, 50);
    const stuck = publisher.publish(event(1));
    const queued = publisher.publish(event(2));
    await expect(stuck).rejects.toBeInstanceOf(PublishTimeoutError);
    await expect(queued).rejects.toBeInstanceOf(PublishTimeoutError);
    expect(publisher.state).toBe('down');
    held.sends[0]!.release();
    await flush();
    expect(held.sends).toHaveLength(1); // event 2 was dropped, not sent late
  });
});
