import { basename } from 'node:path';
import type { Database, RawConnection } from '../db/database.js';
import { recordAudit } from '../db/audit.js';
import { OperatorAbortError, UsageError } from '../shared/errors.js';
import { formatCount } from '../shared/format.js';
import type { Progress } from '../shared/progress.js';
import { signalName } from '../shared/signals.js';
import { CodeCsv, inputSize } from './csvRows.js';
import { fileSink } from './csvOut.js';
import { countStage, earlierBatches, markDuplicates, type StageCounts } from './dedupe.js';
import { importMessage, type ImportResult } from './importResult.js';
import type { PoolReward } from './poolReward.js';
import { firstProblems, gatherProblems, writeReport, type Problem } from './problems.js';
import { finishBatch, insertBatch, insertStaged } from './insertPool.js';
import { loadFile, type Loaded } from './loadFile.js';
import { createStage } from './stage.js';

export interface ImportRequest {
  file: string;
  merchantId: string;
  reward: PoolReward;
  /** --lot: the lot of rows that name none, and the batch's label. */
  lot: string | null;
  dryRun: boolean;
  skipInvalid: boolean;
  reportPath?: string;
  actor: string;
  /** Why (--reason), recorded in the import's audit row. */
  reason?: string | null;
  /**
   * Asked once the file is read and checked, before anything is written (inside the import's
   * transaction, which holds this merchant's import lock while it waits); throws to stop, and
   * the import rolls back. Undefined: go ahead.
   */
  confirm?: ((plan: { importable: number; rowsRead: number; reward: PoolReward }) => Promise<void>) | undefined;
  progress?: Progress;
  /**
   * Aborted by SIGINT or SIGTERM: the import stops at the next step (between batches of rows
   * while reading, or between statements) and rolls back: nothing is imported. Past the commit
   * it is done, and reported as usual.
   */
  signal?: AbortSignal;
}

/** An import stopped by SIGINT or SIGTERM before it committed: rolled back, nothing imported (exit 130). */
export class ImportInterruptedError extends OperatorAbortError {
  constructor(
    readonly signalName: string,
    /** What it was doing: reading the file, checking duplicates, importing. */
    readonly phase: string,
    readonly rowsRead: number,
    readonly file: string,
  ) {
    super(`Interrupted by ${signalName} while ${phase}: nothing was imported from ${file} (the import is one transaction; it was rolled back)`);
  }
}

/** How many problems the result (and the screen) carries; --report has all of them. */
export const SHOWN_PROBLEMS = 10;

/**
 * One transaction: stream the file into a staging table and, as it is read, into the pool (or
 * only into the stage: --dry-run, or an import that asks before it writes); mark duplicates in SQL
 * when any showed up; then commit the new codes under a new import batch, or roll back: --dry-run,
 * invalid rows without --skip-invalid, nothing new. Imports of one merchant take turns (an
 * advisory lock), so the duplicate checks hold at insert.
 * Interrupted (req.signal) before the commit, it rolls back and throws ImportInterruptedError.
 */
export async function importCodes(database: Database, req: ImportRequest): Promise<ImportResult> {
  const size = await inputSize(req.file);
  const name = basename(req.file);
  const progress = req.progress;
  // Without a question to ask first, the codes go into the pool as the file is read.
  const streaming = !req.dryRun && !req.confirm;
  const label = `reading ${name}`;
  const csv = new CodeCsv(req.file, name, {
    defaultLot: req.lot,
    onProgress: (bytes, rows) => progress?.update({ label, done: bytes, total: size, unit: 'bytes', detail: `${formatCount(rows)} rows` }),
  });
  const report = req.reportPath ? fileSink(req.reportPath, '--report', [req.file]) : null;
  const started = performance.now();
  const lap = () => Math.round(performance.now() - started) / 1000;
  let phase = 'waiting for another import of this merchant';
  const checkpoint = () => {
    if (req.signal?.aborted) throw new ImportInterruptedError(signalName(req.signal), phase, csv.rowsRead, req.file);
  };
  return database.withConnection(async (conn) => {
    await conn.exec('begin');
    try {
      await conn.query(`select pg_advisory_xact_lock(hashtext('redeemctl codes import'), hashtext($1))`, [req.merchantId]);
      // The duplicate checks hash and the inserts sort up to a million rows: in memory, not on disk.
      await conn.exec(`set local work_mem = '128MB'`);
      checkpoint();
      phase = label;
      let batch = streaming ? await insertBatch(conn, { ...req, fileName: name }) : null;
      const target = batch && { merchantId: req.merchantId, reward: req.reward, batchId: batch.id };
      await createStage(conn);
      const refused = () => csv.invalid > 0 && !req.skipInvalid;
      const onTail = (codes: number) => progress?.phase(`importing ${formatCount(codes)} codes…`);
      const loaded = await loadFile(conn, untilAborted(csv.rows(), checkpoint), { target, refused, checkpoint, onTail });
      if (csv.rowsRead === 0) throw new UsageError(`${name} has a header and no rows: there is nothing to import`);
      const staged = lap();
      checkpoint();
      phase = 'checking for duplicates';
      const counts = await countRows(conn, req, csv, loaded, batch?.id ?? null);
      const deduped = lap();
      const write = !req.dryRun && counts.importable > 0 && (counts.invalid === 0 || req.skipInvalid);
      checkpoint();
      phase = 'importing';
      if (write) batch = await writeImport(conn, req, { name, csv, counts, batch });
      const inserted = lap();
      const problems = await readProblems(conn, req, counts, report);
      const earlier = counts.importable === 0 && counts.duplicateInPool > 0 ? await earlierBatches(conn) : [];
      // The last moment to stop: after the commit the import is done.
      checkpoint();
      await conn.exec(write ? 'commit' : 'rollback');
      await report?.close();
      progress?.done();
      const result = importResult(req, csv, counts, { write, batchId: write ? batch!.id : null, problems });
      result.seconds = { read_and_stage: staged, dedupe: round(deduped - staged), insert: round(inserted - deduped), total: lap() };
      result.message = importMessage(result, earlier, write ? batch!.created_at : null);
      return result;
    } catch (error) {
      progress?.done();
      await conn.exec('rollback').catch(() => {});
      // A file that could not be read leaves no half-written report behind, and a file that was
      // at the report's path before stays as it was.
      await report?.discard?.().catch(() => {});
      // Stopped by a signal, whatever the step in flight threw on its way out (COPY cut short).
      if (req.signal?.aborted && !(error instanceof ImportInterruptedError)) {
        throw new ImportInterruptedError(signalName(req.signal), phase, csv.rowsRead, req.file);
      }
      throw error;
    }
  });
}

/**
 * The counts. A file that went into the pool without meeting a duplicate needs no look at the
 * stage: every valid row is in. Otherwise the duplicates are marked in the stage (SQL), and for
 * an import that streamed, what it counts as importable must be what went in.
 */
async function countRows(conn: RawConnection, req: ImportRequest, csv: CodeCsv, loaded: Loaded, ownBatch: string | null): Promise<StageCounts> {
  if (ownBatch && !loaded.duplicates && !loaded.stopped) {
    return { importable: loaded.inserted, invalid: csv.invalid, duplicateInFile: 0, duplicateInPool: 0 };
  }
  req.progress?.phase(`checking ${formatCount(csv.rowsRead)} rows for duplicates…`);
  await markDuplicates(conn, req.merchantId, ownBatch);
  const counts = await countStage(conn);
  if (ownBatch && !loaded.stopped && counts.importable !== loaded.inserted) {
    throw new Error(`codes import: ${loaded.inserted} codes went into the pool but the stage counts ${counts.importable} importable`);
  }
  return counts;
}

/** Asks (if it must), writes what a streaming import has not written yet, the batch's counts and the audit row. */
async function writeImport(
  conn: RawConnection,
  req: ImportRequest,
  facts: { name: string; csv: CodeCsv; counts: StageCounts; batch: { id: string; created_at: Date } | null },
): Promise<{ id: string; created_at: Date }> {
  const { csv, counts } = facts;
  let batch = facts.batch;
  if (!batch) {
    req.progress?.done();
    await req.confirm?.({ importable: counts.importable, rowsRead: csv.rowsRead, reward: req.reward });
    req.progress?.phase(`importing ${formatCount(counts.importable)} codes…`);
    batch = await insertBatch(conn, { ...req, fileName: facts.name });
    await insertStaged(conn, { merchantId: req.merchantId, reward: req.reward, batchId: batch.id });
  }
  await finishBatch(conn, batch.id, { sha256: csv.sha256, rowsRead: csv.rowsRead, counts });
  await recordImport(conn, req, { batchId: batch.id, fileName: facts.name, sha256: csv.sha256, rowsRead: csv.rowsRead, counts });
  return batch;
}

/** The first problems for the result, and all of them into --report; nothing to read when there are none. */
async function readProblems(conn: RawConnection, req: ImportRequest, counts: StageCounts, report: ReturnType<typeof fileSink> | null): Promise<Problem[]> {
  const any = counts.invalid + counts.duplicateInFile + counts.duplicateInPool > 0;
  if (any) await gatherProblems(conn);
  const problems = any ? await firstProblems(conn, req.reward.id, SHOWN_PROBLEMS) : [];
  if (report) await writeReport(conn, req.reward.id, report, any);
  return problems;
}

/** The import's audit row, in its transaction: it exists exactly when the codes do. */
function recordImport(
  conn: RawConnection,
  req: ImportRequest,
  facts: { batchId: string; fileName: string; sha256: string; rowsRead: number; counts: StageCounts },
): Promise<void> {
  const { counts } = facts;
  return recordAudit(conn, {
    merchantId: req.merchantId,
    actor: req.actor,
    action: 'codes_import',
    targetType: 'reward',
    targetId: req.reward.id,
    reason: req.reason ?? null,
    details: {
      import_id: facts.batchId,
      reward_code: req.reward.rewardCode,
      file: facts.fileName,
      sha256: facts.sha256,
      lot: req.lot,
      rows_read: facts.rowsRead,
      imported: counts.importable,
      duplicate_in_file: counts.duplicateInFile,
      duplicate_in_pool: counts.duplicateInPool,
      invalid: counts.invalid,
    },
  });
}

/** The result of an import that ran to its end (committed, or rolled back by design); message and timings follow. */
function importResult(
  req: ImportRequest,
  csv: CodeCsv,
  counts: StageCounts,
  outcome: { write: boolean; batchId: string | null; problems: ImportResult['problems'] },
): ImportResult {
  return {
    success: counts.invalid === 0 || req.skipInvalid,
    dry_run: req.dryRun,
    message: '',
    file: req.file,
    sha256: csv.sha256,
    reward_id: req.reward.id,
    reward_code: req.reward.rewardCode,
    lot: req.lot,
    batch_id: outcome.batchId,
    rows_read: csv.rowsRead,
    imported: outcome.write ? counts.importable : 0,
    importable: counts.importable,
    duplicate_in_file: counts.duplicateInFile,
    duplicate_in_pool: counts.duplicateInPool,
    invalid: counts.invalid,
    blank_lines: csv.blankLines,
    problems: outcome.problems,
    problems_total: counts.invalid + counts.duplicateInFile + counts.duplicateInPool,
    report: req.reportPath ?? null,
    seconds: { read_and_stage: 0, dedupe: 0, insert: 0, total: 0 },
  };
}


/** The batches of rows, until `checkpoint` throws (the import was interrupted): COPY then fails and the transaction rolls back. */
async function* untilAborted<T>(batches: AsyncIterable<T>, checkpoint: () => void): AsyncGenerator<T> {
  for await (const batch of batches) {
    checkpoint();
    yield batch;
  }
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
