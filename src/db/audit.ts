import { sql, type Kysely } from 'kysely';
import type { RawConnection } from './database.js';
import type { Schema } from './schema.js';

// The audit log (table audit_log): one row per operator action that changed state, saying who,
// why, what it touched and how much. The SQL functions write their own rows (cancel, use, staff
// redeems); everything written from TypeScript goes through recordAudit, on a Kysely handle (or
// transaction) or on a raw connection inside a transaction the caller holds (codes import, void).

export interface AuditEntry {
  /** Null for an action on something no merchant owns (a consumer group, the dead-letter topic). */
  merchantId: string | null;
  actor: string;
  /** What was done, e.g. `events_inject`, `dlq_redrive`, `codes_import`. */
  action: string;
  /** What it touched: `topic`, `consumer_group`, `reward`, `batch`, … and which one. */
  targetType: string;
  targetId: string | null;
  reason: string | null;
  /** Counts and whatever else says what it did (published, skipped, offsets moved, …). */
  details: Record<string, unknown>;
}

const INSERT = `insert into audit_log (merchant_id, actor, action, target_type, target_id, reason, details)
                values ($1::uuid, $2, $3, $4, $5, $6, $7::jsonb)`;

function isRaw(on: Kysely<Schema> | RawConnection): on is RawConnection {
  return typeof (on as RawConnection).exec === 'function';
}

/** Writes one audit row, in the caller's transaction when `on` is one. */
export async function recordAudit(on: Kysely<Schema> | RawConnection, entry: AuditEntry): Promise<void> {
  const params = [entry.merchantId, entry.actor, entry.action, entry.targetType, entry.targetId, entry.reason, JSON.stringify(entry.details)];
  if (isRaw(on)) {
    await on.query(INSERT, params);
    return;
  }
  await sql`insert into audit_log (merchant_id, actor, action, target_type, target_id, reason, details)
            values (${params[0]}::uuid, ${params[1]}, ${params[2]}, ${params[3]}, ${params[4]}, ${params[5]}, ${params[6]}::jsonb)`.execute(on);
}
