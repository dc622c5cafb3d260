import { redeem } from '../engine/redeem.js';
import { redeemGroup, type GroupResult } from '../engine/redeemGroup.js';
import type { RedeemRequest, RedeemResult } from '../engine/types.js';
import { retrying, DEFAULT_RETRY } from '../shared/retry.js';
import type { BatchContext, ReadyRow } from './context.js';
import { engineResult, skippedRow } from './rowResult.js';

// One concurrency slot's work: consecutive rows granted in one database transaction through
// redeemGroup (docs/batch.md, "Groups"), each row still one call of redeem_reward_with_points with
// its own event id, so what a group committed is found again by a rerun and never applied twice.

/** Rows a slot sends in one transaction unless --group-size says otherwise. */
export const DEFAULT_GROUP_SIZE = 50;

/**
 * No row of a group starts once its transaction has been open this long. The worker uses 10 ms
 * (an event's latency matters there); a batch is after throughput, and at 50 ms the commit is
 * already shared by tens of rows while a live redemption of the same member or reward waits at
 * most about this long behind a group's locks (docs/batch.md, "Groups").
 */
export const GROUP_MAX_MS = 50;

/**
 * A group's rows by member id, each member's rows still in file order (the sort is stable). A
 * row's member wallet stays locked until its group commits, so two groups in flight that met the
 * same two members in opposite orders waited on each other until PostgreSQL's deadlock timeout
 * (1 s) and one was rolled back and run again: measured on 20,000 rows over 2,000 members, 18
 * deadlocks and 615 rows/s with groups of 50 against 885 one row at a time. Taken in one order by
 * every group, the wallets can only make a group wait for another's commit, never both for each
 * other (the engine's lock order, docs/engine.md, puts wallets before the counters). With one
 * group at a time nothing runs beside it, and file order is kept.
 */
function inMemberOrder(rows: readonly ReadyRow[]): ReadyRow[] {
  return [...rows].sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
}

/** Shared by the slots of one pass: where an all-or-nothing run met a refusal. */
export interface GrantPass {
  /** An all-or-nothing run met a refusal while granting (the residual race of docs/batch.md). */
  stoppedAtLine: number | null;
  /** `signal` aborted (SIGINT, SIGTERM): no group started after it; the groups in flight finished. */
  interrupted: boolean;
}

function requestOf(ctx: BatchContext, ready: ReadyRow): RedeemRequest {
  const { row } = ready;
  return {
    merchantId: ctx.merchantId,
    userId: ready.userId,
    rewardId: ready.rewardId,
    quantity: row.quantity,
    mode: row.mode,
    eventId: ready.eventId,
    sourceType: 'batch',
    sourceId: ctx.batchId,
    actor: ctx.actor,
    reason: row.note ? `${ctx.reason}: ${row.note}` : ctx.reason,
  };
}

/** Reports a row's result and, for an all-or-nothing run, notes the first refusal. */
function settle(ctx: BatchContext, ready: ReadyRow, result: RedeemResult, pass: GrantPass): void {
  ctx.outcomes.add(engineResult(ready.row, result));
  if (!result.success && ctx.allOrNothing && pass.stoppedAtLine === null) pass.stoppedAtLine = ready.row.line;
}

/** One row alone, through redeem() and its retry policy (transient errors, CONCURRENT_CONFLICT). */
async function grantOne(ctx: BatchContext, ready: ReadyRow, pass: GrantPass): Promise<void> {
  settle(ctx, ready, await redeem(ctx.db, requestOf(ctx, ready)), pass);
}

/**
 * The rows in one transaction. A transient error (a deadlock between two groups, a lock timeout,
 * the connection lost) rolled the whole group back, so nothing of it took effect: it is run again
 * with back-off, the same event ids making a commit that did happen before a lost answer harmless.
 * When the tries run out the error is thrown, as redeem() throws it for a single row.
 */
function sendGroup(ctx: BatchContext, rows: readonly ReadyRow[], pass: GrantPass): Promise<GroupResult> {
  const requests = rows.map((ready) => requestOf(ctx, ready));
  return retrying(
    () =>
      redeemGroup(ctx.db, requests, {
        maxMs: GROUP_MAX_MS,
        // Stop at this group's refusal, or at another slot's: the rest are reported skipped.
        continueAfter: (result) => !(ctx.allOrNothing && !result.success) && pass.stoppedAtLine === null,
      }),
    { policy: DEFAULT_RETRY },
  );
}

/**
 * Grants `rows` (consecutive, in file order) and reports every one of them: granted or refused
 * in a group, or alone after a group stopped at it, or skipped once an all-or-nothing run has
 * stopped. A group cut short by its time bound goes on with the rest in a new transaction; the
 * slot ends only when every row has an outcome, so a signal never leaves half a group unreported.
 */
export async function grantGroup(ctx: BatchContext, rows: readonly ReadyRow[], pass: GrantPass, skipWhy: () => string): Promise<void> {
  let rest = ctx.concurrency > 1 ? inMemberOrder(rows) : rows;
  while (rest.length > 0) {
    // Checked before every transaction: another slot may have met a refusal meanwhile.
    if (pass.stoppedAtLine !== null) {
      for (const ready of rest) ctx.outcomes.add(skippedRow(ready.row, ready.eventId, skipWhy()));
      return;
    }
    if (rest.length === 1) {
      await grantOne(ctx, rest[0]!, pass);
      return;
    }
    const ran = await sendGroup(ctx, rest, pass);
    ran.results.forEach((result, index) => settle(ctx, rest[index]!, result, pass));
    rest = rest.slice(ran.results.length);
    const stop = ran.stop.kind;
    if (stop === 'conflict' || stop === 'error') {
      // That row had no effect: alone, with its retries (an error that is not transient is
      // thrown again there and ends the run, as it does for a row sent alone).
      await grantOne(ctx, rest[0]!, pass);
      rest = rest.slice(1);
    }
  }
}
