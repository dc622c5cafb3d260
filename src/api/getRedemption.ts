import type { Database } from '../db/database.js';
import type { TokenVerifier } from './auth.js';
import { HttpError, sendJson, type Handler } from './http.js';
import { memberRedemption } from './memberView.js';

export interface GetDeps {
  verifier: TokenVerifier;
  database: Database;
}

type Status = 'pending' | 'succeeded' | 'failed';

/**
 * GET /redemptions/<event_id>: the outcome of one of the caller's own requests. No request record
 * visible to this member in this merchant reads "pending": a request the worker has not reached
 * yet, an unknown id and another member's id all answer the same, so nothing leaks (docs/api.md).
 */
export function getRedemption(deps: GetDeps): Handler {
  return async (req, res, params) => {
    const principal = await deps.verifier.verify(req.headers.authorization);
    const eventId = decodeEventId(params.event_id!);
    const { db } = deps.database;
    const record = await db
      .selectFrom('redemption_requests')
      .select(['status', 'error_code', 'result'])
      .where('event_id', '=', eventId)
      .where('merchant_id', '=', principal.merchantId)
      .where('user_id', '=', principal.userId)
      .executeTakeFirst();
    if (!record || record.status === 'processing') {
      sendJson(res, 200, { success: true, event_id: eventId, status: 'pending', error_code: null, message: 'Not processed yet', redemptions: [] });
      return;
    }
    const rows = await db
      .selectFrom('reward_redemptions_ledger')
      .selectAll()
      .where('event_id', '=', eventId)
      .where('merchant_id', '=', principal.merchantId)
      .where('user_id', '=', principal.userId)
      .orderBy('created_at')
      .orderBy('promo_code_id')
      .orderBy('id')
      .execute();
    const result = (record.result ?? {}) as { message?: string };
    const status: Status = record.status;
    sendJson(res, 200, {
      success: true,
      event_id: eventId,
      status,
      error_code: record.error_code,
      message: result.message ?? null,
      redemptions: rows.map((row) => memberRedemption(row)),
    });
  };
}

/** C0 controls (NUL among them, which PostgreSQL text cannot hold at all), DEL and C1 controls. */
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Event ids are 1..200 characters (redemption_requests' check) of printable text; anything else
 * cannot exist, so it is a 400 here rather than a query the database refuses (a NUL was a 500).
 */
export function decodeEventId(raw: string): string {
  if (raw.length > 200 * 12) throw new HttpError(400, 'event_id must be 1 to 200 characters');
  let id: string;
  try {
    id = decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, 'event_id is malformed (invalid percent-encoding)');
  }
  if (id.length < 1 || id.length > 200) throw new HttpError(400, 'event_id must be 1 to 200 characters');
  if (CONTROL_CHARACTERS.test(id)) throw new HttpError(400, 'event_id must not contain control characters');
  return id;
}
