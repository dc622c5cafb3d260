import { sql, type Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';

/**
 * Runs monitoring reads in one transaction with JIT off. Their cost estimates (a day of ledger
 * rows, percentiles over a window) pass jit_above_cost, and compiling took 120 ms of a 1.3 s
 * cold `pool health` on the benchmark's 5,000,000 codes, to speed up aggregates over a few
 * hundred thousand rows that finish in tens of milliseconds without it. `set local` ends with
 * the transaction; PGlite (no LLVM) accepts the setting and ignores it.
 */
export function withoutJit<T>(db: Kysely<Schema>, read: (trx: Kysely<Schema>) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`set local jit = off`.execute(trx);
    return read(trx);
  });
}
