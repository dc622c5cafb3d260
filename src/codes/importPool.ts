import { basename } from 'node:path';
import type { Database, RawConnection } from '../db/database.js';
import { recordAudit } from '../db/audit.js';
import { OperatorAbortError, UsageError } from '../shared/errors.js';
import { formatCount } from '../shared/format.js';
import type { Progress } from '../shared/progress.js';
import { signalName } from '../shared/signals.js';
import { CodeCsv, inputSize } from './csvRows.js';
import { fileSink } from './csvOut.js';
import { countStage, earlierBatches, markDuplicates } from './dedupe.js';
import { importMessage, type ImportResult } from './importResult.js';
import type { PoolReward } from './poolReward.js';
import { firstProblems, writeReport } from './problems.js';
import { insertCodes } from './insertPool.js';
import { createStage, stageRows } from './stage.js';

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
 * One transaction: stream the file into a staging table, mark duplicates in SQL, then either
 * insert every importable code with one INSERT … SELECT (the pool-count trigger fires once) under
 * a new import batch, or roll back: --dry-run, or invalid rows without --skip-invalid.
 * Imports of one merchant take turns (an advisory lock), so the duplicate check holds at insert.
 * Interrupted (req.signal) before the commit, it rolls back and throws ImportInterruptedError.
 */
export async function importCodes(database: Database, req: ImportRequest): Promise<ImportResult> {
  const size = await inputSize(req.file);
  const name = basename(req.file);
  const progress = req.progress;
  const csv = new CodeCsv(req.file, name, {
    defaultLot: req.lot,
    onProgress: (bytes, rows) => progress?.update({ label: `reading ${name}`, done: bytes, total: size, unit: 'bytes', detail: `${formatCount(rows)} rows` }),
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
      // The duplicate checks hash and the insert sorts a million rows: in memory, not on disk.
      await conn.exec(`set local work_mem = '128MB'`);
      checkpoint();
      phase = `reading ${name}`;
      await createStage(conn);
      await stageRows(conn, untilAborted(csv.rows(), checkpoint));
      if (csv.rowsRead === 0) throw new UsageError(`${name} has a header and no rows: there is nothing to import`);
      const staged = lap();
      checkpoint();
      phase = 'checking for duplicates';
      progress?.phase(`checking ${formatCount(csv.rowsRead)} rows for duplicates…`);
      await conn.exec('analyze codes_stage');
      await markDuplicates(conn, req.merchantId);
      const counts = await countStage(conn);
      const deduped = lap();
      const write = !req.dryRun && counts.importable > 0 && (counts.invalid === 0 || req.skipInvalid);
      let batch: { id: string; created_at: Date } | null = null;
      checkpoint();
      phase = 'importing';
      if (write) {
        progress?.done();
        await req.confirm?.({ importable: counts.importable, rowsRead: csv.rowsRead, reward: req.reward });
        progress?.phase(`importing ${formatCount(counts.importable)} codes…`);
        batch = await insertCodes(conn, { ...req, fileName: name, sha256: csv.sha256, rowsRead: csv.rowsRead, counts });
        await recordImport(conn, req, { batchId: batch.id, fileName: name, sha256: csv.sha256, rowsRead: csv.rowsRead, counts });
      }
      const inserted = lap();
      const problems = await firstProblems(conn, req.reward.id, SHOWN_PROBLEMS);
      if (report) await writeReport(conn, req.reward.id, report);
      const earlier = counts.importable === 0 && counts.duplicateInPool > 0 ? await earlierBatches(conn) : [];
      // The last moment to stop: after the commit the import is done.
      checkpoint();
      await conn.exec(write ? 'commit' : 'rollback');
      await report?.close();
      progress?.done();
      const result = importResult(req, csv, counts, { write, batchId: batch?.id ?? null, problems });
      result.seconds = { read_and_stage: staged, dedupe: round(deduped - staged), insert: round(inserted - deduped), total: lap() };
      result.message = importMessage(result, earlier, batch?.created_at ?? null);
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

/** The import's audit row, in its transaction: it exists exactly when the codes do. */
function recordImport(
  conn: RawConnection,
  req: ImportRequest,
  facts: { batchId: string; fileName: string; sha256: string; rowsRead: number; counts: Awaited<ReturnType<typeof countStage>> },
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
  counts: Awaited<ReturnType<typeof countStage>>,
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
