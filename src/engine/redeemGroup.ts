import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { isTransientError, RedeemctlError } from '../shared/errors.js';
import { redeemOnce } from './redeem.js';
import type { RedeemRequest, RedeemResult } from './types.js';

// Many redemptions in one database transaction, one commit: the commit's cost (a WAL flush, a
// round trip) is shared by the group (docs/engine.md, "Groups: many requests in one transaction").
// Each request is still one call of redeem_reward_with_points with its own event id, so a group
// run again after a crash finds the requests that committed and returns their stored results.
//
// No savepoint per request: a refusal is a result the function wrote (its failure row), not an
// error, and CONCURRENT_CONFLICT writes nothing that a call on its own would not have committed
// too, so neither needs undoing. Only an error that is not transient (rare: misuse, a bug) would;
// then the whole transaction rolls back and the requests before it run again in a new one. The
// effect is the savepoints', without their two statements per request (savepoint and release
// cost about half of what the shared commit saves: docs/engine.md) and without one subtransaction
// per request (PostgreSQL caches 64 per backend; past that every snapshot pays for the group).
//
// Locks: a request's locks (its event id, the member's wallet, the shared counters) are held until
// the group commits, not until the request ends. Two groups can therefore wait on each other where
// two single requests could not (group 1 holds counter A and wants B, group 2 the reverse): one of
// them is the deadlock victim (40P01), a transient error, and the caller runs its requests again.

/** Why a group stopped before its last request (or `all`: every request has its result). */
export type GroupStop =
  | { kind: 'all' }
  /** The time bound passed: the requests from `results.length` on were not sent. */
  | { kind: 'time' }
  /** `continueAfter` said stop (an all-or-nothing batch met a refusal). */
  | { kind: 'halted' }
  /**
   * The request at `results.length` answered CONCURRENT_CONFLICT (codes others hold right now)
   * or raised an error that is not transient. It has no effect; the requests before it commit,
   * and the caller handles it alone (its own retries, or its dead letter).
   */
  | { kind: 'conflict'; result: RedeemResult }
  | { kind: 'error'; error: unknown };

export interface GroupResult {
  /** Committed results, one per request from the first, in order. */
  results: RedeemResult[];
  stop: GroupStop;
}

export interface GroupOptions {
  /**
   * No request starts once the transaction has been open this long (ms); the first always runs.
   * Bounds how long the group's locks are held and how long its first result waits for the commit.
   */
  maxMs?: number;
  /** Called as request `index` is sent (the worker logs "Processing event …"); awaited. */
  onStart?: (index: number) => void | Promise<void>;
  /** After each result: false ends the group there (the rest are not sent). */
  continueAfter?: (result: RedeemResult, index: number) => boolean;
}

/** A request raised an error that is not transient: thrown inside the transaction to roll it back. */
class RequestFailed extends RedeemctlError {
  constructor(
    readonly index: number,
    readonly error: unknown,
  ) {
    super('a request of the group failed');
  }
}

/**
 * Runs `requests` in order in one transaction and commits what ran. Throws, with the whole
 * transaction rolled back (nothing of the group took effect), on a transient error (a deadlock, a
 * lock or statement timeout, serialization, the connection lost, a failover): the caller runs the
 * requests again, alone or as a group. A commit that fails with the connection lost may or may not
 * have committed; running the requests again is safe either way (their event ids).
 */
export async function redeemGroup(db: Kysely<Schema>, requests: readonly RedeemRequest[], options: GroupOptions = {}): Promise<GroupResult> {
  // Event ids must be fixed before the first try: a group run again must find its own records.
  const fixed = requests.map((r) => (r.eventId === undefined ? { ...r, eventId: crypto.randomUUID() } : r));
  let failed: RequestFailed | undefined;
  let upTo = fixed.length;
  for (;;) {
    try {
      const ran = await inOneTransaction(db, fixed.slice(0, upTo), failed ? { ...options, maxMs: undefined } : options);
      return failed && ran.stop.kind === 'all' ? { results: ran.results, stop: { kind: 'error', error: failed.error } } : ran;
    } catch (error) {
      if (!(error instanceof RequestFailed)) throw error;
      // Rolled back: the requests before the failed one run again, without it (and without the
      // time bound: they fitted in it once already).
      if (error.index === 0) return { results: [], stop: { kind: 'error', error: error.error } };
      failed = error;
      upTo = error.index;
    }
  }
}

async function inOneTransaction(db: Kysely<Schema>, requests: readonly RedeemRequest[], options: GroupOptions): Promise<GroupResult> {
  return db.transaction().execute(async (trx) => {
    const started = performance.now();
    const results: RedeemResult[] = [];
    for (const [index, request] of requests.entries()) {
      if (index > 0 && options.maxMs !== undefined && performance.now() - started >= options.maxMs) return { results, stop: { kind: 'time' } };
      await options.onStart?.(index);
      let result: RedeemResult;
      try {
        result = await redeemOnce(trx, request);
      } catch (error) {
        if (isTransientError(error)) throw error;
        throw new RequestFailed(index, error);
      }
      if (result.error_code === 'CONCURRENT_CONFLICT') return { results, stop: { kind: 'conflict', result } };
      results.push(result);
      if (options.continueAfter && !options.continueAfter(result, index)) return { results, stop: { kind: 'halted' } };
    }
    return { results, stop: { kind: 'all' } };
  });
}
