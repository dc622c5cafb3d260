import type { RedeemResult } from '../engine/types.js';
import type { GrantRow, Outcome, RowResult } from './types.js';

// One function per way a row can end, so every report line is built the same way.

function base(row: GrantRow, outcome: Outcome, error_code: string | null, message: string, event_id: string | null): RowResult {
  return {
    line: row.line,
    seq: row.seq,
    member: row.member,
    reward: row.reward,
    quantity: row.quantityText === '' ? (row.problem ? '' : '1') : row.quantityText,
    outcome,
    error_code,
    message,
    event_id,
    redemption_codes: [],
    promo_codes: [],
    units: 0,
    points: 0,
  };
}

/** Malformed: never sent to the engine. */
export function invalidRow(row: GrantRow): RowResult {
  return base(row, 'invalid', row.problem!.code, row.problem!.message, null);
}

/** A key that names no member or reward of this merchant: refused here, like the engine would. */
export function unknownKey(row: GrantRow, missing: 'member' | 'reward'): RowResult {
  return missing === 'member'
    ? base(row, 'refused', 'USER_NOT_FOUND', `No member with ${row.memberColumn} ${row.member}`, null)
    : base(row, 'refused', 'REWARD_NOT_FOUND', `No reward with ${row.rewardColumn} ${row.reward}`, null);
}

/** The engine's answer, fresh or stored (idempotent: true means an earlier run applied it). */
export function engineResult(row: GrantRow, result: RedeemResult): RowResult {
  if (!result.success) return base(row, 'refused', result.error_code, result.message, result.event_id);
  return {
    ...base(row, result.idempotent ? 'already_granted' : 'granted', null, result.message, result.event_id),
    redemption_codes: result.redemptions.map((r) => r.redemption_code),
    promo_codes: result.redemptions.map((r) => r.promo_code).filter((code): code is string => code !== null),
    units: result.total_quantity,
    points: result.total_points_deducted,
  };
}

/** A dry run's or the pre-check's verdict on a row not yet sent. */
export function plannedRow(row: GrantRow, eventId: string, points: number): RowResult {
  return { ...base(row, 'would_grant', null, `Would grant ${row.quantity} x ${row.reward}`, eventId), units: row.quantity, points };
}

export function plannedRefusal(row: GrantRow, eventId: string, code: string, message: string): RowResult {
  return base(row, 'refused', code, message, eventId);
}

/** All-or-nothing: a good row left ungranted because another row failed. */
export function skippedRow(row: GrantRow, eventId: string | null, why: string): RowResult {
  return base(row, 'skipped', null, why, eventId);
}
