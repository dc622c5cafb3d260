import { formatCount } from '../shared/format.js';
import type { CliIO } from '../shared/io.js';
import { Progress, type ProgressOptions } from '../shared/progress.js';
import type { ProgressState } from '../shared/progressLine.js';
import type { OutcomeCounts } from './types.js';

// What a batch run's progress line says: a bar of rows done of total, the rate and ETA, then
// granted, refused (and skipped). How and when it is drawn (a rewritten line on a terminal,
// periodic plain lines elsewhere) is the shared Progress's (src/shared/progress.ts).

export interface BatchState {
  done: number;
  total: number;
  counts: OutcomeCounts;
  dryRun: boolean;
}

export function batchProgressState(state: BatchState): ProgressState {
  const c = state.counts;
  const granted = state.dryRun ? `would grant ${formatCount(c.would_grant)}` : `granted ${formatCount(c.granted + c.already_granted)}`;
  const refused = `refused ${formatCount(c.refused + c.invalid)}`;
  const skipped = c.skipped ? ` · skipped ${formatCount(c.skipped)}` : '';
  return { label: state.dryRun ? 'checking rows' : 'granting rows', done: state.done, total: state.total, detail: `${granted} · ${refused}${skipped}` };
}

/** The batch's line on the shared Progress. */
export class BatchProgress {
  private readonly progress: Progress;

  constructor(io: CliIO, options: ProgressOptions = {}) {
    this.progress = new Progress(io, options);
  }

  update(state: BatchState): void {
    this.progress.update(batchProgressState(state));
  }

  /** Clears the line, so what follows starts on a clean one. */
  end(): void {
    this.progress.done();
  }
}
