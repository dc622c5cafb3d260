import { formatCount, formatTime } from '../shared/format.js';
import type { EarlierBatch } from './dedupe.js';
import type { Problem } from './problems.js';

/** What `codes import --json` prints (snake_case, like the engine's results). */
export interface ImportResult {
  /** false when invalid rows stopped an all-or-nothing import (exit 2). */
  success: boolean;
  dry_run: boolean;
  message: string;
  file: string;
  sha256: string;
  reward_id: string;
  reward_code: string;
  lot: string | null;
  batch_id: string | null;
  rows_read: number;
  imported: number;
  /** Rows that pass every check and are new: what an import writes (or, dry, would write). */
  importable: number;
  duplicate_in_file: number;
  duplicate_in_pool: number;
  invalid: number;
  blank_lines: number;
  /** The first problems in line order; --report has all problems_total of them. */
  problems: Problem[];
  problems_total: number;
  report: string | null;
  seconds: { read_and_stage: number; dedupe: number; insert: number; total: number };
}

/**
 * Exit codes (docs/conventions.md): 2 when invalid rows stopped an all-or-nothing import; 1 when
 * --skip-invalid left invalid rows behind (the import partly failed); 0 otherwise, duplicates
 * included (they are already in the pool: skipping them is the point). A dry run exits as the
 * real run would.
 */
export function importExitCode(result: ImportResult): number {
  if (result.invalid === 0) return 0;
  return result.success ? 1 : 2;
}

function plural(n: number, one: string, many = one + 's'): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

function skipped(r: ImportResult): string {
  const parts = [
    r.duplicate_in_file > 0 ? `${formatCount(r.duplicate_in_file)} duplicate in the file` : '',
    r.duplicate_in_pool > 0 ? `${formatCount(r.duplicate_in_pool)} already in the pool` : '',
    r.invalid > 0 ? `${plural(r.invalid, 'invalid row')} skipped` : '',
  ].filter(Boolean);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

function earlierText(earlier: EarlierBatch[]): string {
  if (earlier.length === 0) return '';
  const named = earlier.map((b) => (b.id ? `import ${b.id} at ${formatTime(b.created_at)}` : 'without an import (seeded)'));
  return ` (first imported by ${named.join('; ')}${earlier.length === 3 ? '; and maybe more' : ''})`;
}

export function importMessage(r: ImportResult, earlier: EarlierBatch[], createdAt: Date | null): string {
  const firstInvalid = r.problems.find((p) => p.kind === 'invalid');
  const where = firstInvalid ? ` (first: line ${firstInvalid.line}, ${firstInvalid.problem})` : '';
  if (r.invalid > 0 && !r.success) {
    const prefix = r.dry_run ? 'Dry run: an import would be refused' : 'Nothing imported';
    return (
      `${prefix}: ${plural(r.invalid, 'invalid row')}${where}. Fix ${r.invalid === 1 ? 'it' : 'them'}, or pass --skip-invalid to import ` +
      `the ${plural(r.importable, 'code')} that pass.`
    );
  }
  if (r.importable === 0) {
    const distinct = r.rows_read - r.invalid - r.duplicate_in_file;
    if (r.duplicate_in_pool > 0 && r.duplicate_in_pool === distinct) {
      const tail = r.invalid > 0 ? `; ${plural(r.invalid, 'invalid row')} skipped` : '';
      return `0 imported: all ${plural(distinct, 'code')} ${distinct === 1 ? 'is' : 'are'} already in the pool${earlierText(earlier)}${tail}.`;
    }
    return `0 imported: no row of ${r.rows_read} can be imported${skipped(r)}.`;
  }
  if (r.dry_run) return `Dry run: would import ${plural(r.importable, 'code')} of ${formatCount(r.rows_read)} rows into ${r.reward_code}${skipped(r)}; nothing written.`;
  const at = createdAt ? ` at ${formatTime(createdAt)}` : '';
  return `Imported ${plural(r.importable, 'code')} of ${formatCount(r.rows_read)} rows into ${r.reward_code}${skipped(r)}: import ${r.batch_id}${at}.`;
}
