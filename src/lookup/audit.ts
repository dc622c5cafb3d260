import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { isoTime } from './time.js';

// The audit log as `redeemctl audit` lists it (docs/audit.md): who changed what, when and why.
// Rows of the merchant in context, and the topic-wide ones (merchant_id null: an action on
// something no single merchant owns), newest first. Read only; what writes rows is the engine
// (cancel, redeem --mode direct|force, use/unuse) and the features (codes void, batch run).

export interface AuditEntry {
  id: number;
  created_at: string;
  /** null: a topic-wide action, not one merchant's. */
  merchant_id: string | null;
  actor: string;
  action: string;
  target_type: string;
  target_id: string | null;
  reason: string | null;
  details: unknown;
}

export interface AuditFilter {
  merchantId: string;
  since: Date | null;
  actor?: string | undefined;
  action?: string | undefined;
  limit: number;
}

export interface AuditList {
  filters: { since: string | null; actor: string | null; action: string | null; limit: number };
  entries: AuditEntry[];
  /** Rows matching the filters in all; more than `entries` when `truncated`. */
  total: number;
  truncated: boolean;
}

/**
 * At most `limit` rows, newest first (by created_at, then id). Actor and action match exactly.
 * Both sides of the `or` are conditions on audit_log_merchant_time (merchant_id, created_at), so
 * the planner reads that index twice (a BitmapOr) rather than the table. The total is counted
 * only when the page is full: a second read of the same index ranges.
 */
export async function auditEntries(db: Kysely<Schema>, filter: AuditFilter): Promise<AuditList> {
  const rows = await matching(db, filter)
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.limit + 1)
    .execute();
  const truncated = rows.length > filter.limit;
  const total = truncated
    ? Number((await matching(db, filter).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n)
    : rows.length;
  return {
    filters: { since: isoTime(filter.since), actor: filter.actor ?? null, action: filter.action ?? null, limit: filter.limit },
    entries: rows.slice(0, filter.limit).map((row) => ({
      id: Number(row.id),
      created_at: isoTime(row.created_at)!,
      merchant_id: row.merchant_id,
      actor: row.actor,
      action: row.action,
      target_type: row.target_type,
      target_id: row.target_id,
      reason: row.reason,
      details: row.details,
    })),
    total,
    truncated,
  };
}

function matching(db: Kysely<Schema>, filter: AuditFilter) {
  let query = db
    .selectFrom('audit_log')
    .where((eb) => eb.or([eb('merchant_id', '=', filter.merchantId), eb('merchant_id', 'is', null)]));
  if (filter.since) query = query.where('created_at', '>=', filter.since);
  if (filter.actor !== undefined) query = query.where('actor', '=', filter.actor);
  if (filter.action !== undefined) query = query.where('action', '=', filter.action);
  return query;
}
