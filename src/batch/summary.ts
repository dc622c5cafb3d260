import type { Outcomes } from './outcomes.js';
import type { Scan } from './scan.js';
import type { GrantMode, OutcomeCounts, RowResult } from './types.js';

// What `batch run` reports: the --json document as it is, and what the human rendering reads.

/** A row's result as printed: without its internal position. */
export type RowOutcome = Omit<RowResult, 'seq'>;

export interface BatchSummary {
  batch_id: string;
  file: string;
  file_sha256: string;
  dry_run: boolean;
  all_or_nothing: boolean;
  mode: GrantMode;
  /** Rows granted per database transaction (--group-size; 1: a transaction per row). */
  group_size: number;
  /**
   * completed: every row went through (whatever each row's outcome); planned: a dry run;
   * refused: the all-or-nothing pre-check failed and nothing was granted; stopped: an
   * all-or-nothing run met a refusal while granting (rows granted before it stay granted);
   * interrupted: SIGINT or SIGTERM stopped it, after the rows in flight finished (`rows_done` of
   * `rows` were done; running the same command again does the rest).
   */
  status: 'completed' | 'planned' | 'refused' | 'stopped' | 'interrupted';
  /** Which run of this batch this was (1 the first; more after a resume or rerun); null if nothing was written. */
  run: number | null;
  rows: number;
  /** Rows with an outcome in this run: `rows` unless interrupted. */
  rows_done: number;
  counts: OutcomeCounts;
  units: number;
  points: number;
  elapsed_ms: number;
  rows_per_s: number;
  report: string | null;
  /** Every row in file order, or null for files over MAX_ROWS_IN_JSON rows (read the report). */
  results: RowOutcome[] | null;
  /** Up to MAX_PROBLEMS_SHOWN rows not granted, and how many there are in all. */
  problems: RowOutcome[];
  problem_count: number;
  stopped_at_line: number | null;
}

export interface SummaryParts {
  batchId: string;
  file: string;
  mode: GrantMode;
  dryRun: boolean;
  allOrNothing: boolean;
  groupSize: number;
  reportPath?: string | undefined;
  scan: Scan;
  outcomes: Outcomes;
  status: BatchSummary['status'];
  run: number | null;
  stoppedAtLine: number | null;
  elapsedMs: number;
}

export function summarize(p: SummaryParts): BatchSummary {
  return {
    batch_id: p.batchId,
    file: p.file,
    file_sha256: p.scan.sha256,
    dry_run: p.dryRun,
    all_or_nothing: p.allOrNothing,
    mode: p.mode,
    group_size: p.groupSize,
    status: p.status,
    run: p.run,
    rows: p.scan.rows,
    rows_done: p.outcomes.done,
    counts: p.outcomes.counts,
    units: p.outcomes.units,
    points: p.outcomes.points,
    elapsed_ms: p.elapsedMs,
    rows_per_s: p.elapsedMs > 0 ? Math.round((p.scan.rows * 1000) / p.elapsedMs) : p.scan.rows,
    report: p.reportPath ?? null,
    results: p.outcomes.rows?.map(publicRow) ?? null,
    problems: p.outcomes.problems.map(publicRow),
    problem_count: p.outcomes.problemCount,
    stopped_at_line: p.stoppedAtLine,
  };
}

function publicRow({ seq: _seq, ...row }: RowResult): RowOutcome {
  return row;
}

/**
 * Exit code of a run (docs/conventions.md): 0 every row granted or already granted (or would be), 130
 * interrupted (as a shell reports Ctrl-C), else 1.
 */
export function exitCodeOf(summary: BatchSummary): number {
  if (summary.status === 'interrupted') return 130;
  return summary.status !== 'refused' && summary.status !== 'stopped' && summary.problem_count === 0 ? 0 : 1;
}
