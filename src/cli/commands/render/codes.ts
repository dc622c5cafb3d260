import type { CliIO } from '../../../shared/io.js';
import { formatCount, formatTime } from '../../../shared/format.js';
import { keyValues, paint, table } from '../../output.js';
import type { CodeImport } from '../../../codes/imports.js';
import type { Exported } from '../../../codes/exportTo.js';
import type { RewardStats } from '../../../codes/stats.js';
import type { VoidResult } from '../../../codes/voidResult.js';

// The human presentation of `codes stats`, `codes export`, `codes imports` and `codes void`.

export function renderStats(io: CliIO, { rewards }: { rewards: RewardStats[] }): string {
  if (rewards.length === 0) return 'No pool rewards and no codes.';
  const rows: Array<Array<string | number | null>> = [];
  for (const r of rewards) {
    const cells = (c: { available: number; expired: number; redeemed: number; voided: number; total: number }) =>
      [c.available, c.expired, c.redeemed, c.voided, c.total].map(formatCount);
    for (const lot of r.lots) rows.push([r.reward_code, lot.lot ?? '(none)', ...cells(lot)]);
    if (r.lots.length !== 1) rows.push([r.reward_code, r.lots.length === 0 ? '(no codes)' : '(all lots)', ...cells(r)]);
  }
  return table(io, ['reward', 'lot', 'available', 'expired', 'redeemed', 'voided', 'total'], rows);
}

/** `codes export --output FILE`: where the codes went. */
export function renderExported(_io: CliIO, r: Exported): string {
  return `Exported ${formatCount(r.exported)} code(s) to ${r.output}`;
}

export function renderImports(io: CliIO, { batches: imports }: { batches: CodeImport[] }): string {
  if (imports.length === 0) return 'No imports yet: `redeemctl codes import FILE.csv --reward R` makes one.';
  return table(
    io,
    ['id', 'reward', 'file', 'sha256', 'lot', 'read', 'imported', 'dup file', 'dup pool', 'invalid', 'created', 'voided'],
    imports.map((b) => [
      b.id,
      b.reward_code,
      b.file_name,
      b.sha256_prefix,
      b.lot,
      formatCount(b.rows_read),
      formatCount(b.imported),
      formatCount(b.duplicates_in_file),
      formatCount(b.duplicates_in_pool),
      formatCount(b.invalid),
      formatTime(b.created_at),
      formatTime(b.voided_at),
    ]),
  );
}

export function renderVoid(io: CliIO, r: VoidResult): string {
  const verdict = r.dry_run ? paint(io, 'yellow', 'DRY RUN') : r.success ? paint(io, 'green', 'OK') : paint(io, 'yellow', 'PARTLY');
  const lines = [`${r.matched === 0 ? paint(io, 'red', 'NOTHING') : verdict} ${r.message}`];
  lines.push(
    keyValues(io, [
      ['reward', r.reward_code],
      // The result's `by` keeps the audit log's word for an import, `batch`.
      ['selected by', `${r.by === 'batch' ? 'import' : r.by} ${r.value}`],
      ['matching', formatCount(r.matched)],
      [r.dry_run ? 'would void' : 'voided', formatCount(r.dry_run ? r.available : r.voided)],
      ['held (skipped)', formatCount(r.held)],
      ['already voided', formatCount(r.already_voided)],
      ...(r.by === 'file' ? [['not in the pool', formatCount(r.not_found)] as [string, string]] : []),
    ]),
  );
  if (r.held_codes.length > 0) {
    lines.push(`Held by live redemptions (cancel them with --codes void to retire the codes)${r.held > r.held_codes.length ? `, the first ${r.held_codes.length}` : ''}:`);
    lines.push(table(io, ['code', 'redemption code'], r.held_codes.map((h) => [h.code, h.redemption_code])));
  }
  return lines.join('\n');
}
