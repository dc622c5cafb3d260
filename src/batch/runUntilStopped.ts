import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import type { CliIO } from '../shared/io.js';
import type { Outcome } from '../shared/outcome.js';
import { signalName, watchInterrupt } from '../shared/signals.js';
import { BatchProgress } from './batchProgress.js';
import { explainBatchError } from './errors.js';
import { runBatch, type BatchOptions } from './runBatch.js';
import { exitCodeOf, type BatchSummary } from './summary.js';

// `batch run` for an operator: runBatch with its progress line on stderr, stopping cleanly on
// Ctrl-C or SIGTERM (docs/batch.md, "Stopping a run"): no new row starts, the rows in flight
// finish, the batch is marked interrupted and the outcome says which signal stopped it (exit 130).
// A second signal stops at once, after saying how to resume.

export interface OperatorRun extends Omit<BatchOptions, 'onProgress' | 'signal'> {
  /** The command that runs this batch again, recorded and printed for resuming. */
  commandLine: string;
}

export async function runUntilStopped(db: Kysely<Schema>, io: CliIO, location: string, options: OperatorRun): Promise<Outcome<BatchSummary>> {
  const progress = new BatchProgress(io);
  const interrupt = watchInterrupt({
    onSecond: (signal) => {
      progress.end();
      io.stderr.write(
        `\n${signal} again: stopping now. A row in flight is granted once or not at all (its transaction rolls back); ` +
          `to resume, run the same command again:\n  ${options.commandLine}\n`,
      );
    },
  });
  let summary: BatchSummary;
  try {
    summary = await runBatch(db, {
      ...options,
      onProgress: (outcomes, total) => progress.update({ done: outcomes.done, total, counts: outcomes.counts, dryRun: options.dryRun }),
      signal: interrupt.signal,
    });
  } catch (error) {
    throw explainBatchError(error, location);
  } finally {
    interrupt.dispose();
    progress.end();
  }
  const stopped = summary.status === 'interrupted' ? { stoppedBy: signalName(interrupt.signal) } : {};
  return { exitCode: exitCodeOf(summary), result: summary, ...stopped };
}
