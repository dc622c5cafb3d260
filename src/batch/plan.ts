import type { QuoteResult } from '../engine/types.js';
import type { GrantMode } from './types.js';

// The pre-check of --all-or-nothing and --dry-run, without the database: walks the rows in file
// order against what quote_reward reported for each member x reward pair, and keeps running
// budgets, so rows that draw on the same balance, pool, stock or limit are counted together.
// The checks follow redeem_reward_with_points (sql/0003_redeem.sql): change them together.
//   both modes: member and reward active; pool codes (direct grants still draw codes)
//   calc only:  eligibility, window, price, limits, stock, points
// direct grants skip the limit and stock checks but still count their usage (docs/engine.md),
// so they lower the budgets later calc rows see.

export interface PlannedRow {
  userId: string;
  rewardId: string;
  quantity: number;
  mode: GrantMode;
}

export type Verdict = { ok: true; points: number } | { ok: false; code: string; message: string };

/** Blocks every mode: the engine checks these before it looks at the mode. */
const ANY_MODE_BLOCKERS = new Set(['USER_NOT_FOUND', 'REWARD_NOT_FOUND', 'USER_INACTIVE', 'REWARD_INACTIVE']);

export class GrantPlan {
  private readonly points = new Map<string, number>();
  private readonly limits = new Map<string, number>();
  private readonly stock = new Map<string, number>();
  private readonly codes = new Map<string, number>();
  private readonly initialCodes: ReadonlyMap<string, number>;

  /**
   * @param quoteFor the quote of a member x reward pair (quantity 1 is enough: budgets are kept here)
   * @param codesAvailable per pool reward, the available codes counted up to what the batch needs
   *   (quote_reward stops counting at 1,000)
   */
  constructor(
    private readonly quoteFor: (userId: string, rewardId: string) => QuoteResult,
    codesAvailable: Map<string, number>,
  ) {
    for (const [rewardId, n] of codesAvailable) this.codes.set(rewardId, n);
    this.initialCodes = new Map(codesAvailable);
  }

  /** The verdict for the next row in file order; a row that passes takes its share of the budgets. */
  check(row: PlannedRow): Verdict {
    const q = this.quoteFor(row.userId, row.rewardId);
    const calc = row.mode === 'calc';
    if (q.error_code && (calc || ANY_MODE_BLOCKERS.has(q.error_code))) {
      return { ok: false, code: q.error_code, message: q.message ?? q.error_code };
    }
    const limitKeys = (q.limits ?? []).map((l) => ({
      ...l,
      key: l.scope === 'user' ? `${row.userId}|${row.rewardId}|${l.unit}` : `${row.rewardId}|${l.unit}`,
    }));
    if (calc) {
      for (const l of limitKeys) {
        const remaining = this.budget(this.limits, l.key, l.remaining);
        if (row.quantity > remaining) {
          const used = l.limit - Math.max(remaining, 0);
          const message = `Limit exceeded: ${l.limit} per ${l.unit} (${l.scope} scope), used ${used}, remaining ${Math.max(remaining, 0)}, requested ${row.quantity}`;
          return fail('LIMIT_EXCEEDED', message, row.quantity <= l.remaining);
        }
      }
      if (q.stock_remaining !== null && q.stock_remaining !== undefined) {
        const left = Math.max(this.budget(this.stock, row.rewardId, q.stock_remaining), 0);
        if (row.quantity > left) {
          return fail('OUT_OF_STOCK', `Out of stock: ${left} left, you requested ${row.quantity}`, row.quantity <= q.stock_remaining);
        }
      }
    }
    if (this.codes.has(row.rewardId)) {
      const left = this.codes.get(row.rewardId)!;
      if (row.quantity > left) {
        return fail('INSUFFICIENT_CODES', `Only ${left} code(s) available, you requested ${row.quantity}`, row.quantity <= this.initialCodes.get(row.rewardId)!);
      }
    }
    const total = calc ? (q.points_per_unit ?? 0) * row.quantity : 0;
    const balance = this.budget(this.points, row.userId, q.balance ?? 0);
    if (calc && total > balance) {
      return fail('INSUFFICIENT_POINTS', `Insufficient points. Required: ${total}, Available: ${balance}`, total <= (q.balance ?? 0));
    }

    // Passed: take its share.
    for (const l of limitKeys) this.limits.set(l.key, this.budget(this.limits, l.key, l.remaining) - row.quantity);
    if (q.stock_remaining !== null && q.stock_remaining !== undefined) {
      this.stock.set(row.rewardId, this.budget(this.stock, row.rewardId, q.stock_remaining) - row.quantity);
    }
    if (this.codes.has(row.rewardId)) this.codes.set(row.rewardId, this.codes.get(row.rewardId)! - row.quantity);
    this.points.set(row.userId, balance - total);
    return { ok: true, points: total };
  }

  private budget(map: Map<string, number>, key: string, initial: number): number {
    return map.get(key) ?? initial;
  }
}

/** `shared`: the row alone would pass; earlier rows of the file took what it needed. */
function fail(code: string, message: string, shared = false): Verdict {
  return { ok: false, code, message: shared ? `${message} (after earlier rows of this file)` : message };
}
