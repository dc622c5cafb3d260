import type { RawConnection } from '../db/database.js';
import type { StageCounts } from './dedupe.js';
import type { PoolReward } from './poolReward.js';

export interface PoolTarget {
  merchantId: string;
  reward: PoolReward;
  batchId: string;
}

export interface BatchFacts {
  merchantId: string;
  reward: PoolReward;
  lot: string | null;
  actor: string;
  fileName: string;
}

export interface BatchCounts {
  sha256: string;
  rowsRead: number;
  counts: StageCounts;
}

/**
 * The import batch record, written before its codes (they name it); its counts are written by
 * finishBatch once the file is read. It is rolled back with the import when nothing is written.
 */
// The batch columns come from sql/0008_code_import.sql: change them together.
export async function insertBatch(conn: RawConnection, f: BatchFacts): Promise<{ id: string; created_at: Date }> {
  const { rows } = await conn.query<{ id: string; created_at: Date }>(
    `insert into code_import_batches (merchant_id, reward_id, file_name, lot, actor) values ($1, $2, $3, $4, $5) returning id, created_at`,
    [f.merchantId, f.reward.id, f.fileName, f.lot, f.actor],
  );
  return rows[0]!;
}

export async function finishBatch(conn: RawConnection, batchId: string, f: BatchCounts): Promise<void> {
  await conn.query(
    `update code_import_batches set file_sha256 = $2, rows_read = $3, imported = $4, duplicates_in_file = $5, duplicates_in_pool = $6, invalid = $7
     where id = $1`,
    [batchId, f.sha256, f.rowsRead, f.counts.importable, f.counts.duplicateInFile, f.counts.duplicateInPool, f.counts.invalid],
  );
}

const POOL_COLUMNS = 'merchant_id, reward_id, promo_code, lot, partner, expires_at, import_batch_id';

/**
 * The importable rows of `from` (the stage or one part of it) as pool rows, in line order:
 * identity ids are the pool's claim order (oldest first), so redemptions draw codes in file order.
 * A date-only expiry holds through that day in the merchant's zone: it ends at the next midnight
 * there. `careful` leaves out the codes the pool already holds (this import's earlier parts
 * included) and all but the first line of a code repeated within `from`.
 */
function poolRows(from: string, careful: boolean): string {
  const skipDuplicates = careful
    ? `and not exists (select 1 from reward_promo_code p where p.merchant_id = $1::uuid and p.promo_code = c.code)
       and not exists (select 1 from ${from} d where d.kind is null and d.code = c.code and d.line < c.line)`
    : '';
  return `select $1::uuid, $2::uuid, c.code, c.lot, c.partner, coalesce(c.expires_at, (c.expires_date + 1)::timestamp at time zone $3), $4::uuid
          from ${from} c where c.kind is null ${skipDuplicates} order by c.line`;
}

const params = (t: PoolTarget) => [t.merchantId, t.reward.id, t.reward.timeZone, t.batchId];

/**
 * Every importable code of the stage, duplicates already marked (dedupe.ts), in one INSERT …
 * SELECT, so the pool-count and claim-mark triggers fire once. The path of an import that asks
 * first (a terminal without --yes).
 */
export async function insertStaged(conn: RawConnection, target: PoolTarget): Promise<void> {
  await conn.query(`insert into reward_promo_code (${POOL_COLUMNS}) ${poolRows('codes_stage', false)}`, params(target));
}

/** A code the pool already holds: the merchant-unique index refused the row. */
function isDuplicateCode(error: unknown): boolean {
  const e = error as { code?: string; constraint?: string; message?: string };
  return e.code === '23505' && (e.constraint === 'reward_promo_code_unique' || /reward_promo_code_unique/.test(e.message ?? ''));
}

/**
 * One part of the stage into the pool; how many codes went in, and whether a duplicate showed up.
 * `optimistic`: a plain INSERT inside a savepoint, which costs nothing more than the table's own
 * work: the merchant-unique index finds any duplicate, in the pool or in the file, as it inserts.
 * On one, the part is rolled back to the savepoint and inserted `careful`ly, with the two
 * anti-joins that skip duplicates (about a third dearer: an extra probe of the unique index and a
 * hash of the part per row).
 */
export async function insertPart(
  conn: RawConnection,
  part: string,
  target: PoolTarget,
  how: { optimistic: boolean; valid: number },
): Promise<{ inserted: number; duplicates: boolean }> {
  if (how.optimistic) {
    await conn.exec('savepoint codes_part');
    try {
      await conn.query(`insert into reward_promo_code (${POOL_COLUMNS}) ${poolRows(part, false)}`, params(target));
      await conn.exec('release savepoint codes_part');
      return { inserted: how.valid, duplicates: false };
    } catch (error) {
      if (!isDuplicateCode(error)) throw error;
      await conn.exec('rollback to savepoint codes_part; release savepoint codes_part');
    }
  }
  const { rows } = await conn.query<{ n: number }>(
    `with added as (insert into reward_promo_code (${POOL_COLUMNS}) ${poolRows(part, true)} returning 1) select count(*)::int as n from added`,
    params(target),
  );
  const inserted = rows[0]!.n;
  return { inserted, duplicates: how.optimistic || inserted < how.valid };
}
