import { createHash } from 'node:crypto';
import { UsageError } from '../shared/errors.js';

// Why a deterministic batch id (docs/batch.md): each row's event id is derived from it, and the
// engine applies an event id at most once, so running the same file again, or resuming after a
// crash, finds every row already done and grants nothing twice.

/** What an operator may pass as --batch-id; no ':' since it separates the batch id from the line. */
const GIVEN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * `b-` and 16 hex characters (64 bits) of sha256(merchant id, file sha256). The merchant is in it
 * because event ids are unique across the database: the same file run for two merchants must
 * not collide.
 */
export function contentBatchId(merchantId: string, fileSha256: string): string {
  return 'b-' + createHash('sha256').update(`${merchantId.toLowerCase()}\n${fileSha256}`).digest('hex').slice(0, 16);
}

export function checkGivenBatchId(raw: string): string {
  if (!GIVEN_ID.test(raw)) {
    throw new UsageError(
      `--batch-id must be 1 to 64 letters, digits, '.', '_' or '-' (starting with a letter or digit), got ${JSON.stringify(raw)}`,
    );
  }
  return raw;
}

/** The event id of a row: readable, so `cancel --event b-…:17` and the API find it by line. */
export function rowEventId(batchId: string, line: number): string {
  return `${batchId}:${line}`;
}
