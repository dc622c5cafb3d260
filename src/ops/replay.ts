import { sql, type Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { newEvent, type RedemptionEvent } from '../kafka/redemptionEvent.js';

// `events replay`: failed requests published again as NEW events linked by replay_of. A replay's
// id is `<original>:replay:<k>`, k = how many replays of it already have a request record, so:
// - a second run before the worker recorded the first publishes the same ids (a redelivery: the
//   engine returns the stored result), never a second grant;
// - an original whose replay succeeded is skipped;
// - a replay that failed again lets the next run try `<original>:replay:<k+1>`.

const REPLAY_ID = ':replay:[0-9]+$';
const MAX_EVENT_ID = 200;

export function replayId(original: string, attempt: number): string {
  return `${original}:replay:${attempt}`;
}

/** A failed request to replay, and what the replay carries (from the record, or from --file). */
export interface ReplayCandidate {
  original: string;
  errorCode: string | null;
  userId: string | null;
  rewardId: string | null;
  quantity: number | null;
  mode: string;
  /** When the original was recorded: its replays come later (bounds the lookup by index). */
  createdAt: Date;
  member?: string | null;
  reward?: string | null;
}

export interface PlannedReplay {
  original: string;
  error_code: string | null;
  user_id: string;
  member: string;
  reward_id: string;
  reward: string;
  quantity: number;
  replay_id: string;
  attempt: number;
}

export interface ReplayPlan {
  plan: PlannedReplay[];
  skipped: Array<{ event_id: string; why: string }>;
}

/** Failed originals of this merchant (replays themselves excluded), oldest first. */
export async function failedRequests(db: Kysely<Schema>, merchantId: string, filter: { errorCode?: string; since?: Date }): Promise<ReplayCandidate[]> {
  let query = db
    .selectFrom('redemption_requests as r')
    .leftJoin('user_accounts as u', 'u.id', 'r.user_id')
    .leftJoin('reward_master as m', 'm.id', 'r.reward_id')
    .select(['r.event_id', 'r.error_code', 'r.user_id', 'r.reward_id', 'r.quantity', 'r.mode', 'r.created_at', 'u.email', 'u.tel', 'm.reward_code'])
    .where('r.merchant_id', '=', merchantId)
    .where('r.status', '=', 'failed')
    .where('r.replay_of', 'is', null)
    // A replay recorded by a worker that did not pass replay_of still carries the suffix.
    .where(sql<boolean>`r.event_id !~ ${REPLAY_ID}`);
  if (filter.errorCode !== undefined) query = query.where('r.error_code', '=', filter.errorCode);
  if (filter.since !== undefined) query = query.where('r.created_at', '>=', filter.since);
  const rows = await query.orderBy('r.created_at').orderBy('r.event_id').execute();
  return rows.map((r) => ({
    original: r.event_id,
    errorCode: r.error_code,
    userId: r.user_id,
    rewardId: r.reward_id,
    quantity: r.quantity,
    mode: r.mode,
    createdAt: new Date(r.created_at),
    member: r.email ?? r.tel,
    reward: r.reward_code,
  }));
}

/**
 * Earlier replays of these originals: by replay_of, or by the id suffix (a worker that did not
 * pass replay_of). Replays are recorded after their original, so the merchant's requests since
 * the oldest original are enough (the (merchant_id, created_at) index).
 */
async function replaysOf(db: Kysely<Schema>, merchantId: string, candidates: ReplayCandidate[]) {
  const byOriginal = new Map<string, Array<{ event_id: string; status: string }>>();
  if (candidates.length === 0) return byOriginal;
  const originals = candidates.map((c) => c.original);
  const since = new Date(Math.min(...candidates.map((c) => c.createdAt.getTime())));
  const { rows } = await sql<{ original: string; event_id: string; status: string }>`
    select coalesce(replay_of, regexp_replace(event_id, ${REPLAY_ID}, '')) as original, event_id, status
    from redemption_requests
    where merchant_id = ${merchantId} and created_at >= ${since}
      and (replay_of = any (${originals}::text[])
           or (event_id ~ ${REPLAY_ID} and regexp_replace(event_id, ${REPLAY_ID}, '') = any (${originals}::text[])))`.execute(db);
  for (const row of rows) byOriginal.set(row.original, [...(byOriginal.get(row.original) ?? []), row]);
  return byOriginal;
}

/** Which candidates get a replay, under which id, and why the others do not. */
export async function planReplays(db: Kysely<Schema>, merchantId: string, candidates: ReplayCandidate[], limit?: number): Promise<ReplayPlan> {
  const replays = await replaysOf(db, merchantId, candidates);
  const result: ReplayPlan = { plan: [], skipped: [] };
  for (const c of candidates) {
    const skip = (why: string) => result.skipped.push({ event_id: c.original, why });
    const earlier = replays.get(c.original) ?? [];
    const succeeded = earlier.find((r) => r.status === 'succeeded');
    if (succeeded) skip(`already replayed successfully as ${succeeded.event_id}`);
    else if (c.mode !== 'calc') skip(`mode ${c.mode} is not a member request; redo it with \`redeem --mode ${c.mode}\``);
    else if (!c.userId || !c.rewardId || c.quantity === null) skip('the record names no member or reward (an unreadable event): replay a corrected event with --file');
    else if (limit !== undefined && result.plan.length >= limit) skip(`beyond --limit ${limit}`);
    else {
      const ids = new Set(earlier.map((r) => r.event_id));
      let attempt = earlier.length;
      while (ids.has(replayId(c.original, attempt))) attempt++;
      const id = replayId(c.original, attempt);
      if (id.length > MAX_EVENT_ID) skip(`the replay id would exceed ${MAX_EVENT_ID} characters`);
      else
        result.plan.push({
          original: c.original,
          error_code: c.errorCode,
          user_id: c.userId,
          member: c.member ?? c.userId,
          reward_id: c.rewardId,
          reward: c.reward ?? c.rewardId,
          quantity: c.quantity,
          replay_id: id,
          attempt,
        });
    }
  }
  return result;
}

export function replayEvents(plan: PlannedReplay[], merchantId: string): RedemptionEvent[] {
  return plan.map((p) =>
    newEvent({ userId: p.user_id, rewardId: p.reward_id, merchantId, quantity: p.quantity, eventId: p.replay_id, replayOf: p.original }),
  );
}
