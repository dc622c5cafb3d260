import { sql, type Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { UsageError } from '../shared/errors.js';
import { retrying, type RetryOptions } from '../shared/retry.js';
import { isUuid } from '../shared/uuid.js';
import type { RedeemRequest, RedeemResult } from './types.js';

/** One call of redeem_reward_with_points, as it is: no retry. */
export async function redeemOnce(db: Kysely<Schema>, request: RedeemRequest): Promise<RedeemResult> {
  for (const [name, value] of [
    ['merchantId', request.merchantId],
    ['userId', request.userId],
    ['rewardId', request.rewardId],
  ] as const) {
    if (!isUuid(value)) throw new UsageError(`${name} must be a uuid, got ${JSON.stringify(value)}`);
  }
  const timestamp = request.eventTimestamp instanceof Date ? request.eventTimestamp.toISOString() : request.eventTimestamp;
  const { rows } = await sql<{ result: RedeemResult }>`
    select redeem_reward_with_points(
      p_reward_id => ${request.rewardId}::uuid,
      p_quantity => ${request.quantity}::int,
      p_user_id => ${request.userId}::uuid,
      p_merchant_id => ${request.merchantId}::uuid,
      p_mode => ${request.mode ?? 'calc'},
      p_event_id => ${request.eventId ?? null},
      p_source_type => ${request.sourceType ?? 'api'},
      p_source_id => ${request.sourceId ?? null},
      p_actor => ${request.actor ?? null},
      p_reason => ${request.reason ?? null},
      p_event_timestamp => ${timestamp ?? null}::timestamptz,
      p_replay_of => ${request.replayOf ?? null}
    ) as result`.execute(db);
  return rows[0]!.result;
}

/**
 * Redeems with the retry policy: transient database errors and CONCURRENT_CONFLICT are tried
 * again (same event id, so at most one attempt takes effect); business refusals never are.
 */
export function redeem(
  db: Kysely<Schema>,
  request: RedeemRequest,
  options: Omit<RetryOptions<RedeemResult>, 'retryResult'> = {},
): Promise<RedeemResult> {
  // A generated event id must be fixed before the first try, or retries would not be idempotent.
  const fixed: RedeemRequest = { ...request, eventId: request.eventId ?? crypto.randomUUID() };
  return retrying(() => redeemOnce(db, fixed), {
    ...options,
    retryResult: (result) => result.error_code === 'CONCURRENT_CONFLICT',
  });
}
