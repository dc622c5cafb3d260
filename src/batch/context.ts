import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { rowEventId } from './batchId.js';
import type { Outcomes } from './outcomes.js';
import type { KeyResolver } from './resolveKeys.js';
import type { FileIdentity } from './reread.js';
import { storedRequests, type StoredRequest } from './storedResults.js';
import type { GrantMode, GrantRow } from './types.js';

/** What the passes over a batch share. */
export interface BatchContext {
  db: Kysely<Schema>;
  merchantId: string;
  batchId: string;
  file: string;
  identity: FileIdentity;
  mode: GrantMode;
  actor: string;
  reason: string;
  concurrency: number;
  /** Rows per database transaction while granting (1: each row its own, as redeem() does). */
  groupSize: number;
  allOrNothing: boolean;
  resolver: KeyResolver;
  outcomes: Outcomes;
}

/** A row ready for the engine: valid, with its member and reward found. */
export interface ReadyRow {
  row: GrantRow;
  userId: string;
  rewardId: string;
  eventId: string;
  stored: StoredRequest | undefined;
}

export type Sorted = { ready: ReadyRow } | { invalid: GrantRow } | { unknown: GrantRow; missing: 'member' | 'reward' };

/** Sorts a chunk of rows, with the stored results of those an earlier run already sent (one query). */
export async function sortChunk(ctx: BatchContext, rows: GrantRow[]): Promise<Sorted[]> {
  const sorted: Sorted[] = rows.map((row) => {
    if (row.problem) return { invalid: row };
    const userId = ctx.resolver.memberId(row);
    if (!userId) return { unknown: row, missing: 'member' };
    const rewardId = ctx.resolver.rewardId(row);
    if (!rewardId) return { unknown: row, missing: 'reward' };
    return { ready: { row, userId, rewardId, eventId: rowEventId(ctx.batchId, row.line), stored: undefined } };
  });
  const ready = sorted.flatMap((s) => ('ready' in s ? [s.ready] : []));
  const stored = await storedRequests(
    ctx.db,
    ctx.merchantId,
    ready.map((r) => r.eventId),
  );
  for (const r of ready) r.stored = stored.get(r.eventId);
  return sorted;
}
