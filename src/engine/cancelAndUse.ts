import { sql, type Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { retrying } from '../shared/retry.js';
import type { CancelResult, Selector, UseResult } from './types.js';

export interface CancelRequest {
  merchantId: string;
  by: Selector;
  value: string;
  actor: string;
  reason: string;
  codes?: 'release' | 'void';
  forceUsed?: boolean;
  dryRun?: boolean;
}

/**
 * Ledger rows one transaction cancels (docs/engine.md, "Cancel: chunks"): a larger selection is cancelled
 * in chunks of this many, each committed on its own, so no member wallet is held for long.
 */
export const CANCEL_CHUNK_ROWS = 500;

export interface CancelOptions {
  /** Rows per transaction (default CANCEL_CHUNK_ROWS). A dry run ignores it: it previews every row. */
  chunkRows?: number;
  /** Checked between chunks: once aborted, no further chunk starts and the result has `more: true`. */
  signal?: AbortSignal;
  /** After each committed chunk that leaves rows for another, with the result so far; awaited. */
  onChunk?: (soFar: CancelResult) => void | Promise<void>;
}

/**
 * Cancel (refund) the rows a selector names; cancelling twice is a no-op success. The rows are
 * cancelled in chunks, one transaction each, until none is left; a run stopped between chunks
 * (signal, crash, lost connection) is finished by running it again. The result covers every chunk.
 */
export async function cancel(db: Kysely<Schema>, request: CancelRequest, options: CancelOptions = {}): Promise<CancelResult> {
  if (request.dryRun) return cancelChunk(db, request, null);
  const limit = options.chunkRows ?? CANCEL_CHUNK_ROWS;
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`chunkRows must be a whole number of at least 1, not ${limit}`);
  let sum = await cancelChunk(db, request, limit);
  let chunks = 1;
  while (sum.success && sum.more) {
    await options.onChunk?.({ ...sum, chunks });
    if (options.signal?.aborted) break;
    const part = await cancelChunk(db, request, limit);
    if (part.success && part.cancelled === 0) {
      sum.more = part.more; // ALREADY_CANCELLED: a concurrent cancel took the rest
      break;
    }
    chunks += 1;
    sum = addChunk(sum, part);
  }
  return withChunks(sum, chunks, limit, request.codes ?? 'release');
}

/** One call of the SQL function: one transaction, at most `limit` rows (null: all of them). */
function cancelChunk(db: Kysely<Schema>, request: CancelRequest, limit: number | null): Promise<CancelResult> {
  return retrying(async () => {
    const { rows } = await sql<{ result: CancelResult }>`
      select cancel_redemptions(${request.merchantId}::uuid, ${request.by}, ${request.value},
        ${request.actor}, ${request.reason}, ${request.codes ?? 'release'},
        ${request.forceUsed ?? false}, ${request.dryRun ?? false}, ${limit}::int) as result`.execute(db);
    return rows[0]!.result;
  });
}

/**
 * The run so far plus one more chunk. A later chunk refused (a row marked used after the run
 * began) ends the run with that refusal; the chunks before it stay cancelled and are reported.
 */
function addChunk(sum: CancelResult, part: CancelResult): CancelResult {
  const rows = [...(sum.rows ?? []), ...(part.rows ?? [])];
  const done = {
    cancelled: sum.cancelled + part.cancelled,
    points_refunded: (sum.points_refunded ?? 0) + (part.points_refunded ?? 0),
    codes_affected: (sum.codes_affected ?? 0) + (part.codes_affected ?? 0),
    codes_released: (sum.codes_released ?? 0) + (part.codes_released ?? 0),
    codes_voided: (sum.codes_voided ?? 0) + (part.codes_voided ?? 0),
    rows,
  };
  if (!part.success) {
    return { ...part, ...done, already_cancelled: sum.already_cancelled, more: true,
      message: `${part.message}; the ${sum.cancelled} redemption(s) cancelled before it stay cancelled` };
  }
  return { ...sum, ...done, more: part.more };
}

/** The chunk count, and for a run of several chunks (or one stopped early) the message of the whole. */
function withChunks(sum: CancelResult, chunks: number, limit: number, codes: 'release' | 'void'): CancelResult {
  const result: CancelResult = { ...sum, chunks, more: sum.more ?? false };
  if (!result.success || result.info_code !== undefined || (chunks === 1 && !result.more)) return result;
  const rows = result.rows ?? [];
  const usedVoided = codes === 'release' ? rows.filter((r) => r.code === 'voided' && r.code_reason === 'used').length : 0;
  const released = rows.filter((r) => r.code === 'released').length;
  const voided = rows.filter((r) => r.code === 'voided').length - usedVoided;
  const notes = [
    ...(released > 0 ? [`${released} code(s) released`] : []),
    ...(voided > 0 ? [`${voided} code(s) voided`] : []),
    ...(usedVoided > 0 ? [`${usedVoided} used code(s) voided, not released`] : []),
    `in ${chunks} chunk${chunks === 1 ? '' : 's'} of at most ${limit}`,
  ];
  const left = result.more ? '; stopped with rows left: run it again to cancel the rest' : '';
  result.message = `Cancelled ${result.cancelled} redemption(s), refunding ${result.points_refunded ?? 0} points, ${notes.join(', ')}${left}`;
  return result;
}

export interface UseRequest {
  merchantId: string;
  by: 'redemption' | 'code';
  value: string;
  used: boolean;
  actor: string;
  note?: string;
}

/** Mark a redemption used, or take the mark back. */
export function setUsed(db: Kysely<Schema>, request: UseRequest): Promise<UseResult> {
  return retrying(async () => {
    const { rows } = await sql<{ result: UseResult }>`
      select set_redemption_used(${request.merchantId}::uuid, ${request.by}, ${request.value},
        ${request.used}, ${request.actor}, ${request.note ?? null}) as result`.execute(db);
    return rows[0]!.result;
  });
}
