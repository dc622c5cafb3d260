import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { done, refused, type Outcome } from '../shared/outcome.js';
import { batchDetail, listBatches, type BatchDetail, type BatchStatus } from './status.js';

// `batch status`: every batch of the merchant, or one in detail; an id that names none is exit 1.

/** What `batch status ID` answers for an id that names no batch of this merchant. */
export interface BatchNotFound {
  error_code: 'BATCH_NOT_FOUND';
  message: string;
}

export async function batchList(db: Kysely<Schema>, merchantId: string): Promise<Outcome<{ batches: BatchStatus[] }>> {
  return done({ batches: await listBatches(db, merchantId) });
}

export async function oneBatch(db: Kysely<Schema>, merchantId: string, batchId: string): Promise<Outcome<BatchDetail | BatchNotFound>> {
  const detail = await batchDetail(db, merchantId, batchId);
  return detail ? done(detail) : refused({ error_code: 'BATCH_NOT_FOUND', message: `No batch ${batchId}` });
}
