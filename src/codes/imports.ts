import { sql, type Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';

// The imports of a code pool: one row per `codes import` run that wrote (table
// code_import_batches; "batch" is kept for grant runs elsewhere: docs/codes.md, "Imports").

export interface CodeImport {
  id: string;
  reward_code: string;
  file_name: string | null;
  sha256_prefix: string | null;
  lot: string | null;
  rows_read: number;
  imported: number;
  duplicates_in_file: number;
  duplicates_in_pool: number;
  invalid: number;
  actor: string | null;
  created_at: Date;
  voided_at: Date | null;
}

/** The imports of the merchant (or of one reward), newest first. */
export async function listImports(db: Kysely<Schema>, merchantId: string, rewardId: string | null, limit: number): Promise<CodeImport[]> {
  const { rows } = await sql<CodeImport>`
    select b.id, r.reward_code, b.file_name, left(b.file_sha256, 12) as sha256_prefix, b.lot,
           b.rows_read, b.imported, b.duplicates_in_file, b.duplicates_in_pool, b.invalid, b.actor, b.created_at, b.voided_at
    from code_import_batches b join reward_master r on r.id = b.reward_id
    where b.merchant_id = ${merchantId}::uuid and (${rewardId}::uuid is null or b.reward_id = ${rewardId}::uuid)
    order by b.created_at desc, b.id
    limit ${limit}`.execute(db);
  return rows.map((b) => ({
    ...b,
    rows_read: Number(b.rows_read),
    imported: Number(b.imported),
    duplicates_in_file: Number(b.duplicates_in_file),
    duplicates_in_pool: Number(b.duplicates_in_pool),
    invalid: Number(b.invalid),
  }));
}
