// The shapes the batch modules pass between them.

export type GrantMode = 'calc' | 'direct';

export type MemberColumn = 'user_id' | 'email' | 'tel';
export type RewardColumn = 'reward_id' | 'reward_code';

/** A row's problem found without the database: it is reported `invalid` and never sent. */
export interface RowProblem {
  code: 'INVALID_ROW' | 'INVALID_QUANTITY' | 'INVALID_MODE' | 'MISSING_MEMBER' | 'MISSING_REWARD';
  message: string;
}

/** One data row of a grants file, read and checked. */
export interface GrantRow {
  /** Line the row starts on in the file: the row number of the report and of its event id. */
  line: number;
  /** Position among the data rows (0-based): the order of the report. */
  seq: number;
  /** The member and reward keys as written, and the columns they came from. */
  member: string;
  memberColumn: MemberColumn | null;
  reward: string;
  rewardColumn: RewardColumn | null;
  /** The quantity as written ('' = default 1); `quantity` is valid only when `problem` is null. */
  quantityText: string;
  quantity: number;
  mode: GrantMode;
  note: string | null;
  problem: RowProblem | null;
}

/**
 * What happened to a row. `skipped`: not granted because the batch is all-or-nothing and another
 * row failed; `would_grant`: a dry run's verdict.
 */
export type Outcome = 'granted' | 'already_granted' | 'refused' | 'invalid' | 'skipped' | 'would_grant';

export interface RowResult {
  line: number;
  seq: number;
  member: string;
  reward: string;
  quantity: string;
  outcome: Outcome;
  error_code: string | null;
  message: string;
  /** The row's event id once it is valid and resolved (granted, refused by the engine, planned). */
  event_id: string | null;
  redemption_codes: string[];
  promo_codes: string[];
  units: number;
  points: number;
}

export const OUTCOMES: readonly Outcome[] = ['granted', 'already_granted', 'refused', 'invalid', 'skipped', 'would_grant'];

export type OutcomeCounts = Record<Outcome, number>;

export function emptyCounts(): OutcomeCounts {
  return { granted: 0, already_granted: 0, refused: 0, invalid: 0, skipped: 0, would_grant: 0 };
}
