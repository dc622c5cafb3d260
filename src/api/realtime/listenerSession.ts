import { randomUUID } from 'node:crypto';
import { sql, type Selectable } from 'kysely';
import type { Database } from '../../db/database.js';
import type { LedgerTable } from '../../db/schema.js';

/** The channel sql/0003_redeem.sql (rd_notify_ledger) notifies on: change them together. */
export const LEDGER_CHANNEL = 'redeemctl_ledger';

/** A ledger row with its columns by name, as member apps read them (docs/domain.md). */
export type LedgerRow = Selectable<LedgerTable>;

/** What rd_notify_ledger sends; `kind` is 'redemption' for ledger inserts. */
export interface LedgerNotice {
  kind?: string;
  event_id?: string;
  merchant_id?: string;
  user_id?: string;
  listener?: string;
}

export interface SessionOptions {
  /** Register for one merchant (recorded in ledger_listeners) and catch up on its rows only. */
  merchantId?: string | undefined;
  ttlSeconds: number;
  refreshMs: number;
  /**
   * How far back a catch-up read looks: ledger created_at is its transaction's start, so a row
   * committed after the registration may carry an earlier time.
   */
  catchUpMs: number;
  onNotice(notice: LedgerNotice): void;
  onRows(rows: LedgerRow[]): void;
  onError(message: string, error: unknown): void;
}

/**
 * One LISTEN on the ledger channel plus its row in ledger_listeners, which makes the SQL functions
 * notify at all (0001_schema.sql: notifying costs throughput, so only while someone listens).
 * Order: LISTEN, read the recent ledger, register, read it again and deliver what is new, so a row
 * committed by a transaction that checked ledger_listeners just before the registration is still
 * delivered, and rows committed before the listener existed are not. Every refresh
 * extends the expiry and sends itself a ping; a ping that never came back means the LISTEN
 * connection died silently, and the session listens again and catches up.
 */
export class ListenerSession {
  readonly id = randomUUID();
  private unlisten: (() => Promise<void>) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private pingPending = false;
  private pingSentAt = new Date(0);
  /** Database time up to which the LISTEN is known to have worked: a catch-up starts there. */
  private confirmedAt = new Date(0);

  private constructor(
    private readonly database: Database,
    private readonly options: SessionOptions,
  ) {}

  static async start(database: Database, options: SessionOptions): Promise<ListenerSession> {
    const session = new ListenerSession(database, options);
    session.unlisten = await database.listen(LEDGER_CHANNEL, (payload) => session.onPayload(payload));
    try {
      await sql`delete from ledger_listeners where expires_at < now()`.execute(database.db);
      // Rows already visible before registering are history: only those committed after it (and
      // perhaps not notified, having checked ledger_listeners a moment too early) are caught up.
      const { rows } = await sql<{ now: Date }>`select now() as now`.execute(database.db);
      const from = new Date(new Date(rows[0]!.now).getTime() - options.catchUpMs);
      const history = new Set((await session.rowsSince(from)).map((row) => row.id));
      session.confirmedAt = await session.register();
      const fresh = (await session.rowsSince(from)).filter((row) => !history.has(row.id));
      if (fresh.length > 0) options.onRows(fresh);
    } catch (error) {
      await session.stop().catch(() => {});
      throw error;
    }
    session.timer = setInterval(() => {
      session.refreshing ??= session.refresh().finally(() => (session.refreshing = undefined));
    }, options.refreshMs);
    session.timer.unref();
    return session;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.refreshing;
    await this.dropListen();
    await sql`delete from ledger_listeners where id = ${this.id}::uuid`.execute(this.database.db);
  }

  private onPayload(payload: string): void {
    let notice: LedgerNotice;
    try {
      notice = JSON.parse(payload) as LedgerNotice;
    } catch {
      return;
    }
    if (notice.kind === 'ping') {
      if (notice.listener === this.id && this.pingPending) {
        this.pingPending = false;
        this.confirmedAt = this.pingSentAt;
      }
      return;
    }
    this.options.onNotice(notice);
  }

  /** Ends the LISTEN connection; one that died may never confirm its end, so this waits 1 s at most. */
  private async dropListen(): Promise<void> {
    const unlisten = this.unlisten;
    this.unlisten = undefined;
    if (!unlisten) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([unlisten().catch(() => {}), new Promise((resolve) => (timer = setTimeout(resolve, 1_000)))]);
    clearTimeout(timer);
  }

  /** Inserts or extends the registration; returns the database's now(). */
  private async register(): Promise<Date> {
    const { rows } = await sql<{ now: Date }>`
      insert into ledger_listeners (id, merchant_id, expires_at)
      values (${this.id}::uuid, ${this.options.merchantId ?? null}::uuid, now() + make_interval(secs => ${this.options.ttlSeconds}))
      on conflict (id) do update set expires_at = excluded.expires_at
      returning now() as now`.execute(this.database.db);
    return new Date(rows[0]!.now);
  }

  private async refresh(): Promise<void> {
    try {
      if (this.pingPending) await this.relisten();
      this.pingSentAt = await this.register();
      this.pingPending = true;
      await sql`select pg_notify(${LEDGER_CHANNEL}, ${JSON.stringify({ kind: 'ping', listener: this.id })})`.execute(this.database.db);
    } catch (error) {
      this.options.onError('could not refresh the ledger listener registration', error);
    }
  }

  private async relisten(): Promise<void> {
    this.options.onError('the ledger LISTEN connection stopped answering; listening again', undefined);
    await this.dropListen();
    this.unlisten = await this.database.listen(LEDGER_CHANNEL, (payload) => this.onPayload(payload));
    this.pingPending = false;
    const { rows } = await sql<{ now: Date }>`select now() as now`.execute(this.database.db);
    const missed = await this.rowsSince(new Date(this.confirmedAt.getTime() - this.options.catchUpMs));
    if (missed.length > 0) this.options.onRows(missed);
    this.confirmedAt = new Date(rows[0]!.now);
  }

  /** Ledger rows created since `from`, bounded by the (merchant_id, created_at) index per merchant. */
  private async rowsSince(from: Date): Promise<LedgerRow[]> {
    const merchants = this.options.merchantId ? sql`(select ${this.options.merchantId}::uuid as id)` : sql`merchants`;
    const { rows } = await sql<LedgerRow>`
      select l.* from ${merchants} m
      cross join lateral (
        select * from reward_redemptions_ledger r where r.merchant_id = m.id and r.created_at >= ${from}
      ) l
      order by l.created_at, l.promo_code_id, l.id`.execute(this.database.db);
    return rows;
  }
}
