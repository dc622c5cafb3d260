import { hostname } from 'node:os';
import { sql, type Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { recordAudit } from '../db/audit.js';
import { UsageError } from '../shared/errors.js';
import type { GrantMode } from './types.js';

// The grant_batches row of a batch (sql/0009_batches.sql, sql/0012_batch_interrupts.sql): written
// when a run starts granting (never by --dry-run, nor by an all-or-nothing run its pre-check
// refuses), beaten every heartbeat_ms while it grants, marked when it ends or is interrupted.

export interface BatchRecord {
  id: string;
  merchant_id: string;
  file_name: string;
  file_sha256: string;
  rows_total: number;
  rows_invalid: number;
  rows_unknown: number;
  mode: GrantMode;
  all_or_nothing: boolean;
  actor: string;
  reason: string;
  status: 'running' | 'completed' | 'stopped' | 'interrupted';
  runs: number;
  started_at: Date;
  finished_at: Date | null;
  interrupted_by: string | null;
  runner_host: string | null;
  runner_pid: number | null;
  runner_cwd: string | null;
  command: string | null;
  heartbeat_ms: number | null;
  heartbeat_at: Date | null;
}

/** How often a run beats its heartbeat by default; `batch status` calls it gone after 4 missed beats. */
export const DEFAULT_HEARTBEAT_MS = 5_000;
export const MISSED_BEATS = 4;

/** Who runs it: written with every start, so `batch status` can say where it ran and how to run it again. */
export interface Runner {
  /** The command line to run it again, as typed (a password hidden). */
  command: string | null;
  heartbeatMs: number;
}

export type NewBatch = Pick<
  BatchRecord,
  'id' | 'merchant_id' | 'file_name' | 'file_sha256' | 'rows_total' | 'rows_invalid' | 'rows_unknown' | 'mode' | 'all_or_nothing' | 'actor' | 'reason'
>;

export async function readBatch(db: Kysely<Schema>, id: string): Promise<BatchRecord | null> {
  const { rows } = await sql<BatchRecord>`select * from grant_batches where id = ${id}`.execute(db);
  return rows[0] ?? null;
}

/**
 * A batch id names one file for one merchant: rerunning it with another file or another --mode
 * would make every row an IDEMPOTENCY_CONFLICT, so it is refused up front, before anything is sent.
 */
export function checkReuse(existing: BatchRecord | null, wanted: Pick<NewBatch, 'id' | 'merchant_id' | 'file_sha256' | 'mode'>): void {
  if (!existing) return;
  if (existing.merchant_id !== wanted.merchant_id) {
    throw new UsageError(`Batch id ${wanted.id} is already in use; choose another --batch-id`);
  }
  if (existing.file_sha256 !== wanted.file_sha256) {
    throw new UsageError(
      `Batch ${wanted.id} was run from a different file (${existing.file_name}, sha256 ${existing.file_sha256.slice(0, 12)}…); ` +
        'rerun that file to resume it, or give this file its own --batch-id',
    );
  }
  if (existing.mode !== wanted.mode) {
    throw new UsageError(`Batch ${wanted.id} was run with --mode ${existing.mode}; rerun it with --mode ${existing.mode}`);
  }
}

/** Records the start of a run (the first, or a resume) and audits who ran it and why. */
export async function startBatch(db: Kysely<Schema>, batch: NewBatch, runner: Runner = { command: null, heartbeatMs: DEFAULT_HEARTBEAT_MS }): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const { rows } = await sql<{ runs: number }>`
      insert into grant_batches as b (id, merchant_id, file_name, file_sha256, rows_total, rows_invalid, rows_unknown,
                                      mode, all_or_nothing, actor, reason,
                                      runner_host, runner_pid, runner_cwd, command, heartbeat_ms, heartbeat_at)
      values (${batch.id}, ${batch.merchant_id}::uuid, ${batch.file_name}, ${batch.file_sha256}, ${batch.rows_total},
              ${batch.rows_invalid}, ${batch.rows_unknown}, ${batch.mode}, ${batch.all_or_nothing}, ${batch.actor}, ${batch.reason},
              ${hostname()}, ${process.pid}, ${process.cwd()}, ${runner.command}, ${runner.heartbeatMs}, now())
      on conflict (id) do update set runs = b.runs + 1, status = 'running', finished_at = null, interrupted_by = null,
        rows_unknown = excluded.rows_unknown, all_or_nothing = excluded.all_or_nothing,
        runner_host = excluded.runner_host, runner_pid = excluded.runner_pid, runner_cwd = excluded.runner_cwd,
        command = coalesce(excluded.command, b.command), heartbeat_ms = excluded.heartbeat_ms, heartbeat_at = now()
      returning runs`.execute(trx);
    const runs = rows[0]!.runs;
    await recordAudit(trx, {
      merchantId: batch.merchant_id,
      actor: batch.actor,
      action: 'batch_run',
      targetType: 'batch',
      targetId: batch.id,
      reason: batch.reason,
      details: { file: batch.file_name, sha256: batch.file_sha256, rows: batch.rows_total, mode: batch.mode, all_or_nothing: batch.all_or_nothing, run: runs },
    });
    return runs;
  });
}

/**
 * Marks the end of a run: completed, stopped (all-or-nothing), or interrupted (by SIGINT or
 * SIGTERM, or 'error' when the run failed part-way). finished_at is when it ended, however.
 */
export async function finishBatch(
  db: Kysely<Schema>,
  id: string,
  status: 'completed' | 'stopped' | 'interrupted',
  interruptedBy: string | null = null,
): Promise<void> {
  await sql`update grant_batches set status = ${status}, finished_at = now(), heartbeat_at = now(), interrupted_by = ${interruptedBy}
            where id = ${id}`.execute(db);
}

/**
 * Beats the heartbeat every `ms` until the returned stop() (which waits for a beat in flight). A
 * timer that does not keep the process alive; a failed beat is skipped (the run reports a lost database).
 */
export function beatHeartbeat(db: Kysely<Schema>, id: string, ms: number): () => Promise<void> {
  let beating: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    beating = sql`update grant_batches set heartbeat_at = now() where id = ${id} and status = 'running'`.execute(db).catch(() => {});
  }, ms);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await beating;
  };
}
