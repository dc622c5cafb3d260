// The results of the SQL functions in sql/ (redeem_reward_with_points, quote_reward,
// cancel_redemptions, set_redemption_used): change these with them.

export const ERROR_CODES = [
  'INVALID_QUANTITY',
  'USER_NOT_FOUND',
  'USER_INACTIVE',
  'REWARD_NOT_FOUND',
  'REWARD_INACTIVE',
  'NOT_ELIGIBLE',
  'OUTSIDE_REDEMPTION_WINDOW',
  'LIMIT_EXCEEDED',
  'OUT_OF_STOCK',
  'INSUFFICIENT_CODES',
  'CONCURRENT_CONFLICT',
  'NO_POINTS_CONFIG',
  'INSUFFICIENT_POINTS',
  'IDEMPOTENCY_CONFLICT',
  'INVALID_EVENT',
  'INVALID_EVENT_ID',
  'INVALID_TIME_ZONE',
  'ALREADY_USED',
  'NOT_USED',
  'ALREADY_CANCELLED',
  'REDEMPTION_NOT_FOUND',
  'REDEMPTION_CANCELLED',
  'NOT_REDEEMED',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export type Mode = 'calc' | 'direct' | 'force';

export interface RedeemRequest {
  merchantId: string;
  userId: string;
  rewardId: string;
  /** Null for a quantity that came in but fits no int (a Kafka event's 3e9): refused as INVALID_QUANTITY. */
  quantity: number | null;
  mode?: Mode;
  eventId?: string;
  sourceType?: string;
  sourceId?: string;
  actor?: string;
  reason?: string;
  eventTimestamp?: Date | string;
  replayOf?: string;
}

export interface RedemptionRow {
  redemption_id: string;
  redemption_code: string;
  promo_code: string | null;
  qty: number;
  points_deducted: number;
}

export interface RedeemResult {
  success: boolean;
  error_code: ErrorCode | null;
  message: string;
  event_id: string;
  idempotent: boolean;
  redemptions: RedemptionRow[];
  total_quantity: number;
  total_points_deducted: number;
  new_balance: number | null;
  mode: Mode;
  /** A: one row of qty N (no pool); B: N rows of qty 1 (pool). Success only. */
  pattern?: 'A' | 'B';
  points_per_unit?: number;
  retryable?: boolean;
  // The numbers behind a refusal, when there are any.
  available?: number;
  requested?: number;
  shortage?: number;
  required?: number;
  limit?: number;
  unit?: string;
  scope?: string;
  used?: number;
  remaining?: number;
  dimension?: string;
}

export interface QuoteResult {
  eligible: boolean;
  error_code: ErrorCode | null;
  message: string | null;
  dimension?: string | null;
  points_per_unit?: number | null;
  condition_id?: string | null;
  quantity?: number;
  total_points?: number | null;
  balance?: number;
  max_quantity: number;
  binding?: string;
  codes_available?: number | null;
  stock_remaining?: number | null;
  limits?: Array<{ scope: string; unit: string; limit: number; used: number; remaining: number }>;
  /** Whether redeem would accept this quantity now; when not, its first refusal (sql/0013_quote_verdict.sql). */
  would_succeed?: boolean;
  would_fail?: { error_code: ErrorCode; message: string } | null;
}

export type Selector = 'redemption' | 'code' | 'event' | 'batch';

export interface CancelResult {
  success: boolean;
  error_code: ErrorCode | null;
  info_code?: 'ALREADY_CANCELLED';
  message: string;
  dry_run?: boolean;
  cancelled: number;
  already_cancelled?: number;
  points_refunded?: number;
  codes?: 'release' | 'void';
  codes_affected?: number;
  /** Of codes_affected: back in the pool, and retired (a used code is voided even when release was asked). */
  codes_released?: number;
  codes_voided?: number;
  used_codes?: string[];
  /**
   * Live rows of the selection left uncancelled: from one call of the SQL function with a chunk
   * size (another call cancels more), or from cancel() stopped between chunks (run it again).
   */
  more?: boolean;
  /** Transactions (chunks) cancel() committed for this result; absent for a dry run. */
  chunks?: number;
  rows?: Array<{
    redemption_id: string;
    redemption_code: string;
    user_id: string;
    promo_code: string | null;
    qty: number;
    points_refunded: number;
    was_used: boolean;
    /** What happened to the row's pool code; null when it has none. */
    code: 'released' | 'voided' | null;
    /** Why it was voided: it was used (seen), or void was asked for; null otherwise. */
    code_reason: 'used' | 'requested' | null;
  }>;
}

export interface UseResult {
  success: boolean;
  error_code: ErrorCode | null;
  message: string;
  redemption_id?: string;
  redemption_code?: string;
  used_at?: string | null;
}
