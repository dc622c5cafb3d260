import type { CliIO } from '../../../shared/io.js';
import { formatCount } from '../../../shared/format.js';
import { UTC_VIEW, type TimeView } from '../../../shared/zonedTime.js';
import { keyValues, paint, table } from '../../output.js';
import { listingTable, type ListColumn, type Listing } from '../../listing.js';
import type { CodeImport } from '../../../codes/imports.js';
import type { Exported } from '../../../codes/exportTo.js';
import type { RewardStats } from '../../../codes/stats.js';
import type { VoidResult } from '../../../codes/voidResult.js';

// The human presentation of `codes stats`, `codes export`, `codes imports` and `codes void`.

interface Counts {
  available: number;
  expired: number;
  redeemed: number;
  voided: number;
  total: number;
}

/** A row of `codes stats`: one lot of a reward, or the reward's line for all its lots (or none). */
interface StatsRow extends Counts {
  reward_code: string;
  lot: string;
}

const STATS_COLUMNS: Array<ListColumn<StatsRow>> = [
  { head: 'reward', cell: (r) => r.reward_code },
  { head: 'lot', cell: (r) => r.lot },
  ...(['available', 'expired', 'redeemed', 'voided', 'total'] as const).map((key): ListColumn<StatsRow> => ({ head: key, cell: (r, f) => f.count(r[key]) })),
];

/** `codes stats` as rows (--output csv): each lot, then the reward's total when it has no lot or several. */
export function statsListing({ rewards }: { rewards: RewardStats[] }): Listing<StatsRow> {
  const rows: StatsRow[] = [];
  const counts = (c: Counts): Counts => ({ available: c.available, expired: c.expired, redeemed: c.redeemed, voided: c.voided, total: c.total });
  for (const r of rewards) {
    for (const lot of r.lots) rows.push({ reward_code: r.reward_code, lot: lot.lot ?? '(none)', ...counts(lot) });
    if (r.lots.length !== 1) rows.push({ reward_code: r.reward_code, lot: r.lots.length === 0 ? '(no codes)' : '(all lots)', ...counts(r) });
  }
  return { columns: STATS_COLUMNS, rows };
}

export function renderStats(io: CliIO, stats: { rewards: RewardStats[] }): string {
  if (stats.rewards.length === 0) return 'No pool rewards and no codes.';
  return listingTable(io, statsListing(stats));
}

/** `codes export --output FILE`: where the codes went. */
export function renderExported(_io: CliIO, r: Exported): string {
  return `Exported ${formatCount(r.exported)} code(s) to ${r.output}`;
}

const IMPORT_COLUMNS: Array<ListColumn<CodeImport>> = [
  { head: 'id', cell: (b) => b.id },
  { head: 'reward', cell: (b) => b.reward_code },
  { head: 'file', cell: (b) => b.file_name },
  { head: 'sha256', cell: (b) => b.sha256_prefix },
  { head: 'lot', cell: (b) => b.lot },
  { head: 'read', cell: (b, f) => f.count(b.rows_read) },
  { head: 'imported', cell: (b, f) => f.count(b.imported) },
  { head: 'dup file', cell: (b, f) => f.count(b.duplicates_in_file) },
  { head: 'dup pool', cell: (b, f) => f.count(b.duplicates_in_pool) },
  { head: 'invalid', cell: (b, f) => f.count(b.invalid) },
  { head: 'created', time: true, cell: (b, f) => f.time(b.created_at) },
  { head: 'voided', time: true, cell: (b, f) => f.time(b.voided_at) },
];

/** `codes imports` as rows (--output csv). */
export function importsListing({ batches }: { batches: CodeImport[] }): Listing<CodeImport> {
  return { columns: IMPORT_COLUMNS, rows: batches };
}

export function renderImports(io: CliIO, list: { batches: CodeImport[] }, view: TimeView = UTC_VIEW): string {
  if (list.batches.length === 0) return 'No imports yet: `redeemctl codes import FILE.csv --reward R` makes one.';
  return listingTable(io, importsListing(list), view);
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
