import { sql, type Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';

/** Codes one call of rd_sweep_expired_codes retires: each call is one short transaction. */
export const SWEEP_BATCH = 5_000;

export interface SweepOptions {
  /** Codes per transaction (default SWEEP_BATCH). */
  batch?: number;
  /** Checked between batches: once aborted, no further batch starts. */
  signal?: AbortSignal;
}

/**
 * The expiry sweep (sql/0019_claim_cost.sql; docs/engine.md, "The claim floor and the expiry
 * sweep"): retires every available code past its expires_at, so it leaves the claim index and no
 * claim walks it again. A retired code keeps its status, `available`, and reads as expired
 * everywhere, as before (codes stats, export, pool health). Batch after batch, each in its own
 * transaction, until one comes back short. Returns how many codes it retired.
 */
export async function sweepExpiredCodes(db: Kysely<Schema>, options: SweepOptions = {}): Promise<number> {
  const batch = options.batch ?? SWEEP_BATCH;
  let total = 0;
  for (;;) {
    const { rows } = await sql<{ n: number }>`select rd_sweep_expired_codes(${batch}::int) as n`.execute(db);
    const retired = Number(rows[0]?.n ?? 0);
    total += retired;
    if (retired < batch || options.signal?.aborted) return total;
  }
}
