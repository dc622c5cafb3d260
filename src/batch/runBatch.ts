import { basename, resolve } from 'node:path';
import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { UsageError } from '../shared/errors.js';
import { checkGivenBatchId, contentBatchId } from './batchId.js';
import { beatHeartbeat, checkReuse, DEFAULT_HEARTBEAT_MS, finishBatch, readBatch, startBatch } from './batchRecord.js';
import { checkRows, reportRefusal } from './checkRows.js';
import type { BatchContext } from './context.js';
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
  dryRun: boolean;
  allOrNothing: boolean;
  batchId?: string | undefined;
  reportPath?: string | undefined;
  /** Called after every row; `done` of `total` rows. */
  onProgress?: (outcomes: Outcomes, total: number) => void;
  /**
   * Aborted by SIGINT or SIGTERM: no further row starts, the rows in flight finish, the batch is
   * marked interrupted (its reason, the signal's name, is recorded) and the summary's status is
   * `interrupted`. Checked between passes and between rows, not inside the first read of the file.
   */
  signal?: AbortSignal | undefined;
  /** The command line that runs this batch again (recorded for `batch status`). */
  commandLine?: string | undefined;
  /** How often the batch record's heartbeat is beaten while rows are granted (default 5 s). */
  heartbeatMs?: number | undefined;
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

  if (options.reportPath && resolve(options.reportPath) === resolve(options.file)) {
    throw new UsageError(`--report ${options.reportPath} is the input file; write the report somewhere else`);
  }
  const report = options.reportPath ? ReportFile.open(options.reportPath) : null;
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
    allOrNothing: options.allOrNothing,
    resolver,
    outcomes,
  };
  const signal = options.signal;
  const interruptedBy = () => (typeof signal?.reason === 'string' ? signal.reason : 'SIGINT');
  let status: BatchSummary['status'] = 'completed';
  let run: number | null = null;
  let stoppedAtLine: number | null = null;
  try {
    if (signal?.aborted) status = 'interrupted';
    else if (options.dryRun || options.allOrNothing) {
      const plan = await buildPlan(db, options.merchantId, demand, options.concurrency);
      if (options.dryRun) {
        await checkRows(ctx, plan, (result) => outcomes.add(result), signal);
        status = signal?.aborted ? 'interrupted' : 'planned';
      } else {
        const kept = new Map<number, RowResult>();
        const failures = await checkRows(
          ctx,
          plan,
          (result) => {
            if (result.outcome !== 'would_grant') kept.set(result.seq, result);
          },
          signal,
        );
        if (signal?.aborted) status = 'interrupted';
        else if (failures > 0) {
          await reportRefusal(ctx, kept, failures);
          status = 'refused';
        }
      }
    }
    // Interrupted before the grants: nothing is written, not even the batch record.
    if (status === 'completed' && signal?.aborted) status = 'interrupted';
    if (status === 'completed') {
      const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
      run = await startBatch(
        db,
        {
          id: batchId,
          merchant_id: options.merchantId,
          file_name: basename(options.file),
          file_sha256: scan.sha256,
          rows_total: scan.rows,
          rows_invalid: scan.invalid,
          rows_unknown: demand.unknownRows,
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
        pass = await grantRows(ctx, signal);
      } catch (error) {
        await stopBeating();
        // A run that failed part-way is not running any more: say so (when the database still answers).
        await finishBatch(db, batchId, 'interrupted', 'error').catch(() => {});
        throw error;
      }
      await stopBeating();
      stoppedAtLine = pass.stoppedAtLine;
      status = pass.interrupted ? 'interrupted' : stoppedAtLine === null ? 'completed' : 'stopped';
      await finishBatch(db, batchId, status, status === 'interrupted' ? interruptedBy() : null);
    }
  } finally {
    report?.close();
  }

  return summarize({ ...options, batchId, scan, outcomes, status, run, stoppedAtLine, elapsedMs: Date.now() - started });
}
