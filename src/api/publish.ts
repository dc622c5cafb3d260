import type { RedemptionEvent } from '../kafka/redemptionEvent.js';
import { DependencyError } from '../shared/errors.js';

/** What the API needs of EventPublisher (src/kafka/publisher.ts): resolve once Kafka acked them all. */
export interface Publisher {
  publish(events: RedemptionEvent[]): Promise<void>;
}

export type KafkaState = 'up' | 'down';

/** Kafka did not acknowledge an event within the timeout: the dependency is down (exit 3, worth retrying). */
export class PublishTimeoutError extends DependencyError {}

/**
 * A request's event that Kafka did not take (it timed out or was refused), so nothing was queued:
 * 503 with Retry-After (src/api/errorStatus.ts). The dependency is down (exit 3, worth retrying).
 */
export class NotQueuedError extends DependencyError {}

interface Waiting {
  event: RedemptionEvent;
  settled: boolean;
  resolve(): void;
  reject(error: unknown): void;
}

export interface BatchingOptions {
  /** Events in one produce request at most; default 500. */
  maxBatch?: number;
  /** Produce requests in flight at once at most; default 4. */
  maxInFlight?: number;
  /**
   * While a send is in flight, how long an event may wait for it to finish before it goes in a
   * send of its own (default 2 ms)…
   */
  lingerMs?: number;
  /** …or how many events may wait (default 64). */
  lingerEvents?: number;
  /**
   * How long the first event waits when no send is in flight (default 0: it goes at once). Above
   * 0, a steady trickle of requests shares sends too, each request paying up to this much more.
   */
  idleLingerMs?: number;
}

/**
 * Gets each request's event acknowledged by Kafka (acks -1) in bounded time, for many requests at
 * once; each caller hears only when its own event was acknowledged (docs/api.md, "Batching").
 *
 * Batching: an idle publisher sends at once. While a send is in flight, new events wait for it
 * and go together in the next send as soon as it finishes; if it is slow, they go anyway after
 * `lingerMs` or once `lingerEvents` wait, in a send beside it, up to `maxInFlight` sends. A
 * produce request costs far more than an event in it (kafkajs's work and the socket write: 0.5 ms
 * of CPU per send against a few µs per event, docs/benchmarks.md), so a busy server amortises it,
 * while a slow send no longer holds up everything behind it.
 *
 * Order per member: two sends in flight never hold events of the same member (user_id, the
 * message key, hence one partition). An event whose member has an event in flight waits until
 * that send settled in kafkajs (acknowledged or failed after its retries, not merely timed out for
 * its caller), so a member's events reach the partition in the order they were accepted, even
 * though kafkajs, without its idempotent mode, may reorder sends that are retried.
 *
 * Timeout: kafkajs retries for tens of seconds against a broker that is down; the caller hears
 * 503 after `timeoutMs`. An event still queued then is dropped, so it is never published after
 * its 503; one already in flight may still land (docs/api.md: retry with an Idempotency-Key).
 */
export class TrackedPublisher {
  private last: KafkaState = 'up';
  private queue: Waiting[] = [];
  /** Every event whose caller still waits, queued or in flight. */
  private readonly waiting = new Set<Waiting>();
  private inFlight = 0;
  /** Members (user_id) with an event in a send that has not settled. */
  private readonly busyMembers = new Set<string>();
  private lingering: NodeJS.Timeout | undefined;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  private readonly lingerMs: number;
  private readonly lingerEvents: number;
  private readonly idleLingerMs: number;

  constructor(
    private readonly publisher: Publisher,
    private readonly timeoutMs: number,
    options: BatchingOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 500;
    this.maxInFlight = options.maxInFlight ?? 4;
    this.lingerMs = options.lingerMs ?? 2;
    this.lingerEvents = options.lingerEvents ?? 64;
    this.idleLingerMs = options.idleLingerMs ?? 0;
  }

  /** How the last produce request went: "up" until one fails. */
  get state(): KafkaState {
    return this.last;
  }

  publish(event: RedemptionEvent): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (entry.settled) return;
        entry.settled = true;
        this.waiting.delete(entry);
        this.queue = this.queue.filter((w) => w !== entry);
        this.last = 'down';
        reject(new PublishTimeoutError(`Kafka did not acknowledge within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      const settle = (fn: () => void) => {
        if (entry.settled) return;
        entry.settled = true;
        clearTimeout(timer);
        this.waiting.delete(entry);
        fn();
      };
      const entry: Waiting = {
        event,
        settled: false,
        resolve: () => settle(resolve),
        reject: (error) => settle(() => reject(error)),
      };
      this.queue.push(entry);
      this.waiting.add(entry);
      this.schedule(event.user_id);
    });
  }

  /**
   * The server is stopping: every caller still waiting hears now (its request answers 503). Queued
   * events are dropped, so never published after their 503; one already in flight may still land,
   * as after a timeout (docs/api.md: retry with an Idempotency-Key).
   */
  abandon(reason: string): void {
    this.queue = [];
    clearTimeout(this.lingering);
    this.lingering = undefined;
    for (const entry of [...this.waiting]) entry.reject(new NotQueuedError(`${reason}: not acknowledged by Kafka in time`));
  }

  /** An event was queued: send now when idle, else let it wait a little for the send in flight. */
  private schedule(member: string): void {
    const idle = this.inFlight === 0;
    if ((idle && this.idleLingerMs === 0) || (this.queue.length >= this.lingerEvents && !this.busyMembers.has(member))) this.flush();
    else this.lingering ??= setTimeout(() => this.flush(), idle ? this.idleLingerMs : this.lingerMs);
  }

  /** Sends what may go: events of members with nothing in flight, while fewer than maxInFlight sends are. */
  private flush(): void {
    clearTimeout(this.lingering);
    this.lingering = undefined;
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.takeBatch();
      if (batch.length === 0) return; // every queued event waits for its member's send
      this.send(batch);
    }
  }

  /** The queued events, in order, of members with no send in flight; the others keep their place. */
  private takeBatch(): Waiting[] {
    const batch: Waiting[] = [];
    const kept: Waiting[] = [];
    for (const entry of this.queue) {
      if (batch.length < this.maxBatch && !this.busyMembers.has(entry.event.user_id)) batch.push(entry);
      else kept.push(entry);
    }
    this.queue = kept;
    return batch;
  }

  private send(batch: Waiting[]): void {
    const members = new Set(batch.map((w) => w.event.user_id));
    for (const member of members) this.busyMembers.add(member);
    this.inFlight++;
    this.publisher
      .publish(batch.map((w) => w.event))
      .then(
        () => {
          this.last = 'up';
          for (const w of batch) w.resolve();
        },
        (error: unknown) => {
          this.last = 'down';
          for (const w of batch) w.reject(error);
        },
      )
      .finally(() => {
        this.inFlight--;
        for (const member of members) this.busyMembers.delete(member);
        // what waited for this send (or for its member) goes now
        if (this.queue.length > 0) this.flush();
      });
  }
}
