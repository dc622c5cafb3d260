import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Schema } from '../db/schema.js';
import { shellQuote } from '../shared/shellQuote.js';
import { contentBatchId } from './batchId.js';
import { DEFAULT_HEARTBEAT_MS, MISSED_BEATS } from './batchRecord.js';

// `batch status`: every batch of the merchant with its counts, from the request records and
// ledger rows (source_type 'batch', source_id = the batch id) joined to grant_batches. Rows are
// file rows (one request each); redemptions are ledger rows (a pool grant of 3 writes 3).

export interface BatchStatus {
  batch_id: string;
  file_name: string | null;
  /**
   * running (its runner beats the heartbeat), completed, stopped, interrupted (a SIGINT or SIGTERM,
   * an error, or the runner gone: its heartbeat older than 4 beats; run the file again to resume);
   * unrecorded: ledger rows without a grant_batches row.
   */
  status: string;
  /** Why an interrupted batch stopped: SIGINT, SIGTERM, error, or 'runner gone' (killed, crashed, machine lost). */
  interrupted_by: string | null;
  /** Where its last run ran: "pid 1234 on host-a". */
  runner: string | null;
  heartbeat_at: Date | null;
  /** For an interrupted batch: the command that resumes it (rows already done are not granted twice). */
  resume: string | null;
  mode: string | null;
  actor: string | null;
  reason: string | null;
  runs: number | null;
  started_at: Date | null;
  finished_at: Date | null;
  /** Data rows in the file. */
  rows: number | null;
  granted: number;
  /** Refused by the engine, or naming a member or reward not found. */
  refused: number;
  invalid: number;
  /** Rows not yet sent: a run was interrupted or killed part-way. */
  pending: number | null;
  /** Live redemptions (ledger rows), their units and points. */
  redemptions: number;
  units: number;
  points: number;
  /** Redemptions cancelled since (cancel --batch, or one by one). */
  cancelled: number;
}

export interface BatchDetail extends BatchStatus {
  file_sha256: string | null;
  refusals: Array<{ error_code: string; rows: number }>;
  rewards: Array<{ reward_code: string; redemptions: number; units: number; points: number; cancelled: number }>;
}

export async function listBatches(db: Kysely<Schema>, merchantId: string, batchId?: string): Promise<BatchStatus[]> {
  const only = (column: string): RawBuilder<unknown> => (batchId === undefined ? sql`` : sql`and ${sql.ref(column)} = ${batchId}`);
  const { rows } = await sql<Omit<BatchStatus, 'resume'> & Pick<StoredRun, 'command' | 'runner_cwd' | 'all_or_nothing' | 'sha256'>>`
    with req as (
      select source_id as id, count(*) filter (where status = 'succeeded')::int as granted,
             count(*) filter (where status = 'failed')::int as refused, min(created_at) as first_at
      from redemption_requests where source_type = 'batch' and merchant_id = ${merchantId}::uuid ${only('source_id')}
      group by source_id
    ), led as (
      select source_id as id,
             count(*) filter (where success and cancelled_at is null)::int as redemptions,
             coalesce(sum(qty) filter (where success and cancelled_at is null), 0)::int as units,
             coalesce(sum(points_deducted) filter (where success and cancelled_at is null), 0)::bigint as points,
             count(*) filter (where success and cancelled_at is not null)::int as cancelled
      from reward_redemptions_ledger where source_type = 'batch' and merchant_id = ${merchantId}::uuid ${only('source_id')}
      group by source_id
    ), b as (
      select * from grant_batches where merchant_id = ${merchantId}::uuid ${only('id')}
    )
    select coalesce(b.id, req.id) as batch_id, b.file_name,
           case when b.status = 'running' and ${stale} then 'interrupted' else coalesce(b.status, 'unrecorded') end as status,
           case when b.status = 'running' and ${stale} then 'runner gone' else b.interrupted_by end as interrupted_by,
           case when b.runner_pid is not null then 'pid ' || b.runner_pid || ' on ' || b.runner_host end as runner,
           b.heartbeat_at, b.command, b.runner_cwd, b.all_or_nothing, b.file_sha256 as sha256, b.mode, b.actor,
           b.reason, b.runs, coalesce(b.started_at, req.first_at) as started_at, b.finished_at, b.rows_total as rows,
           coalesce(req.granted, 0) as granted, coalesce(req.refused, 0) + coalesce(b.rows_unknown, 0) as refused,
           coalesce(b.rows_invalid, 0) as invalid,
           case when b.id is not null then
             greatest(b.rows_total - coalesce(req.granted, 0) - coalesce(req.refused, 0) - b.rows_unknown - b.rows_invalid, 0) end as pending,
           coalesce(led.redemptions, 0) as redemptions, coalesce(led.units, 0) as units, coalesce(led.points, 0) as points,
           coalesce(led.cancelled, 0) as cancelled
    from b full join req on req.id = b.id
    left join led on led.id = coalesce(b.id, req.id)
    order by coalesce(b.started_at, req.first_at) desc, 1`.execute(db);
  return rows.map(({ command, runner_cwd, all_or_nothing, sha256, ...row }) => ({
    ...row,
    points: Number(row.points),
    resume: row.status === 'interrupted' ? resumeCommand({ ...row, command, runner_cwd, all_or_nothing, sha256 }, merchantId) : null,
  }));
}

/**
 * A run that stopped beating its heartbeat 4 beats ago is gone (SIGKILL, a crash, a lost machine).
 * Rows from before the heartbeat (sql/0012) count from their start.
 */
const stale = sql`coalesce(b.heartbeat_at, b.started_at) < now() - ${MISSED_BEATS} * coalesce(b.heartbeat_ms, ${DEFAULT_HEARTBEAT_MS}) * interval '1 millisecond'`;

interface StoredRun {
  batch_id: string;
  file_name: string | null;
  reason: string | null;
  mode: string | null;
  command: string | null;
  runner_cwd: string | null;
  all_or_nothing: boolean | null;
  sha256: string | null;
}

/**
 * How to resume: the recorded command line, in the folder it ran in; for a batch recorded before
 * commands were, the file's name with the batch's settings (--report is then not known).
 */
function resumeCommand(b: StoredRun, merchantId: string): string {
  const command =
    b.command ??
    [
      'redeemctl batch run',
      shellQuote(b.file_name ?? 'FILE.csv'),
      '--reason',
      shellQuote(b.reason ?? 'TEXT'),
      ...(b.mode === 'direct' ? ['--mode direct'] : []),
      ...(b.all_or_nothing ? ['--all-or-nothing'] : []),
      ...(b.sha256 && contentBatchId(merchantId, b.sha256) === b.batch_id ? [] : [`--batch-id ${shellQuote(b.batch_id)}`]),
    ].join(' ');
  return b.runner_cwd ? `cd ${shellQuote(b.runner_cwd)} && ${command}` : command;
}

export async function batchDetail(db: Kysely<Schema>, merchantId: string, batchId: string): Promise<BatchDetail | null> {
  const [status] = await listBatches(db, merchantId, batchId);
  if (!status) return null;
  const record = await sql<{ file_sha256: string; rows_unknown: number }>`
    select file_sha256, rows_unknown from grant_batches where id = ${batchId}`.execute(db);
  const refusals = await sql<{ error_code: string; rows: number }>`
    select coalesce(error_code, '?') as error_code, count(*)::int as rows from redemption_requests
    where source_type = 'batch' and source_id = ${batchId} and merchant_id = ${merchantId}::uuid and status = 'failed'
    group by 1 order by 2 desc, 1`.execute(db);
  const rewards = await sql<BatchDetail['rewards'][number]>`
    select m.reward_code, count(*) filter (where l.cancelled_at is null)::int as redemptions,
           coalesce(sum(l.qty) filter (where l.cancelled_at is null), 0)::int as units,
           coalesce(sum(l.points_deducted) filter (where l.cancelled_at is null), 0)::int as points,
           count(*) filter (where l.cancelled_at is not null)::int as cancelled
    from reward_redemptions_ledger l join reward_master m on m.id = l.reward_id
    where l.source_type = 'batch' and l.source_id = ${batchId} and l.merchant_id = ${merchantId}::uuid and l.success
    group by m.reward_code order by m.reward_code`.execute(db);
  // Rows naming a member or reward not found were refused before the engine: counted by the run.
  const unknown = record.rows[0]?.rows_unknown ?? 0;
  const refused = unknown > 0 ? [...refusals.rows, { error_code: 'USER_NOT_FOUND or REWARD_NOT_FOUND (not sent)', rows: unknown }] : refusals.rows;
  return { ...status, file_sha256: record.rows[0]?.file_sha256 ?? null, refusals: refused, rewards: rewards.rows };
}
