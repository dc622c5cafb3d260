import type { Database } from '../db/database.js';
import { formatCount } from '../shared/format.js';
import type { CliIO } from '../shared/io.js';
import { OperatorAbortError } from '../shared/errors.js';
import type { Outcome } from '../shared/outcome.js';
import { Progress } from '../shared/progress.js';
import { watchInterrupt } from '../shared/signals.js';
import { ImportInterruptedError, importCodes, type ImportRequest } from './importPool.js';
import { importExitCode, type ImportResult } from './importResult.js';
import { resolvePoolReward } from './poolReward.js';

// `codes import` for an operator: importCodes with its progress on stderr, stopping cleanly on
// Ctrl-C or SIGTERM (docs/codes.md, "Stopping an import"): the import is one transaction, rolled
// back, so nothing is imported, and the message says how to run it again (exit 130). A second
// signal stops at once: the transaction rolls back on the server when the connection drops.

export interface OperatorImport extends Omit<ImportRequest, 'reward' | 'progress' | 'signal'> {
  /** --reward: uuid or reward_code of a pool reward. */
  rewardKey: string;
  /** The command that runs the import again, printed when it is stopped. */
  commandLine: string;
}

export async function importUntilStopped(database: Database, io: CliIO, request: OperatorImport): Promise<Outcome<ImportResult>> {
  const { rewardKey, commandLine: again, ...importRequest } = request;
  const reward = await resolvePoolReward(database.db, request.merchantId, rewardKey);
  const progress = new Progress(io);
  const interrupt = watchInterrupt({
    onSecond: (signal) => {
      progress.done();
      io.stderr.write(`\n${signal} again: stopping now; the import's transaction rolls back, so nothing is imported. Run it again with:\n  ${again}\n`);
    },
  });
  try {
    const result = await importCodes(database, { ...importRequest, reward, progress, signal: interrupt.signal });
    return { exitCode: importExitCode(result), result };
  } catch (error) {
    throw error instanceof ImportInterruptedError ? stoppedImport(error, again) : error;
  } finally {
    interrupt.dispose();
  }
}

/** What was done (nothing imported) and the command that imports the file from the start. */
function stoppedImport(error: ImportInterruptedError, again: string): OperatorAbortError {
  const read = error.rowsRead > 0 ? ` It had read ${formatCount(error.rowsRead)} rows.` : '';
  return new OperatorAbortError(
    `${error.message}.${read}\n` +
      'Run the same command again to import the file; it starts from the beginning, and a re-run never imports a code twice ' +
      '(codes already in the pool are counted as duplicates and skipped):\n' +
      `  ${again}`,
  );
}
