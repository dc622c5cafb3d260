import { basename } from 'node:path';
import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { signalName } from '../shared/signals.js';
import { checkGivenBatchId, contentBatchId } from './batchId.js';
import { beatHeartbeat, checkReuse, DEFAULT_HEARTBEAT_MS, finishBatch, readBatch, startBatch } from './batchRecord.js';
import { checkRows, reportRefusal } from './checkRows.js';
import type { BatchContext } from './context.js';
import { DEFAULT_GROUP_SIZE } from './grantGroup.js';
import { grantRows } from './grantRows.js';
import { Outcomes } from './outcomes.js';
import { buildPlan } from './preflight.js';
import { ReportFile } from './report.js';
import { KeyResolver } from './resolveKeys.js';
import { identify } from './reread.js';
import { resolveDemand, scanGrants } from './scan.js';
import { summarize, type BatchSummary } from './summary.js';
import type { GrantMode, RowResult } from './types.js';

// `batch run`: validate the whole file first (a streamed pass), resolve its keys, then either
// plan (--dry-run), pre-check and grant (--all-or-nothing), or grant row by row. docs/batch.md.

export interface BatchOptions {
  file: string;
  merchantId: string;
  actor: string;
  reason: string;
  mode: GrantMode;
  concurrency: number;
  /** Rows granted per database transaction, 1..500 (default DEFAULT_GROUP_SIZE; docs/batch.md, "Groups"). */
  groupSize?: number | undefined;
  dryRun: boolean;
  allOrNothing: boolean;
  batchId?: string | undefined;
  reportPath?: string | undefined;
  /** Called after every row; `done` of `total` rows. */
  onProgress?: (outcomes: Outcomes, total: number) => void;
  /**
   * Aborted by SIGINT or SIGTERM: no further row (or group of rows) starts, those in flight
   * finish, the batch is marked interrupted (its reason, the signal's name, is recorded) and the
   * summary's status is `interrupted`. Checked between passes and between rows, not inside the
   * first read of the file.
   */
  signal?: AbortSignal | undefined;
  /** The command line that runs this batch again (recorded for `batch status`). */
  commandLine?: string | undefined;
  /** How often the batch record's heartbeat is beaten while rows are granted (default 5 s). */
  heartbeatMs?: number | undefined;
  /**
   * Asked once the file is read and checked (and, with --all-or-nothing, every row pre-checked),
   * before anything is written; throws to stop. Undefined: go ahead.
   */
  confirm?: ((plan: { batchId: string; rows: number; grantable: number; mode: GrantMode }) => Promise<void>) | undefined;
}

export async function runBatch(db: Kysely<Schema>, options: BatchOptions): Promise<BatchSummary> {
  const started = Date.now();
  const before = identify(options.file, '');
  const resolver = new KeyResolver(db, options.merchantId);
  const scan = await scanGrants(options.file, options.mode, resolver);
  const batchId = options.batchId !== undefined ? checkGivenBatchId(options.batchId) : contentBatchId(options.merchantId, scan.sha256);
  checkReuse(await readBatch(db, batchId), { id: batchId, merchant_id: options.merchantId, file_sha256: scan.sha256, mode: options.mode });
  await resolver.resolve();
  const demand = resolveDemand(scan, resolver);

  const report = options.reportPath ? ReportFile.open(options.reportPath, options.file) : null;
  const groupSize = options.groupSize ?? DEFAULT_GROUP_SIZE;
  const outcomes = new Outcomes(report, () => options.onProgress?.(outcomes, scan.rows));
  const ctx: BatchContext = {
    db,
    merchantId: options.merchantId,
    batchId,
    file: options.file,
    identity: { ...before, sha256: scan.sha256 },
    mode: options.mode,
    actor: options.actor,
    reason: options.reason,
    concurrency: options.concurrency,
    groupSize,
    allOrNothing: options.allOrNothing,
    resolver,
    outcomes,
  };
  const signal = options.signal;
  let status: BatchSummary['status'] = 'completed';
  let run: number | null = null;
  let stoppedAtLine: number | null = null;
  try {
    if (signal?.aborted) status = 'interrupted';
    else if (options.dryRun || options.allOrNothing) status = await checkFirst(ctx, demand, options);
    // Interrupted before the grants: nothing is written, not even the batch record.
    if (status === 'completed' && signal?.aborted) status = 'interrupted';
    if (status === 'completed') ({ status, run, stoppedAtLine } = await grantAll(ctx, scan, demand.unknownRows, options));
  } finally {
    report?.close();
  }

  return summarize({ ...options, groupSize, batchId, scan, outcomes, status, run, stoppedAtLine, elapsedMs: Date.now() - started });
}

/**
 * The pass before any grant, for --dry-run (every row checked and reported) and --all-or-nothing
 * (every row checked; one that would fail refuses the batch): 'completed' means go ahead.
 */
async function checkFirst(ctx: BatchContext, demand: ReturnType<typeof resolveDemand>, options: BatchOptions): Promise<BatchSummary['status']> {
  const signal = options.signal;
  const plan = await buildPlan(ctx.db, options.merchantId, demand, options.concurrency);
  if (options.dryRun) {
    await checkRows(ctx, plan, (result) => ctx.outcomes.add(result), signal);
    return signal?.aborted ? 'interrupted' : 'planned';
  }
  const kept = new Map<number, RowResult>();
  const failures = await checkRows(
    ctx,
    plan,
    (result) => {
      if (result.outcome !== 'would_grant') kept.set(result.seq, result);
    },
    signal,
  );
  if (signal?.aborted) return 'interrupted';
  if (failures === 0) return 'completed';
  await reportRefusal(ctx, kept, failures);
  return 'refused';
}

/** The grants: the batch record, a heartbeat while rows are granted, and how the run ended. */
async function grantAll(
  ctx: BatchContext,
  scan: Awaited<ReturnType<typeof scanGrants>>,
  unknownRows: number,
  options: BatchOptions,
): Promise<{ status: BatchSummary['status']; run: number; stoppedAtLine: number | null }> {
  const { db, batchId } = ctx;
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  await options.confirm?.({ batchId, rows: scan.rows, grantable: scan.rows - scan.invalid - unknownRows, mode: options.mode });
  const run = await startBatch(
    db,
    {
      id: batchId,
      merchant_id: options.merchantId,
      file_name: basename(options.file),
      file_sha256: scan.sha256,
      rows_total: scan.rows,
      rows_invalid: scan.invalid,
      rows_unknown: unknownRows,
      mode: options.mode,
      all_or_nothing: options.allOrNothing,
      actor: options.actor,
      reason: options.reason,
    },
    { command: options.commandLine ?? null, heartbeatMs },
  );
  const stopBeating = beatHeartbeat(db, batchId, heartbeatMs);
  let pass;
  try {
    pass = await grantRows(ctx, options.signal);
  } catch (error) {
    await stopBeating();
    // A run that failed part-way is not running any more: say so (when the database still answers).
    await finishBatch(db, batchId, 'interrupted', 'error').catch(() => {});
    throw error;
  }
  await stopBeating();
  const status = pass.interrupted ? 'interrupted' : pass.stoppedAtLine === null ? 'completed' : 'stopped';
  await finishBatch(db, batchId, status, status === 'interrupted' && options.signal ? signalName(options.signal) : null);
  return { status, run, stoppedAtLine: pass.stoppedAtLine };
}
