import { redeem } from '../engine/redeem.js';
import { sortChunk, type BatchContext, type ReadyRow } from './context.js';
import { TaskPool } from './pool.js';
import { rereadChunks } from './reread.js';
import { engineResult, invalidRow, skippedRow, unknownKey } from './rowResult.js';
import { sameRequest } from './storedResults.js';

// The granting pass: every row through redeem() with its own event id (batch id and line), at
// most `concurrency` at a time, source 'batch' and the batch id, so `cancel --batch` finds them.
// The engine applies an event id once, so a rerun or a resume grants nothing twice; rows an
// earlier run sent are reported from their stored results without calling it again.

export interface GrantPass {
  /** An all-or-nothing run met a refusal while granting (the residual race of docs/batch.md). */
  stoppedAtLine: number | null;
  /** `signal` aborted (SIGINT, SIGTERM): no row started after it; the rows in flight finished. */
  interrupted: boolean;
}

/**
 * Grants the rows in file order. When `signal` aborts, no further row starts: the rows in flight
 * finish (each is one transaction in the engine: granted once or not at all) and are reported, and
 * the pass ends with `interrupted`. A later run of the same file picks up the rest.
 */
export async function grantRows(ctx: BatchContext, signal?: AbortSignal): Promise<GrantPass> {
  const pass: GrantPass = { stoppedAtLine: null, interrupted: false };
  const pool = new TaskPool(ctx.concurrency);
  const skipWhy = () => `not run: line ${pass.stoppedAtLine} was refused and the batch is all-or-nothing`;
  try {
    reading: for await (const chunk of rereadChunks(ctx.file, ctx.mode, ctx.identity)) {
      if (signal?.aborted) break;
      for (const sorted of await sortChunk(ctx, chunk)) {
        // Rows are reported in file order: once one is left out, every later one is too.
        if (signal?.aborted) break reading;
        if ('invalid' in sorted) ctx.outcomes.add(invalidRow(sorted.invalid));
        else if ('unknown' in sorted) ctx.outcomes.add(unknownKey(sorted.unknown, sorted.missing));
        else if (storedFor(sorted.ready)) ctx.outcomes.add(engineResult(sorted.ready.row, sorted.ready.stored!.result));
        else if (pass.stoppedAtLine !== null) ctx.outcomes.add(skippedRow(sorted.ready.row, sorted.ready.eventId, skipWhy()));
        else await pool.run(() => grantOne(ctx, sorted.ready, pass, skipWhy));
      }
    }
  } finally {
    // Whatever stopped the reading, the grants in flight finish (and are reported) first.
    await pool.drain().catch(() => {});
  }
  await pool.drain();
  pass.interrupted = signal?.aborted ?? false;
  return pass;
}

function storedFor(ready: ReadyRow): boolean {
  const { row, userId, rewardId, stored } = ready;
  return stored !== undefined && sameRequest(stored, { userId, rewardId, quantity: row.quantity, mode: row.mode });
}

async function grantOne(ctx: BatchContext, ready: ReadyRow, pass: GrantPass, skipWhy: () => string): Promise<void> {
  const { row } = ready;
  // Checked again here: the row may have waited for a slot while another was refused.
  if (pass.stoppedAtLine !== null) {
    ctx.outcomes.add(skippedRow(row, ready.eventId, skipWhy()));
    return;
  }
  const result = await redeem(ctx.db, {
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
  });
  ctx.outcomes.add(engineResult(row, result));
  if (!result.success && ctx.allOrNothing && pass.stoppedAtLine === null) pass.stoppedAtLine = row.line;
}
