import type { LedgerRow } from './realtime/ledgerFeed.js';

/**
 * What a member sees of one of their redemptions (docs/api.md, "The redemption a member sees"):
 * `GET /redemptions/<event_id>` and the live stream both answer through memberRedemption, so the
 * two cannot drift apart. An allow-list: a column added to the ledger stays out until it is named
 * here. Staff data (actor, reason, cancel_reason, cancelled_by, used_by, used_note, source_id, the
 * source and the mode) never reaches a member.
 */
export interface MemberRedemption {
  redemption_id: string;
  redemption_code: string;
  event_id: string;
  reward_id: string | null;
  promo_code: string | null;
  qty: number;
  points_deducted: number;
  success: boolean;
  error_code: string | null;
  error_message: string | null;
  status: MemberRedemptionStatus;
  redeemed_at: string | null;
  expires_at: string | null;
  fulfilment: string | null;
  fulfilment_status: string | null;
  used: boolean;
  used_at: string | null;
  cancelled: boolean;
  cancelled_at: string | null;
  created_at: string | null;
}

/** `refused`: the request failed (no points taken); otherwise the state of what was redeemed. */
export type MemberRedemptionStatus = 'refused' | 'cancelled' | 'used' | 'expired' | 'active';

export const MEMBER_REDEMPTION_FIELDS: readonly (keyof MemberRedemption)[] = [
  'redemption_id', 'redemption_code', 'event_id', 'reward_id', 'promo_code', 'qty', 'points_deducted', 'success',
  'error_code', 'error_message', 'status', 'redeemed_at', 'expires_at', 'fulfilment', 'fulfilment_status', 'used',
  'used_at', 'cancelled', 'cancelled_at', 'created_at',
];

type Time = Date | string | null | undefined;

function iso(value: Time): string | null {
  if (value === null || value === undefined) return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toISOString();
}

function statusOf(row: LedgerRow, now: Date): MemberRedemptionStatus {
  if (!row.success) return 'refused';
  if (row.cancelled_at) return 'cancelled';
  if (row.used_at) return 'used';
  const expiry = row.use_expire_date ? new Date(row.use_expire_date as Time as string) : undefined;
  if (expiry && expiry.getTime() < now.getTime()) return 'expired';
  return 'active';
}

/** One ledger row as its member sees it. */
export function memberRedemption(row: LedgerRow, now: Date = new Date()): MemberRedemption {
  return {
    redemption_id: row.id,
    redemption_code: row.code,
    event_id: row.event_id,
    reward_id: row.reward_id,
    promo_code: row.promo_code,
    qty: row.qty,
    points_deducted: row.points_deducted,
    success: row.success,
    error_code: row.error_code,
    error_message: row.error_message,
    status: statusOf(row, now),
    redeemed_at: iso(row.redeemed_at as Time),
    expires_at: iso(row.use_expire_date as Time),
    fulfilment: row.fulfilment,
    fulfilment_status: row.fulfilment_status,
    used: row.used_at !== null && row.used_at !== undefined,
    used_at: iso(row.used_at as Time),
    cancelled: row.cancelled_at !== null && row.cancelled_at !== undefined,
    cancelled_at: iso(row.cancelled_at as Time),
    created_at: iso(row.created_at as Time),
  };
}
