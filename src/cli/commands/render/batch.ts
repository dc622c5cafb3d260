import type { CliIO } from '../../../shared/io.js';
import { formatCount } from '../../../shared/format.js';
import { keyValues, paint, table } from '../../output.js';
import { UTC_VIEW, type TimeView } from '../../../shared/zonedTime.js';
import { listingTable, type ListColumn, type Listing } from '../../listing.js';
import type { BatchSummary } from '../../../batch/summary.js';
import type { BatchDetail, BatchStatus } from '../../../batch/status.js';
import type { BatchNotFound } from '../../../batch/statusOutcome.js';

// Human renderings of `batch run` and `batch status` (--json prints the objects as they are).

export function renderRun(io: CliIO, s: BatchSummary): string {
  const c = s.counts;
  const lines: string[] = [];
  const headline = {
    completed: paint(io, s.problem_count === 0 ? 'green' : 'yellow', s.problem_count === 0 ? 'DONE' : 'DONE WITH REFUSALS'),
    planned: paint(io, s.problem_count === 0 ? 'green' : 'yellow', 'DRY RUN (nothing written)'),
    refused: paint(io, 'red', 'REFUSED (all-or-nothing: nothing granted)'),
    stopped: paint(io, 'red', `STOPPED at line ${s.stopped_at_line} (all-or-nothing)`),
    interrupted: paint(io, 'yellow', `INTERRUPTED after ${s.rows_done} of ${s.rows} rows`),
  }[s.status];
  lines.push(`${headline} batch ${s.batch_id} from ${s.file}${s.run && s.run > 1 ? ` (run ${s.run})` : ''}`);
  const pairs: Array<[string, string | number]> = [['rows', s.rows]];
  if (s.dry_run) pairs.push(['would grant', c.would_grant]);
  else pairs.push(['granted', c.granted]);
  pairs.push(['already granted', c.already_granted], ['refused', c.refused], ['invalid', c.invalid]);
  if (c.skipped) pairs.push(['skipped', c.skipped]);
  pairs.push([s.dry_run ? 'units to grant' : 'units granted', s.units], [s.dry_run ? 'points to charge' : 'points charged', s.points]);
  pairs.push(['time', `${(s.elapsed_ms / 1000).toFixed(1)} s (${s.rows_per_s} rows/s)`]);
  if (s.report) pairs.push(['report', s.report]);
  lines.push(keyValues(io, pairs));
  if (s.problems.length > 0) {
    lines.push(
      table(
        io,
        ['line', 'member', 'reward', 'qty', 'outcome', 'error', 'message'],
        s.problems.map((r) => [r.line, r.member, r.reward, r.quantity, r.outcome, r.error_code, r.message]),
      ),
    );
    const more = s.problem_count - s.problems.length;
    if (more > 0) lines.push(`… and ${more} more row(s) not granted${s.report ? `: see ${s.report}` : ': pass --report OUT for all of them'}`);
  }
  if (s.status === 'refused') lines.push('Fix the rows above (or run without --all-or-nothing) and run again.');
  if (s.status === 'stopped') {
    lines.push(`A row changed between the pre-check and its grant; rows granted before it stay granted.`);
  }
  if (!s.dry_run && c.granted + c.already_granted > 0) {
    lines.push(paint(io, 'dim', `Undo the whole batch: redeemctl cancel --batch ${s.batch_id} --reason TEXT --yes`));
  }
  return lines.join('\n');
}

/**
 * What `batch run` prints on stderr when SIGINT or SIGTERM stopped it: what was done (rows done of
 * the total, the batch id) and the exact command that resumes it.
 */
export function renderInterrupted(s: BatchSummary, signal: string, commandLine: string): string {
  const c = s.counts;
  const done = `${formatCount(s.rows_done)} of ${formatCount(s.rows)} rows`;
  if (s.dry_run) {
    return `Interrupted by ${signal}: the dry run of batch ${s.batch_id} checked ${done}; nothing was written.\nRun it again for the whole plan:\n  ${commandLine}`;
  }
  if (s.run === null) {
    return (
      `Interrupted by ${signal} before any row was granted: nothing changed (batch ${s.batch_id}, ${formatCount(s.rows)} rows).\n` +
      `Run the same command again to run it:\n  ${commandLine}`
    );
  }
  const counts = [
    `granted ${formatCount(c.granted)}`,
    ...(c.already_granted ? [`already granted ${formatCount(c.already_granted)}`] : []),
    `refused ${formatCount(c.refused)}`,
    ...(c.invalid ? [`invalid ${formatCount(c.invalid)}`] : []),
  ].join(', ');
  return [
    `Interrupted by ${signal}: batch ${s.batch_id} stopped after ${done} (${counts}); the rows in flight finished first, so no row is half-done.`,
    ...(s.report ? [`The report ${s.report} lists the rows done so far.`] : []),
    `To resume, run the same command again (rows already done are not granted twice):`,
    `  ${commandLine}`,
  ].join('\n');
}

/** The status as shown: an interrupted batch says why (SIGINT, SIGTERM, error, runner gone). */
function statusText(b: BatchStatus): string {
  return b.status === 'interrupted' && b.interrupted_by ? `interrupted (${b.interrupted_by})` : b.status;
}

/** Beside --json: the document lists rows only up to 10,000; past that, the report has them. */
export function tooManyRowsForJson(s: BatchSummary): string[] {
  if (s.results !== null || s.report) return [];
  return [`warning: ${s.rows} rows are too many to list in --json; pass --report OUT for every row's outcome`];
}

const STATUS_COLUMNS: Array<ListColumn<BatchStatus>> = [
  { head: 'batch', cell: (b) => b.batch_id },
  { head: 'file', cell: (b) => b.file_name },
  { head: 'status', cell: statusText },
  { head: 'started', time: true, cell: (b, f) => f.time(b.started_at) },
  ...(['rows', 'granted', 'refused', 'invalid', 'pending', 'units', 'points', 'cancelled'] as const).map(
    (key): ListColumn<BatchStatus> => ({ head: key, cell: (b, f) => f.count(b[key]) }),
  ),
];

/** `batch status` (no id) as rows (--output csv). */
export function statusListing({ batches }: { batches: BatchStatus[] }): Listing<BatchStatus> {
  return { columns: STATUS_COLUMNS, rows: batches };
}

export function renderStatusList(io: CliIO, list: { batches: BatchStatus[] }, view: TimeView = UTC_VIEW): string {
  if (list.batches.length === 0) return 'No batches yet: run one with `redeemctl batch run FILE.csv --reason TEXT`.';
  return listingTable(io, statusListing(list), view);
}

/** `batch status ID`: the batch in detail, or how to find the right id. */
export function renderOneBatch(io: CliIO, r: BatchDetail | BatchNotFound, view: TimeView = UTC_VIEW): string {
  if (!('batch_id' in r)) return `${r.message}: \`redeemctl batch status\` lists them`;
  return renderStatusDetail(io, r, view);
}

export function renderStatusDetail(io: CliIO, d: BatchDetail, view: TimeView = UTC_VIEW): string {
  const lines = [
    keyValues(io, [
      ['batch', d.batch_id],
      ['file', d.file_name ? `${d.file_name} (sha256 ${d.file_sha256})` : ''],
      ['status', statusText(d)],
      ['mode', d.mode],
      ['actor', d.actor],
      ['reason', d.reason],
      ['runs', d.runs],
      [view.head('started'), view.time(d.started_at)],
      [view.head('finished'), view.time(d.finished_at)],
      ['runner', d.runner ? `${d.runner}${d.heartbeat_at ? `, last heartbeat ${view.time(d.heartbeat_at)}` : ''}` : ''],
      ['rows', d.rows],
      ['granted', d.granted],
      ['refused', d.refused],
      ['invalid', d.invalid],
      ['pending', d.pending],
      ['redemptions (live)', d.redemptions],
      ['units', d.units],
      ['points', d.points],
      ['cancelled', d.cancelled],
    ]),
  ];
  if (d.rewards.length > 0) {
    lines.push(table(io, ['reward', 'redemptions', 'units', 'points', 'cancelled'], d.rewards.map((r) => [r.reward_code, r.redemptions, r.units, r.points, r.cancelled])));
  }
  if (d.refusals.length > 0) lines.push(table(io, ['refused with', 'rows'], d.refusals.map((r) => [r.error_code, r.rows])));
  if (d.resume) {
    lines.push(
      `${d.pending ? `${d.pending} row(s) not yet sent. ` : ''}To resume, run the same command again (rows already done are not granted twice):\n  ${d.resume}`,
    );
  } else if (d.pending) lines.push(`${d.pending} row(s) not yet sent: run the same file again to finish the batch.`);
  return lines.join('\n');
}
