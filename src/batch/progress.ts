import type { CliIO } from '../shared/io.js';
import type { OutcomeCounts } from './types.js';

// One updating line on stderr while a batch runs, on a terminal only: rows done of total, granted,
// refused, rate. Redrawn at most every 100 ms; nothing at all when stderr is not a TTY.

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
  const granted = state.dryRun ? `would grant ${c.would_grant}` : `granted ${c.granted + c.already_granted}`;
  const refused = c.refused + c.invalid;
  return `rows ${state.done}/${state.total}  ${granted}  refused ${refused}${c.skipped ? `  skipped ${c.skipped}` : ''}  ${rate} rows/s`;
}

export class Progress {
  private lastDraw = 0;
  private drawn = false;
  private readonly started: number;

  constructor(
    private readonly io: CliIO,
    private readonly enabled = Boolean(io.stderr.isTTY),
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
  }

  update(state: Omit<ProgressState, 'elapsedMs'>, force = false): void {
    if (!this.enabled) return;
    const now = this.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    this.drawn = true;
    this.io.stderr.write(`\r\u001b[2K${progressLine({ ...state, elapsedMs: now - this.started })}`);
  }

  /** Clears the line, so what follows starts on a clean one. */
  end(): void {
    if (this.enabled && this.drawn) this.io.stderr.write('\r\u001b[2K');
  }
}
