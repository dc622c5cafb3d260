import { basename } from 'node:path';
import type { Database, RawConnection } from '../db/database.js';
import { recordAudit } from '../db/audit.js';
import { UsageError } from '../shared/errors.js';
import { isUuid } from '../shared/uuid.js';
import { CodeCsv, inputSize } from './csvRows.js';
import type { PoolReward } from './poolReward.js';
import { createStage, stageRows } from './stage.js';
import { renderVoidMessage, type VoidPlan, type VoidResult } from './voidResult.js';

export type VoidBy = 'file' | 'lot' | 'batch';

export interface VoidRequest {
  merchantId: string;
  reward: PoolReward;
  by: VoidBy;
  value: string;
  reason: string;
  actor: string;
  dryRun: boolean;
  /** Asked once the plan is known, before anything changes; throws to stop. */
  confirm: (plan: VoidPlan) => Promise<void>;
}

// The codes a void matches: always within one reward of one merchant.
const MATCH: Record<VoidBy, string> = {
  lot: 'p.lot = $3',
  batch: 'p.import_batch_id = $3::uuid',
  file: 'p.promo_code in (select code from codes_stage where kind is null)',
};

/**
 * Voids the matching available codes (expired ones included). A redeemed code is held by a live
 * redemption (invariant 3 of docs/domain.md): it is never touched, only reported; cancel that
 * redemption with --codes void to retire it. One audit row records who and why.
 *
 * Ask first, then lock: the plan is read in a transaction of its own, ended before the question,
 * so nothing is held while the operator reads it (no snapshot, no lock, for as long as they take).
 * The void then runs in a second transaction that makes the plan again (the pool may have moved
 * meanwhile: the result counts what was voided then) and updates with a status re-check row by
 * row, so a code a redemption claims meanwhile is skipped, not voided.
 */
export async function voidCodes(database: Database, req: VoidRequest): Promise<VoidResult> {
  if (req.by === 'file') await inputSize(req.value);
  return database.withConnection(async (conn) => {
    const asked = await inTransaction(conn, 'rollback', () => planVoid(conn, req));
    if (req.dryRun || asked.available === 0) return voidResult(req, asked, 0);
    await req.confirm(asked);
    return inTransaction(conn, 'commit', async () => {
      const plan = await planVoid(conn, req);
      return voidResult(req, plan, plan.available > 0 ? await voidMatching(conn, req, plan) : 0);
    });
  });
}

async function inTransaction<T>(conn: RawConnection, end: 'commit' | 'rollback', work: () => Promise<T>): Promise<T> {
  await conn.exec('begin');
  try {
    const value = await work();
    await conn.exec(end);
    return value;
  } catch (error) {
    await conn.exec('rollback').catch(() => {});
    throw error;
  }
}

/** The update and its audit row; how many codes it voided. */
async function voidMatching(conn: RawConnection, req: VoidRequest, plan: VoidPlan): Promise<number> {
  const { rows } = await conn.query<{ n: number }>(
    `with v as (update reward_promo_code p set status = 'voided'
                where p.merchant_id = $1 and p.reward_id = $2 and ${MATCH[req.by]} and p.status = 'available' returning 1)
     select count(*)::int as n from v`,
    [req.merchantId, req.reward.id, ...(req.by === 'file' ? [] : [req.value])],
  );
  const voided = rows[0]!.n;
  if (voided === 0) return 0; // every code was claimed meanwhile: nothing changed, nothing to audit
  await recordAudit(conn, {
    merchantId: req.merchantId,
    actor: req.actor,
    action: 'codes_void',
    targetType: 'reward',
    targetId: req.reward.id,
    reason: req.reason,
    details: { by: req.by, value: req.value, voided, held: plan.held },
  });
  if (req.by === 'batch') await conn.query(`update code_import_batches set voided_at = coalesce(voided_at, now()) where id = $1`, [req.value]);
  return voided;
}

function voidResult(req: VoidRequest, plan: VoidPlan, voided: number): VoidResult {
  const result: VoidResult = { success: true, dry_run: req.dryRun, message: '', reward_code: req.reward.rewardCode, by: req.by, value: req.value, ...plan, voided };
  result.success = plan.matched > 0 && plan.held === 0 && plan.not_found === 0;
  result.message = renderVoidMessage(result);
  return result;
}

async function planVoid(conn: RawConnection, req: VoidRequest): Promise<VoidPlan> {
  const params: unknown[] = [req.merchantId, req.reward.id];
  let listed = 0;
  if (req.by === 'batch') {
    if (!isUuid(req.value)) throw new UsageError(`--import must be an import id (a uuid; see codes imports), got ${JSON.stringify(req.value)}`);
    const { rows } = await conn.query(`select 1 from code_import_batches where id = $1 and merchant_id = $2 and reward_id = $3`, [req.value, req.merchantId, req.reward.id]);
    if (rows.length === 0) throw new UsageError(`--import ${req.value}: no import of reward ${req.reward.rewardCode} has this id (see codes imports)`);
  }
  if (req.by === 'file') listed = await stageFile(conn, req.value);
  else params.push(req.value);
  const { rows } = await conn.query<{ status: string; n: number }>(
    `select p.status, count(*)::int as n from reward_promo_code p
     where p.merchant_id = $1 and p.reward_id = $2 and ${MATCH[req.by]} group by p.status`,
    params,
  );
  const n = (status: string) => rows.find((r) => r.status === status)?.n ?? 0;
  const matched = rows.reduce((sum, r) => sum + r.n, 0);
  const held = await conn.query<{ code: string; redemption_code: string | null }>(
    `select p.promo_code as code, l.code as redemption_code from reward_promo_code p
     left join reward_redemptions_ledger l on l.id = p.ledger_id
     where p.merchant_id = $1 and p.reward_id = $2 and ${MATCH[req.by]} and p.status = 'redeemed'
     order by p.id limit 10`,
    params,
  );
  return {
    matched,
    available: n('available'),
    held: n('redeemed'),
    already_voided: n('voided'),
    not_found: req.by === 'file' ? listed - matched : 0,
    held_codes: held.rows,
  };
}

/** --file: the codes to void, staged like an import; any invalid row stops the void (exit 2). */
async function stageFile(conn: RawConnection, path: string): Promise<number> {
  const csv = new CodeCsv(path, basename(path), { otherColumns: 'ignore' });
  await createStage(conn);
  await stageRows(conn, csv.rows());
  const invalid = await conn.query<{ line: number; problem: string; n: number }>(
    `select line, problem, count(*) over ()::int as n from codes_stage where kind is not null order by line limit 1`,
  );
  const first = invalid.rows[0];
  if (first) {
    throw new UsageError(`${basename(path)} line ${first.line}: ${first.problem}${first.n > 1 ? ` (and ${first.n - 1} more invalid rows)` : ''}: nothing voided`);
  }
  const { rows } = await conn.query<{ n: number }>(`select count(distinct code)::int as n from codes_stage`);
  const summary = { distinct_codes: rows[0]!.n };
  if (summary.distinct_codes === 0) throw new UsageError(`${basename(path)} lists no codes: nothing to void`);
  return summary.distinct_codes;
}
