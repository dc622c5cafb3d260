import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { OperatorAbortError } from '../shared/errors.js';
import { formatCount } from '../shared/format.js';
import type { CliIO } from '../shared/io.js';
import { done, type Outcome } from '../shared/outcome.js';
import { Progress } from '../shared/progress.js';
import { watchInterrupt } from '../shared/signals.js';
import { fileSink, streamSink, type TextSink } from './csvOut.js';
import { countExport, exportCodes, ExportInterruptedError, type ExportStatus } from './exportCodes.js';
import { resolveAnyReward } from './poolReward.js';

// `codes export`: the codes as CSV to a file (or to stdout, where the CSV is the whole output),
// with a progress bar against the count of matching codes while it runs. Ctrl-C or SIGTERM stops
// it between pages: the partial file is removed, the path is left as it was, and the message says
// so and how to run it again (exit 130). A second signal stops at once, removing the partial file too.

export interface ExportRequest {
  merchantId: string;
  rewardKey: string | undefined;
  status: ExportStatus | null;
  lot: string | null;
  /** The file to write; undefined: stdout. */
  output: string | undefined;
  /** The command that runs the export again, printed when it is stopped. */
  commandLine?: string;
}

export interface Exported {
  exported: number;
  output: string | undefined;
}

export async function exportCodesTo(db: Kysely<Schema>, io: CliIO, request: ExportRequest): Promise<Outcome<Exported>> {
  const rewardId = await resolveAnyReward(db, request.merchantId, request.rewardKey);
  const filter = { merchantId: request.merchantId, rewardId, status: request.status, lot: request.lot };
  const total = await countExport(db, filter);
  const sink = request.output === undefined ? streamSink(io.stdout) : fileSink(request.output, '--output');
  const progress = new Progress(io);
  const interrupt = watchInterrupt({
    onSecond: (signal) => {
      progress.done();
      void sink.discard?.(); // synchronous underneath: the partial file is gone before the exit
      io.stderr.write(`\n${signal} again: stopping now. ${nothingWritten(request.output)}\n`);
    },
  });
  let exported: number;
  try {
    const onPage = (n: number) => progress.update({ label: 'exporting codes', done: n, total: Math.max(total, n) });
    exported = await exportCodes(db, filter, sink, onPage, interrupt.signal);
    await sink.close();
  } catch (error) {
    await discard(sink);
    throw error instanceof ExportInterruptedError ? stoppedExport(error, total, request) : error;
  } finally {
    interrupt.dispose();
    progress.done();
  }
  return done({ exported, output: request.output });
}

async function discard(sink: TextSink): Promise<void> {
  await sink.discard?.().catch(() => {});
}

function nothingWritten(output: string | undefined): string {
  return output === undefined
    ? 'The CSV on stdout is incomplete: do not use it.'
    : `Nothing was written to ${output} (the partial file was removed; a file already there is left as it was).`;
}

/** How far it got, that no file stands half-written, and the command that exports again from the start. */
function stoppedExport(error: ExportInterruptedError, total: number, request: ExportRequest): OperatorAbortError {
  const again = request.commandLine ? `\nRun it again to export from the start:\n  ${request.commandLine}` : '';
  return new OperatorAbortError(
    `Interrupted by ${error.signalName} after ${formatCount(error.written)} of ${formatCount(total)} codes. ${nothingWritten(request.output)}${again}`,
  );
}
