import type { RawConnection } from '../db/database.js';

export interface StageCounts {
  importable: number;
  invalid: number;
  duplicateInFile: number;
  duplicateInPool: number;
}

/**
 * Marks duplicates in the staging table, in SQL, so the work is the database's and Node holds
 * nothing per code. Within the file the first line of a code wins and later lines name it; then a
 * code already in the pool (promo codes are unique per merchant, whatever the reward) is a
 * duplicate in pool, and the batch that brought it in is kept for the re-import message.
 * `ownBatch`: the import's own batch, whose codes went into the pool while the file was read
 * (importPool.ts): they are not "already in the pool".
 */
export async function markDuplicates(conn: RawConnection, merchantId: string, ownBatch: string | null): Promise<void> {
  await conn.exec('analyze codes_stage');
  await conn.query(`
    update codes_stage s set kind = 'duplicate_in_file', first_line = d.first_line
    from (select code, min(line) as first_line from codes_stage where kind is null group by code having count(*) > 1) d
    where s.code = d.code and s.kind is null and s.line > d.first_line`);
  await conn.query(
    `update codes_stage s set kind = 'duplicate_in_pool', pool_reward = p.reward_id, pool_batch = p.import_batch_id
     from reward_promo_code p
     where p.merchant_id = $1::uuid and p.promo_code = s.code and s.kind is null
       and ($2::uuid is null or p.import_batch_id is distinct from $2::uuid)`,
    [merchantId, ownBatch],
  );
}

export async function countStage(conn: RawConnection): Promise<StageCounts> {
  const { rows } = await conn.query<{ kind: string | null; n: number }>(
    `select kind, count(*)::int as n from codes_stage group by kind`,
  );
  const n = (kind: string | null) => rows.find((r) => r.kind === kind)?.n ?? 0;
  return {
    importable: n(null),
    invalid: n('invalid'),
    duplicateInFile: n('duplicate_in_file'),
    duplicateInPool: n('duplicate_in_pool'),
  };
}

export interface EarlierBatch {
  id: string | null;
  created_at: Date | null;
  codes: number;
}

/** Which import batches hold the codes found already in the pool, oldest first (at most 3). */
export async function earlierBatches(conn: RawConnection): Promise<EarlierBatch[]> {
  const { rows } = await conn.query<EarlierBatch>(`
    select s.pool_batch as id, b.created_at, count(*)::int as codes
    from codes_stage s left join code_import_batches b on b.id = s.pool_batch
    where s.kind = 'duplicate_in_pool'
    group by s.pool_batch, b.created_at
    order by b.created_at nulls last
    limit 3`);
  return rows;
}
