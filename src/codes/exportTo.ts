import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { formatCount } from '../shared/format.js';
import type { CliIO } from '../shared/io.js';
import { done, type Outcome } from '../shared/outcome.js';
import { Progress } from '../shared/progress.js';
import { fileSink, streamSink } from './csvOut.js';
import { exportCodes, type ExportStatus } from './exportCodes.js';
import { resolveAnyReward } from './poolReward.js';

// `codes export`: the codes as CSV to a file (or to stdout, where the CSV is the whole output),
// with the count on the progress line while it runs.

export interface ExportRequest {
  merchantId: string;
  rewardKey: string | undefined;
  status: ExportStatus | null;
  lot: string | null;
  /** The file to write; undefined: stdout. */
  output: string | undefined;
}

export interface Exported {
  exported: number;
  output: string | undefined;
}

export async function exportCodesTo(db: Kysely<Schema>, io: CliIO, request: ExportRequest): Promise<Outcome<Exported>> {
  const rewardId = await resolveAnyReward(db, request.merchantId, request.rewardKey);
  const sink = request.output === undefined ? streamSink(io.stdout) : fileSink(request.output, '--output');
  const progress = new Progress(io);
  const filter = { merchantId: request.merchantId, rewardId, status: request.status, lot: request.lot };
  let exported: number;
  try {
    exported = await exportCodes(db, filter, sink, (n) => progress.tick(`exported ${formatCount(n)} codes`));
    await sink.close();
  } catch (error) {
    await sink.discard?.();
    throw error;
  } finally {
    progress.done();
  }
  return done({ exported, output: request.output });
}
