import type { ReportFile } from './report.js';
import { emptyCounts, type OutcomeCounts, type RowResult } from './types.js';

// Collects row results as they complete (out of order under concurrency) and releases them in
// file order: to the report, to the rows kept for --json and the human summary, to the counts.
// A slow row holds back only the rows after it, and only until its retries end.

/** --json lists every row up to this many rows; above, counts only and the report (docs/batch.md). */
export const MAX_ROWS_IN_JSON = 10_000;
/** The human summary lists this many rows that were not granted. */
export const MAX_PROBLEMS_SHOWN = 20;

export class Outcomes {
  readonly counts: OutcomeCounts = emptyCounts();
  units = 0;
  points = 0;
  /** Rows in file order, while there are at most MAX_ROWS_IN_JSON; null once there are more. */
  rows: RowResult[] | null = [];
  readonly problems: RowResult[] = [];
  problemCount = 0;
  private readonly pending = new Map<number, RowResult>();
  private next = 0;

  constructor(
    private readonly report: ReportFile | null,
    private readonly onChange: () => void = () => {},
  ) {}

  get done(): number {
    return this.next + this.pending.size;
  }

  add(result: RowResult): void {
    this.counts[result.outcome]++;
    if (['granted', 'already_granted', 'would_grant'].includes(result.outcome)) {
      this.units += result.units;
      this.points += result.points;
    }
    this.pending.set(result.seq, result);
    this.release();
    this.onChange();
  }

  private release(): void {
    const ready: RowResult[] = [];
    for (let row = this.pending.get(this.next); row; row = this.pending.get(this.next)) {
      this.pending.delete(this.next++);
      ready.push(row);
    }
    if (ready.length === 0) return;
    this.report?.append(ready);
    for (const row of ready) {
      if (this.rows) {
        if (this.rows.length < MAX_ROWS_IN_JSON) this.rows.push(row);
        else this.rows = null;
      }
      if (row.outcome !== 'granted' && row.outcome !== 'already_granted' && row.outcome !== 'would_grant') {
        this.problemCount++;
        if (this.problems.length < MAX_PROBLEMS_SHOWN) this.problems.push(row);
      }
    }
  }
}
