import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Schema } from '../db/schema.js';
import { isoTime } from './time.js';

// The audit log as `redeemctl audit` lists it (docs/audit.md): who changed what, when and why.
// Rows of the merchant in context, and the topic-wide ones (merchant_id null: an action on
// something no single merchant owns), newest first. Read only; what writes rows is the engine
// (cancel, redeem --mode direct|force, use/unuse) and, through src/db/audit.ts recordAudit, the
// features (codes import and void, batch run, events inject/replay/rewind, dlq redrive).

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
 * The merchant's rows and the topic-wide ones are read apart, each newest first down
 * audit_log_merchant_time (merchant_id, created_at) and stopped after `limit + 1`, then merged:
 * the cost is the page, not the log, with or without --since (an `or` of the two would read every
 * matching row of the merchant and sort them). The total is counted only when the page is full.
 */
export async function auditEntries(db: Kysely<Schema>, filter: AuditFilter): Promise<AuditList> {
  const page = filter.limit + 1;
  const part = (merchant: RawBuilder<unknown>) => sql`(select * from audit_log where ${merchant} and ${conditions(filter)}
    order by created_at desc, id desc limit ${page})`;
  const { rows } = await sql<Row>`select * from (${part(sql`merchant_id = ${filter.merchantId}::uuid`)} union all ${part(sql`merchant_id is null`)}) a
    order by created_at desc, id desc limit ${page}`.execute(db);
  const truncated = rows.length > filter.limit;
  const total = truncated
    ? Number(
        (
          await sql<{ n: string }>`select count(*) as n from audit_log
            where (merchant_id = ${filter.merchantId}::uuid or merchant_id is null) and ${conditions(filter)}`.execute(db)
        ).rows[0]!.n,
      )
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

interface Row extends Omit<AuditEntry, 'created_at'> {
  created_at: Date;
}

/** --since, --actor, --action; `true` when none is given. */
function conditions(filter: AuditFilter): RawBuilder<unknown> {
  const parts: Array<RawBuilder<unknown>> = [sql`true`];
  if (filter.since) parts.push(sql`created_at >= ${isoTime(filter.since)}::timestamptz`);
  if (filter.actor !== undefined) parts.push(sql`actor = ${filter.actor}::text`);
  if (filter.action !== undefined) parts.push(sql`action = ${filter.action}::text`);
  return sql.join(parts, sql` and `);
}
