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

/** Cancel (refund) the rows a selector names; cancelling twice is a no-op success. */
export function cancel(db: Kysely<Schema>, request: CancelRequest): Promise<CancelResult> {
  return retrying(async () => {
    const { rows } = await sql<{ result: CancelResult }>`
      select cancel_redemptions(${request.merchantId}::uuid, ${request.by}, ${request.value},
        ${request.actor}, ${request.reason}, ${request.codes ?? 'release'},
        ${request.forceUsed ?? false}, ${request.dryRun ?? false}) as result`.execute(db);
    return rows[0]!.result;
  });
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
