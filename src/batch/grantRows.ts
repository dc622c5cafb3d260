import { sortChunk, type BatchContext, type ReadyRow, type Sorted } from './context.js';
import { grantGroup, type GrantPass } from './grantGroup.js';
import { TaskPool } from './pool.js';
import { rereadChunks } from './reread.js';
import { engineResult, invalidRow, skippedRow, unknownKey } from './rowResult.js';
import { sameRequest } from './storedResults.js';

export type { GrantPass } from './grantGroup.js';

// The granting pass: every row with its own event id (batch id and line), up to `groupSize`
// consecutive rows per database transaction (src/batch/grantGroup.ts), at most `concurrency`
// groups at a time, source 'batch' and the batch id, so `cancel --batch` finds them. The engine
// applies an event id once, so a rerun or a resume grants nothing twice; rows an earlier run sent
// are reported from their stored results without calling it again.

/**
 * A slice of the file ends after this many rows even when it holds fewer than a group of rows to
 * send (a resume whose rows are all done): what is held between reading and reporting stays small.
 */
const MAX_SLICE_ROWS = 1_024;

/**
 * Grants the rows in file order. When `signal` aborts, no further group starts: the groups in
 * flight finish (each row is granted once or not at all) and are reported, and the pass ends with
 * `interrupted`. Rows read but not yet dispatched are left without an outcome, like the rows after
 * them, so the report stays the rows done, in order. A later run of the same file picks up the rest.
 */
export async function grantRows(ctx: BatchContext, signal?: AbortSignal): Promise<GrantPass> {
  const pass: GrantPass = { stoppedAtLine: null, interrupted: false };
  const pool = new TaskPool(ctx.concurrency);
  const skipWhy = () => `not run: line ${pass.stoppedAtLine} was refused and the batch is all-or-nothing`;
  let slice: SliceRow[] = [];
  let toSend = 0;
  const dispatch = async () => {
    const rows = slice;
    slice = [];
    toSend = 0;
    const group = reportUnsent(ctx, rows, pass, skipWhy);
    if (group.length > 0) await pool.run(() => grantGroup(ctx, group, pass, skipWhy));
  };
  try {
    reading: for await (const chunk of rereadChunks(ctx.file, ctx.mode, ctx.identity)) {
      if (signal?.aborted) break;
      for (const sorted of await sortChunk(ctx, chunk)) {
        // Rows are reported in file order: once one is left out, every later one is too.
        if (signal?.aborted) break reading;
        const send = 'ready' in sorted && !storedFor(sorted.ready);
        slice.push({ sorted, send });
        if (send) toSend++;
        if (toSend === ctx.groupSize || slice.length >= MAX_SLICE_ROWS) await dispatch();
      }
    }
    if (!signal?.aborted && slice.length > 0) await dispatch();
  } finally {
    // Whatever stopped the reading, the groups in flight finish (and are reported) first.
    await pool.drain().catch(() => {});
  }
  await pool.drain();
  pass.interrupted = signal?.aborted ?? false;
  return pass;
}

/** A row read and not yet dispatched; `send`: ready and not done by an earlier run (decided once, as it is read). */
interface SliceRow {
  sorted: Sorted;
  send: boolean;
}

/**
 * Reports the rows of a slice that are not sent (invalid, an unknown key, done by an earlier run,
 * or after an all-or-nothing refusal) and returns those to send, in file order.
 */
function reportUnsent(ctx: BatchContext, slice: readonly SliceRow[], pass: GrantPass, skipWhy: () => string): ReadyRow[] {
  const group: ReadyRow[] = [];
  for (const { sorted, send } of slice) {
    if ('invalid' in sorted) ctx.outcomes.add(invalidRow(sorted.invalid));
    else if ('unknown' in sorted) ctx.outcomes.add(unknownKey(sorted.unknown, sorted.missing));
    else if (!send) ctx.outcomes.add(engineResult(sorted.ready.row, sorted.ready.stored!.result));
    else if (pass.stoppedAtLine !== null) ctx.outcomes.add(skippedRow(sorted.ready.row, sorted.ready.eventId, skipWhy()));
    else group.push(sorted.ready);
  }
  return group;
}

function storedFor(ready: ReadyRow): boolean {
  const { row, userId, rewardId, stored } = ready;
  return stored !== undefined && sameRequest(stored, { userId, rewardId, quantity: row.quantity, mode: row.mode });
}
