import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
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
    // the same member: it waits for the stuck send (a member's events never travel side by side)
    const queued = publisher.publish({ ...event(2), user_id: held.sends[0]!.events[0]!.user_id });
    await expect(stuck).rejects.toBeInstanceOf(PublishTimeoutError);
    await expect(queued).rejects.toBeInstanceOf(PublishTimeoutError);
    expect(publisher.state).toBe('down');
    held.sends[0]!.release();
    await flush();
    expect(held.sends).toHaveLength(1); // event 2 was dropped, not sent late
  });
});

describe('TrackedPublisher: several sends in flight, each member in order', () => {
  afterEach(() => {
    vi.useRealTimers();
  });
  const of = (member: string, n: number) => ({ ...event(n), user_id: member });
  const quantities = (held: HeldPublisher) => held.sends.map((s) => s.events.map((e) => e.quantity));

  it('while a send is in flight, other members wait up to lingerMs, then go in a send beside it', async () => {
    vi.useFakeTimers();
    const held = new HeldPublisher();
    const publisher = new TrackedPublisher(held, 5_000, { lingerMs: 2 });
    const first = publisher.publish(event(1));
    const second = [2, 3].map((n) => publisher.publish(event(n)));
    await vi.advanceTimersByTimeAsync(1);
    expect(quantities(held)).toEqual([[1]]);
    await vi.advanceTimersByTimeAsync(1);
    expect(quantities(held)).toEqual([[1], [2, 3]]);
    held.sends[1]!.release();
    await Promise.all(second); // answered before the first send, still in flight
    held.sends[0]!.release();
    await first;
  });

  it('an event of a member with an event in flight waits for that send to settle, past the linger and past its caller timing out', async () => {
    vi.useFakeTimers();
    const held = new HeldPublisher();
    const publisher = new TrackedPublisher(held, 1_000, { lingerMs: 2 });
    const member = crypto.randomUUID();
    const first = publisher.publish(of(member, 1));
    const firstAnswer = first.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(500);
    const later = publisher.publish(of(member, 2));
    const other = publisher.publish(event(3));
    await vi.advanceTimersByTimeAsync(10);
    expect(quantities(held)).toEqual([[1], [3]]);
    held.sends[1]!.release();
    await other;
    await vi.advanceTimersByTimeAsync(495);
    expect(await firstAnswer).toBeInstanceOf(PublishTimeoutError); // its caller heard 503…
    expect(quantities(held)).toEqual([[1], [3]]); // …but its send has not settled: event 2 still waits
    held.sends[0]!.release();
    await vi.advanceTimersByTimeAsync(0);
    expect(quantities(held)).toEqual([[1], [3], [2]]);
    held.sends[2]!.release();
    await later;
  });

  it('lingerEvents waiting events go at once; never more than maxInFlight sends', async () => {
    vi.useFakeTimers();
    const held = new HeldPublisher();
    const publisher = new TrackedPublisher(held, 5_000, { lingerEvents: 3, maxInFlight: 2 });
    const answers = [1, 2, 3, 4, 5, 6, 7].map((n) => publisher.publish(event(n)));
    await vi.advanceTimersByTimeAsync(0);
    expect(quantities(held)).toEqual([[1], [2, 3, 4]]);
    await vi.advanceTimersByTimeAsync(50);
    expect(held.sends).toHaveLength(2); // 5, 6 and 7 wait for a free slot
    held.sends[0]!.release();
    await vi.advanceTimersByTimeAsync(0);
    expect(quantities(held)).toEqual([[1], [2, 3, 4], [5, 6, 7]]);
    for (const s of held.sends.slice(1)) s.release();
    await Promise.all(answers);
  });

  it('random publishes, completions and failures (fast-check): no member in two sends at once, each member in order, every caller answered by its own send', async () => {
    vi.useFakeTimers();
    const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
    console.log(`publish.test.ts fast-check seed: ${seed} (rerun with FC_SEED=${seed})`);
    const members = ['a', 'b', 'c', 'd'].map(() => crypto.randomUUID());
    const step = fc.oneof(
      { arbitrary: fc.record({ kind: fc.constant('publish' as const), member: fc.integer({ min: 0, max: 3 }) }), weight: 4 },
      fc.record({ kind: fc.constant('settle' as const), pick: fc.nat(), ok: fc.boolean() }),
      fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 3 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 60 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 5 }), async (steps, maxInFlight, lingerEvents) => {
        const held = new HeldPublisher();
        const publisher = new TrackedPublisher(held, 60_000, { maxInFlight, lingerEvents, lingerMs: 2 });
        const open = new Set<number>(); // indexes of sends not yet settled
        const answers = new Map<number, 'ok' | 'failed'>(); // by event quantity (its number)
        const expected = new Map<number, 'ok' | 'failed'>();
        let n = 0;
        const check = () => {
          const inFlight = [...open].flatMap((i) => [...new Set(held.sends[i]!.events.map((e) => e.user_id))]);
          expect(new Set(inFlight).size, 'a member in two sends in flight').toBe(inFlight.length);
          expect(open.size).toBeLessThanOrEqual(maxInFlight);
        };
        for (const s of steps) {
          if (s.kind === 'publish') {
            const q = ++n;
            void publisher.publish(of(members[s.member]!, q)).then(
              () => answers.set(q, 'ok'),
              () => answers.set(q, 'failed'),
            );
          } else if (s.kind === 'settle' && open.size > 0) {
            const i = [...open][s.pick % open.size]!;
            open.delete(i);
            for (const e of held.sends[i]!.events) expected.set(e.quantity, s.ok ? 'ok' : 'failed');
            held.sends[i]!.release(s.ok ? undefined : new Error('broker gone'));
          } else if (s.kind === 'wait') await vi.advanceTimersByTimeAsync(s.ms);
          await vi.advanceTimersByTimeAsync(0);
          for (let i = 0; i < held.sends.length; i++) if (!expected.has(held.sends[i]!.events[0]!.quantity)) open.add(i);
          check();
        }
        // drain: settle everything still in flight, in order, until nothing is left
        while (open.size > 0) {
          const i = Math.min(...open);
          open.delete(i);
          for (const e of held.sends[i]!.events) expected.set(e.quantity, 'ok');
          held.sends[i]!.release();
          await vi.advanceTimersByTimeAsync(5);
          for (let j = 0; j < held.sends.length; j++) if (!expected.has(held.sends[j]!.events[0]!.quantity)) open.add(j);
          check();
        }
        const sent = held.sends.flatMap((x) => x.events);
        expect(sent.map((e) => e.quantity).sort((x, y) => x - y), 'every event sent once').toEqual(Array.from({ length: n }, (_, i) => i + 1));
        for (const member of members) {
          const order = sent.filter((e) => e.user_id === member).map((e) => e.quantity);
          expect(order, 'a member’s events in the order they were published').toEqual([...order].sort((x, y) => x - y));
        }
        expect(answers).toEqual(expected);
      }),
      { seed, numRuns: Number(process.env.FC_RUNS ?? 200), endOnFailure: true },
    );
  });
});
