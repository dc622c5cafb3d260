import { basename, resolve } from 'node:path';
import type { Kysely } from 'kysely';
import type { Schema } from '../../db/schema.js';
import { UsageError } from '../errors.js';
import { checkGivenBatchId, contentBatchId } from './batchId.js';
import { checkReuse, finishBatch, readBatch, startBatch } from './batchRecord.js';
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
  let status: BatchSummary['status'] = 'completed';
  let run: number | null = null;
  let stoppedAtLine: number | null = null;
  try {
    if (options.dryRun || options.allOrNothing) {
      const plan = await buildPlan(db, options.merchantId, demand, options.concurrency);
      if (options.dryRun) {
        await checkRows(ctx, plan, (result) => outcomes.add(result));
        status = 'planned';
      } else {
        const kept = new Map<number, RowResult>();
        const failures = await checkRows(ctx, plan, (result) => {
          if (result.outcome !== 'would_grant') kept.set(result.seq, result);
        });
        if (failures > 0) {
          await reportRefusal(ctx, kept, failures);
          status = 'refused';
        }
      }
    }
    if (status === 'completed') {
      run = await startBatch(db, {
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
      });
      stoppedAtLine = (await grantRows(ctx)).stoppedAtLine;
      status = stoppedAtLine === null ? 'completed' : 'stopped';
      await finishBatch(db, batchId, status);
    }
  } finally {
    report?.close();
  }

  return summarize({ ...options, batchId, scan, outcomes, status, run, stoppedAtLine, elapsedMs: Date.now() - started });
}
