import type { ColumnType, Generated } from 'kysely';

// Kysely's view of the tables in sql/0001_schema.sql: change them together.
// Timestamps read as Date and are written as Date or ISO strings.
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json = ColumnType<unknown, string, string>;

export interface MerchantsTable {
  id: Generated<string>;
  name: string;
  time_zone: Generated<string>;
  created_at: DefaultTimestamp;
}

export interface NamedRefTable {
  id: Generated<string>;
  merchant_id: string;
  name: string;
}

export interface TiersTable extends NamedRefTable {
  rank: Generated<number>;
}

export interface UserAccountsTable {
  id: Generated<string>;
  merchant_id: string;
  tier_id: string | null;
  user_type: Generated<'buyer' | 'seller'>;
  persona_id: string | null;
  birth_date: ColumnType<Date | null, string | null, string | null>;
  email: string | null;
  tel: string | null;
  active: Generated<boolean>;
  created_at: DefaultTimestamp;
}

export interface UserTagsTable {
  user_id: string;
  tag_id: string;
}

export interface RewardMasterTable {
  id: Generated<string>;
  merchant_id: string;
  reward_code: string;
  name: string;
  active: Generated<boolean>;
  allowed_tiers: string[] | null;
  allowed_personas: string[] | null;
  allowed_tags: string[] | null;
  allowed_birth_months: number[] | null;
  redeem_window_start: Timestamp | null;
  redeem_window_end: Timestamp | null;
  fallback_points: number | null;
  require_points_match: Generated<boolean>;
  stock_total: number | null;
  assign_promocode: Generated<boolean>;
  default_promo_code: string | null;
  use_expire_mode: 'relative_days' | 'relative_mins' | 'absolute_date' | null;
  use_expire_ttl: number | null;
  use_expire_date: Timestamp | null;
  fulfilment: Generated<'digital' | 'shipping' | 'pickup' | 'printed'>;
  created_at: DefaultTimestamp;
}

export interface RewardPointsConditionsTable {
  id: Generated<string>;
  merchant_id: string;
  reward_id: string;
  tier_id: string | null;
  user_type: 'buyer' | 'seller' | null;
  persona_id: string | null;
  tag_ids: string[] | null;
  points_required: number;
  priority: Generated<number>;
  active: Generated<boolean>;
}

export interface TransactionLimitsTable {
  id: Generated<string>;
  merchant_id: string;
  reward_id: string;
  scope: 'user' | 'total';
  max_count: number;
  time_unit: 'day' | 'week' | 'month' | 'year' | 'all_time';
  active: Generated<boolean>;
}

export interface CodeImportBatchesTable {
  id: Generated<string>;
  merchant_id: string;
  reward_id: string;
  file_name: string | null;
  file_sha256: string | null;
  lot: string | null;
  rows_read: Generated<number>;
  imported: Generated<number>;
  actor: string | null;
  created_at: DefaultTimestamp;
  voided_at: Timestamp | null;
}

export interface RewardPromoCodeTable {
  id: Generated<number>;
  merchant_id: string;
  reward_id: string;
  promo_code: string;
  lot: string | null;
  partner: string | null;
  expires_at: Timestamp | null;
  status: Generated<'available' | 'redeemed' | 'voided'>;
  redeemed_at: Timestamp | null;
  ledger_id: string | null;
  import_batch_id: string | null;
  created_at: DefaultTimestamp;
}

export interface RedemptionRequestsTable {
  event_id: string;
  merchant_id: string;
  user_id: string | null;
  reward_id: string | null;
  quantity: number | null;
  mode: 'calc' | 'direct' | 'force';
  source_type: string;
  source_id: string | null;
  actor: string | null;
  reason: string | null;
  replay_of: string | null;
  status: 'processing' | 'succeeded' | 'failed';
  error_code: string | null;
  result: Json | null;
  event_timestamp: Timestamp | null;
  created_at: DefaultTimestamp;
  processing_ms: number | null;
  redelivery_count: Generated<number>;
  last_redelivered_at: Timestamp | null;
}

export interface LedgerTable {
  id: Generated<string>;
  code: string;
  merchant_id: string;
  user_id: string | null;
  reward_id: string | null;
  event_id: string;
  qty: number;
  promo_code: string | null;
  promo_code_id: number | null;
  points_deducted: number;
  success: boolean;
  error_code: string | null;
  error_message: string | null;
  mode: string;
  source_type: string;
  source_id: string | null;
  actor: string | null;
  reason: string | null;
  redeemed_at: DefaultTimestamp;
  use_expire_date: Timestamp | null;
  fulfilment: string | null;
  fulfilment_status: string | null;
  used_at: Timestamp | null;
  used_by: string | null;
  used_note: string | null;
  cancelled_at: Timestamp | null;
  cancelled_by: string | null;
  cancel_reason: string | null;
  created_at: DefaultTimestamp;
}

export interface UserWalletTable {
  user_id: string;
  merchant_id: string;
  points_balance: number;
  updated_at: DefaultTimestamp;
}

export interface WalletLedgerTable {
  id: Generated<number>;
  merchant_id: string;
  user_id: string;
  direction: 'earn' | 'burn';
  component: Generated<string>;
  amount: number;
  signed_amount: number;
  balance_before: number;
  balance_after: number;
  source_type: string;
  source_id: string;
  note: string | null;
  created_at: DefaultTimestamp;
}

export interface AuditLogTable {
  id: Generated<number>;
  merchant_id: string | null;
  actor: string;
  action: string;
  target_type: string;
  target_id: string | null;
  reason: string | null;
  details: Json | null;
  created_at: DefaultTimestamp;
}

export interface Schema {
  merchants: MerchantsTable;
  tiers: TiersTable;
  personas: NamedRefTable;
  tags: NamedRefTable;
  user_accounts: UserAccountsTable;
  user_tags: UserTagsTable;
  reward_master: RewardMasterTable;
  reward_points_conditions: RewardPointsConditionsTable;
  transaction_limits: TransactionLimitsTable;
  code_import_batches: CodeImportBatchesTable;
  reward_promo_code: RewardPromoCodeTable;
  redemption_requests: RedemptionRequestsTable;
  reward_redemptions_ledger: LedgerTable;
  user_wallet: UserWalletTable;
  wallet_ledger: WalletLedgerTable;
  audit_log: AuditLogTable;
}
