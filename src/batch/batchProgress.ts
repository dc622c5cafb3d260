import { formatCount } from '../shared/format.js';
import type { CliIO } from '../shared/io.js';
import { Progress, type ProgressOptions } from '../shared/progress.js';
import type { OutcomeCounts } from './types.js';

// What a batch run's progress line says: rows done of total, granted, refused, rate. How and when
// it is drawn (a rewritten line on a terminal, periodic plain lines elsewhere) is the shared
// Progress's (src/shared/progress.ts).

export interface ProgressState {
  done: number;
  total: number;
  counts: OutcomeCounts;
  elapsedMs: number;
  dryRun: boolean;
}

export function progressLine(state: ProgressState): string {
  const c = state.counts;
  const rate = state.elapsedMs > 0 ? Math.round((state.done * 1000) / state.elapsedMs) : 0;
  const granted = state.dryRun ? `would grant ${formatCount(c.would_grant)}` : `granted ${formatCount(c.granted + c.already_granted)}`;
  const refused = formatCount(c.refused + c.invalid);
  const skipped = c.skipped ? `  skipped ${formatCount(c.skipped)}` : '';
  return `rows ${formatCount(state.done)}/${formatCount(state.total)}  ${granted}  refused ${refused}${skipped}  ${formatCount(rate)} rows/s`;
}

/** The batch's line on the shared Progress, its rate counted from when the run began. */
export class BatchProgress {
  private readonly progress: Progress;

  constructor(io: CliIO, options: ProgressOptions = {}) {
    this.progress = new Progress(io, options);
  }

  update(state: Omit<ProgressState, 'elapsedMs'>): void {
    this.progress.tick(progressLine({ ...state, elapsedMs: this.progress.elapsedMs }));
  }

  /** Clears the line, so what follows starts on a clean one. */
  end(): void {
    this.progress.done();
  }
}
