import type { Database } from '../../db/database.js';
import { retrying } from '../../shared/retry.js';
import { ListenerSession, type LedgerNotice, type LedgerRow } from './listenerSession.js';
import { Subscribers, type LedgerFilter, type RowsHandler, type Subscriber } from './subscribers.js';

export type { LedgerRow } from './listenerSession.js';
export type { LedgerFilter, RowsHandler } from './subscribers.js';

export interface LedgerFeedOptions {
  /** Register for one merchant only (watch); the API's feed serves every merchant. */
  merchantId?: string | undefined;
  /** Expiry of the ledger_listeners row; a crashed process stops costing notifications after it. */
  ttlSeconds?: number;
  refreshMs?: number;
  catchUpMs?: number;
  /** Keep listening this long after the last subscriber left (clients that reconnect); 0 stops at once. */
  idleMs?: number;
  onError?: (message: string, error: unknown) => void;
}

/** Ledger ids remembered to drop duplicates (a catch-up read overlapping notifications). */
const SEEN_CAP = 10_000;

/**
 * Live ledger writes for any number of subscribers over one LISTEN connection. The database
 * notifies only while a listener is registered, so the feed registers when its first subscriber
 * arrives and unregisters when its last one leaves. Notices carry event_id, merchant_id and
 * user_id; rows are fetched by event_id (batched per tick) only for notices a subscriber wants.
 * Redemption and refusal rows are delivered; cancellations (updates) are not.
 */
export class LedgerFeed {
  private readonly subscribers = new Subscribers();
  private session: ListenerSession | undefined;
  private serial: Promise<unknown> = Promise.resolve();
  private pending = new Set<string>();
  /** A fetch is scheduled or running: one at a time, so rows reach subscribers in commit order. */
  private fetching = false;
  private readonly seen = new Set<string>();
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly options: Required<Omit<LedgerFeedOptions, 'merchantId'>> & { merchantId?: string | undefined };

  constructor(
    private readonly database: Database,
    options: LedgerFeedOptions = {},
  ) {
    this.options = { ttlSeconds: 30, refreshMs: 10_000, catchUpMs: 5_000, idleMs: 0, onError: () => {}, ...options };
  }

  /** Resolves once listening: every row committed after that is delivered. Returns the unsubscribe. */
  async subscribe(filter: LedgerFilter, onRows: RowsHandler): Promise<() => Promise<void>> {
    const subscriber: Subscriber = { filter, onRows };
    this.subscribers.add(subscriber);
    clearTimeout(this.idleTimer);
    try {
      await this.inTurn(() => this.ensureStarted());
    } catch (error) {
      this.subscribers.delete(subscriber);
      throw error;
    }
    let active = true;
    return async () => {
      if (!active) return;
      active = false;
      this.subscribers.delete(subscriber);
      if (this.subscribers.size > 0) return;
      if (this.options.idleMs <= 0) return void (await this.inTurn(() => this.stopIfIdle()));
      clearTimeout(this.idleTimer);
      const stop = () => this.inTurn(() => this.stopIfIdle()).catch((e) => this.options.onError('could not stop listening', e));
      this.idleTimer = setTimeout(stop, this.options.idleMs);
      this.idleTimer.unref();
    };
  }

  /** Drops every subscriber and removes the registration. */
  async close(): Promise<void> {
    this.subscribers.clear();
    clearTimeout(this.idleTimer);
    await this.inTurn(() => this.stopIfIdle());
  }

  /** Starts and stops run one at a time, in call order. */
  private inTurn<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.serial.then(fn, fn);
    this.serial = next.catch(() => {});
    return next;
  }

  private async ensureStarted(): Promise<void> {
    if (this.session || this.subscribers.size === 0) return;
    this.session = await ListenerSession.start(this.database, {
      merchantId: this.options.merchantId,
      ttlSeconds: this.options.ttlSeconds,
      refreshMs: this.options.refreshMs,
      catchUpMs: this.options.catchUpMs,
      onNotice: (notice) => this.onNotice(notice),
      onRows: (rows) => this.dispatch(rows),
      onError: this.options.onError,
    });
  }

  private async stopIfIdle(): Promise<void> {
    if (!this.session || this.subscribers.size > 0) return;
    const session = this.session;
    this.session = undefined;
    await session.stop();
  }

  private onNotice(notice: LedgerNotice): void {
    if (notice.kind !== 'redemption' || typeof notice.event_id !== 'string') return;
    if (!this.subscribers.wants(notice)) return;
    this.pending.add(notice.event_id);
    this.scheduleFetch();
  }

  private scheduleFetch(): void {
    if (this.fetching || this.pending.size === 0) return;
    this.fetching = true;
    setImmediate(() =>
      void this.fetch().finally(() => {
        this.fetching = false;
        this.scheduleFetch();
      }),
    );
  }

  /** The rows of every event notified since the last fetch, in one query. */
  private async fetch(): Promise<void> {
    const eventIds = [...this.pending];
    this.pending = new Set();
    try {
      const rows = await retrying(() =>
        this.database.db
          .selectFrom('reward_redemptions_ledger')
          .selectAll()
          .where('event_id', 'in', eventIds)
          .orderBy('created_at')
          .orderBy('promo_code_id')
          .orderBy('id')
          .execute(),
      );
      this.dispatch(rows);
    } catch (error) {
      this.options.onError(`could not read the ledger rows of ${eventIds.length} notified event(s)`, error);
    }
  }

  private dispatch(rows: LedgerRow[]): void {
    const fresh = rows.filter((row) => !this.seen.has(row.id));
    for (const row of fresh) {
      this.seen.add(row.id);
      if (this.seen.size > SEEN_CAP) this.seen.delete(this.seen.values().next().value!);
    }
    if (fresh.length > 0) this.subscribers.deliver(fresh, (error) => this.options.onError('a ledger subscriber failed', error));
  }
}
