import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { UsageError } from '../shared/errors.js';
import { lineError, readJsonLines } from '../shared/jsonLines.js';
import { parseRedemptionEvent, type RedemptionEvent } from '../kafka/redemptionEvent.js';
import type { ReplayCandidate } from './replay.js';

// `events replay --file`: events (JSON lines, e.g. from `events tail --json` or a corrected
// dead letter) replayed under the same rules as --failed. The original must be a FAILED request
// of this merchant: replaying a success would grant twice, and an event with no record yet may
// still be processed (publish it unchanged with `events inject --file`: same id, idempotent).

export async function readReplayFile(path: string, merchantId: string): Promise<RedemptionEvent[]> {
  const events: RedemptionEvent[] = [];
  for (const { line, text } of await readJsonLines('--file', path)) {
    const parsed = parseRedemptionEvent(text);
    if (!parsed.ok) throw lineError(path, line, parsed.reason);
    if (parsed.event.merchant_id !== merchantId) {
      throw lineError(path, line, `merchant_id ${parsed.event.merchant_id} is not the merchant in context (${merchantId})`);
    }
    events.push(parsed.event);
  }
  if (events.length === 0) throw new UsageError(`${path} holds no events (expected JSON lines)`);
  return events;
}

/** The file's events as candidates (a replay in the file stands for its original), or why not. */
export async function fileCandidates(db: Kysely<Schema>, merchantId: string, events: RedemptionEvent[]) {
  const originals = [...new Set(events.map((e) => e.replay_of ?? e.event_id))];
  const records = await db
    .selectFrom('redemption_requests')
    .select(['event_id', 'status', 'error_code', 'created_at'])
    .where('merchant_id', '=', merchantId)
    .where('event_id', 'in', originals)
    .execute();
  const byId = new Map(records.map((r) => [r.event_id, r]));
  const candidates: ReplayCandidate[] = [];
  const skipped: Array<{ event_id: string; why: string }> = [];
  const done = new Set<string>();
  for (const event of events) {
    const original = event.replay_of ?? event.event_id;
    if (done.has(original)) continue;
    done.add(original);
    const record = byId.get(original);
    if (!record) skipped.push({ event_id: original, why: 'no record of it: it may still be processed; re-publish it unchanged with `events inject --file`' });
    else if (record.status !== 'failed') skipped.push({ event_id: original, why: `the original ${record.status}; a replay would grant twice` });
    else {
      const { user_id: userId, reward_id: rewardId, quantity } = event;
      candidates.push({ original, errorCode: record.error_code, userId, rewardId, quantity, mode: 'calc', createdAt: new Date(record.created_at) });
    }
  }
  return { candidates, skipped };
}
