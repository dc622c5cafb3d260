import type { RawConnection } from '../db/database.js';
import type { StageCounts } from './dedupe.js';
import type { PoolReward } from './poolReward.js';

export interface BatchFacts {
  merchantId: string;
  reward: PoolReward;
  lot: string | null;
  actor: string;
  fileName: string;
  sha256: string;
  rowsRead: number;
  counts: StageCounts;
}

/**
 * The import batch record, then every importable staged code in one INSERT … SELECT, so the
 * pool-count trigger (sql/0007) fires once. In line order: identity ids are the pool's claim
 * order (oldest first), so redemptions draw codes in file order. A date-only expiry holds through
 * that day in the merchant's zone: it ends at the next midnight there.
 *
 * This statement is most of an import's time: per row, five index entries, three foreign-key
 * checks (merchant, reward, batch) and the WAL (docs/codes.md, "Benchmark").
 */
// The batch columns come from sql/0008_code_import.sql: change them together.
export async function insertCodes(conn: RawConnection, f: BatchFacts): Promise<{ id: string; created_at: Date }> {
  const { rows } = await conn.query<{ id: string; created_at: Date }>(
    `insert into code_import_batches (merchant_id, reward_id, file_name, file_sha256, lot, rows_read, imported,
                                      duplicates_in_file, duplicates_in_pool, invalid, actor)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) returning id, created_at`,
    [f.merchantId, f.reward.id, f.fileName, f.sha256, f.lot, f.rowsRead, f.counts.importable, f.counts.duplicateInFile, f.counts.duplicateInPool, f.counts.invalid, f.actor],
  );
  const batch = rows[0]!;
  await conn.query(
    `insert into reward_promo_code (merchant_id, reward_id, promo_code, lot, partner, expires_at, import_batch_id)
     select $1::uuid, $2::uuid, code, lot, partner, coalesce(expires_at, (expires_date + 1)::timestamp at time zone $3), $4::uuid
     from codes_stage where kind is null order by line`,
    [f.merchantId, f.reward.id, f.reward.timeZone, batch.id],
  );
  return batch;
}
