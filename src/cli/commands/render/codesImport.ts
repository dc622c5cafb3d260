import type { CliIO } from '../../../shared/io.js';
import { keyValues, paint, table } from '../../output.js';
import type { ImportResult } from '../../../codes/importResult.js';
import { formatCount } from '../../../shared/format.js';

/** The human rendering of `codes import`: the verdict, the counts, the first problems. */
export function renderImport(io: CliIO, r: ImportResult): string {
  const verdict =
    r.invalid > 0 && !r.success
      ? paint(io, 'red', 'REFUSED')
      : r.dry_run
        ? paint(io, 'yellow', 'DRY RUN')
        : r.invalid > 0
          ? paint(io, 'yellow', 'PARTLY')
          : paint(io, 'green', 'OK');
  const lines = [`${verdict} ${r.message}`];
  lines.push(
    keyValues(io, [
      ['file', `${r.file} (sha256 ${r.sha256.slice(0, 12)}…)`],
      ['reward', r.reward_code],
      ['lot', r.lot ?? ''],
      ['rows read', formatCount(r.rows_read)],
      [r.dry_run ? 'would import' : 'imported', formatCount(r.dry_run ? r.importable : r.imported)],
      ['duplicate in file', formatCount(r.duplicate_in_file)],
      ['duplicate in pool', formatCount(r.duplicate_in_pool)],
      ['invalid', formatCount(r.invalid)],
      ...(r.blank_lines > 0 ? [['blank lines skipped', formatCount(r.blank_lines)] as [string, string]] : []),
      ...(r.batch_id ? [['import', r.batch_id] as [string, string]] : []),
      ['seconds', r.seconds.total.toFixed(2)],
    ]),
  );
  if (r.problems.length > 0) {
    const more = r.problems_total > r.problems.length;
    const where = r.report ? `all of them in ${r.report}` : 'pass --report FILE for all of them';
    lines.push(`Problems${more ? ` (the first ${r.problems.length} of ${formatCount(r.problems_total)}; ${where})` : ''}:`);
    lines.push(table(io, ['line', 'code', 'problem'], r.problems.map((p) => [p.line, p.code, p.problem])));
  }
  if (r.report) lines.push(`report: ${r.report}`);
  return lines.join('\n');
}
