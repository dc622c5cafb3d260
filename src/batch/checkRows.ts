import { rowEventId } from './batchId.js';
import { sortChunk, type BatchContext } from './context.js';
import type { GrantPlan } from './plan.js';
import { rereadChunks } from './reread.js';
import { engineResult, invalidRow, plannedRefusal, plannedRow, skippedRow, unknownKey } from './rowResult.js';
import { sameRequest } from './storedResults.js';
import type { RowResult } from './types.js';

// The pre-check pass of --dry-run and --all-or-nothing: every row's verdict, writing nothing.
// Rows an earlier run already sent keep their stored result; the others are judged by the plan.

export function isFailure(result: RowResult): boolean {
  return result.outcome === 'refused' || result.outcome === 'invalid';
}

/** Emits each row's verdict in file order; resolves to how many rows would fail. Stops early when `signal` aborts. */
export async function checkRows(ctx: BatchContext, plan: GrantPlan, emit: (result: RowResult) => void, signal?: AbortSignal): Promise<number> {
  let failures = 0;
  for await (const chunk of rereadChunks(ctx.file, ctx.mode, ctx.identity)) {
    // Interrupted: the caller sees signal.aborted and writes nothing.
    if (signal?.aborted) break;
    for (const sorted of await sortChunk(ctx, chunk)) {
      let result: RowResult;
      if ('invalid' in sorted) result = invalidRow(sorted.invalid);
      else if ('unknown' in sorted) result = unknownKey(sorted.unknown, sorted.missing);
      else {
        const { row, userId, rewardId, eventId, stored } = sorted.ready;
        const wanted = { userId, rewardId, quantity: row.quantity, mode: row.mode };
        if (stored && sameRequest(stored, wanted)) result = engineResult(row, stored.result);
        else if (stored) result = plannedRefusal(row, eventId, 'IDEMPOTENCY_CONFLICT', `Event ${eventId} was already used for a different request`);
        else {
          const verdict = plan.check(wanted);
          result = verdict.ok ? plannedRow(row, eventId, verdict.points) : plannedRefusal(row, eventId, verdict.code, verdict.message);
        }
      }
      if (isFailure(result)) failures++;
      emit(result);
    }
  }
  return failures;
}

/**
 * An all-or-nothing batch the pre-check refused: the failing rows with their reasons, rows an
 * earlier run granted as they are, and every other row `skipped`. Nothing is written.
 */
export async function reportRefusal(ctx: BatchContext, kept: Map<number, RowResult>, failures: number): Promise<void> {
  const why = `not granted: ${failures} row(s) of this all-or-nothing batch would fail`;
  for await (const chunk of rereadChunks(ctx.file, ctx.mode, ctx.identity)) {
    for (const row of chunk) {
      ctx.outcomes.add(kept.get(row.seq) ?? skippedRow(row, row.problem ? null : rowEventId(ctx.batchId, row.line), why));
    }
  }
}
