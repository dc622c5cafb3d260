import { formatCount } from '../shared/format.js';

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
  const where = r.by === 'file' ? `listed in ${r.value}` : r.by === 'lot' ? `in lot ${r.value}` : `from import ${r.value}`;
  return `codes of reward ${r.reward_code} ${where}`;
}

export function renderVoidMessage(r: VoidResult): string {
  if (r.matched === 0) return `Nothing to void: there are no ${describeSelection(r)}.`;
  const count = r.dry_run ? r.available : r.voided;
  const verb = r.dry_run ? 'Dry run: would void' : 'Voided';
  const skipped = [
    r.held > 0 ? `${formatCount(r.held)} held by live redemptions, skipped` : '',
    r.already_voided > 0 ? `${formatCount(r.already_voided)} already voided` : '',
    r.not_found > 0 ? `${formatCount(r.not_found)} listed but not in the pool` : '',
  ].filter(Boolean);
  return `${verb} ${formatCount(count)} of ${formatCount(r.matched)} matching code(s)${skipped.length ? ` (${skipped.join('; ')})` : ''}.`;
}
