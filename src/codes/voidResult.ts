import type { CliIO } from '../shared/io.js';
import { keyValues, paint, table } from '../cli/output.js';
import { thousands } from './progress.js';

/** What a void would touch, known before anything changes. */
export interface VoidPlan {
  /** Codes of the reward the selection names, whatever their status. */
  matched: number;
  /** Available (expired or not): what the void retires. */
  available: number;
  /** Redeemed, so held by a live redemption: skipped. */
  held: number;
  already_voided: number;
  /** --file only: codes listed that are not in this reward's pool. */
  not_found: number;
  held_codes: Array<{ code: string; redemption_code: string | null }>;
}

export interface VoidResult extends VoidPlan {
  /** false when something named was not voided: held codes, codes not found, or nothing matched. */
  success: boolean;
  dry_run: boolean;
  message: string;
  reward_code: string;
  by: 'file' | 'lot' | 'batch';
  value: string;
  voided: number;
}

/**
 * 0 when every matching code is voided now (or was already); 1 when some stay as they are (held
 * by a live redemption, or listed but not in the pool); 2 when the selection names no code at all.
 */
export function voidExitCode(r: VoidResult): number {
  if (r.matched === 0) return 2;
  return r.success ? 0 : 1;
}

/** Which codes, as a phrase: "codes of reward POOL in lot A". */
export function describeSelection(r: { reward_code: string; by: string; value: string }): string {
  const where = r.by === 'file' ? `listed in ${r.value}` : r.by === 'lot' ? `in lot ${r.value}` : `from import batch ${r.value}`;
  return `codes of reward ${r.reward_code} ${where}`;
}

export function renderVoidMessage(r: VoidResult): string {
  if (r.matched === 0) return `Nothing to void: there are no ${describeSelection(r)}.`;
  const count = r.dry_run ? r.available : r.voided;
  const verb = r.dry_run ? 'Dry run: would void' : 'Voided';
  const skipped = [
    r.held > 0 ? `${thousands(r.held)} held by live redemptions, skipped` : '',
    r.already_voided > 0 ? `${thousands(r.already_voided)} already voided` : '',
    r.not_found > 0 ? `${thousands(r.not_found)} listed but not in the pool` : '',
  ].filter(Boolean);
  return `${verb} ${thousands(count)} of ${thousands(r.matched)} matching code(s)${skipped.length ? ` (${skipped.join('; ')})` : ''}.`;
}

export function renderVoid(io: CliIO, r: VoidResult): string {
  const verdict = r.dry_run ? paint(io, 'yellow', 'DRY RUN') : r.success ? paint(io, 'green', 'OK') : paint(io, 'yellow', 'PARTLY');
  const lines = [`${r.matched === 0 ? paint(io, 'red', 'NOTHING') : verdict} ${r.message}`];
  lines.push(
    keyValues(io, [
      ['reward', r.reward_code],
      ['selected by', `${r.by} ${r.value}`],
      ['matching', thousands(r.matched)],
      [r.dry_run ? 'would void' : 'voided', thousands(r.dry_run ? r.available : r.voided)],
      ['held (skipped)', thousands(r.held)],
      ['already voided', thousands(r.already_voided)],
      ...(r.by === 'file' ? [['not in the pool', thousands(r.not_found)] as [string, string]] : []),
    ]),
  );
  if (r.held_codes.length > 0) {
    lines.push(`Held by live redemptions (cancel them with --codes void to retire the codes)${r.held > r.held_codes.length ? `, the first ${r.held_codes.length}` : ''}:`);
    lines.push(table(io, ['code', 'redemption code'], r.held_codes.map((h) => [h.code, h.redemption_code])));
  }
  return lines.join('\n');
}
