import type { LedgerRow } from './listenerSession.js';

/** Which rows a subscriber gets: a merchant's, a member's, or (neither given) every row. */
export interface LedgerFilter {
  merchantId?: string | undefined;
  userId?: string | undefined;
}

export type RowsHandler = (rows: LedgerRow[]) => void;

export interface Subscriber {
  filter: LedgerFilter;
  onRows: RowsHandler;
}

type Owned = { merchant_id?: string | null; user_id?: string | null };

/**
 * The feed's subscribers, indexed by member: the API holds one per open stream, each for one
 * member, so a notice or a row finds its subscribers without scanning them all. Subscribers
 * without a member (watch without --user) are checked one by one.
 */
export class Subscribers {
  private readonly byUser = new Map<string, Set<Subscriber>>();
  private readonly wide = new Set<Subscriber>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(subscriber: Subscriber): void {
    const { userId } = subscriber.filter;
    if (userId === undefined) this.wide.add(subscriber);
    else this.byUser.set(userId, (this.byUser.get(userId) ?? new Set()).add(subscriber));
    this.count++;
  }

  delete(subscriber: Subscriber): void {
    const { userId } = subscriber.filter;
    const set = userId === undefined ? this.wide : this.byUser.get(userId);
    if (!set?.delete(subscriber)) return;
    if (userId !== undefined && set.size === 0) this.byUser.delete(userId);
    this.count--;
  }

  clear(): void {
    this.byUser.clear();
    this.wide.clear();
    this.count = 0;
  }

  /** Does anyone want the rows of this notice (or row)? */
  wants(owner: Owned): boolean {
    return this.candidates(owner).some((s) => matches(s.filter, owner));
  }

  /** Hands each subscriber its rows, in their order; a failing subscriber does not stop the others. */
  deliver(rows: LedgerRow[], onError: (error: unknown) => void): void {
    const batches = new Map<Subscriber, LedgerRow[]>();
    for (const row of rows) {
      for (const subscriber of this.candidates(row)) {
        if (!matches(subscriber.filter, row)) continue;
        const mine = batches.get(subscriber);
        if (mine) mine.push(row);
        else batches.set(subscriber, [row]);
      }
    }
    for (const [subscriber, mine] of batches) {
      try {
        subscriber.onRows(mine);
      } catch (error) {
        onError(error);
      }
    }
  }

  private candidates(owner: Owned): Subscriber[] {
    const own = owner.user_id ? this.byUser.get(owner.user_id) : undefined;
    return own ? [...own, ...this.wide] : [...this.wide];
  }
}

function matches(filter: LedgerFilter, owner: Owned): boolean {
  return (
    (filter.merchantId === undefined || filter.merchantId === owner.merchant_id) &&
    (filter.userId === undefined || filter.userId === owner.user_id)
  );
}
