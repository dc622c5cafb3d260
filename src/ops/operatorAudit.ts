import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { recordAudit } from '../db/audit.js';

// Who runs an operator command that changes state, and why: given to the src/ops/ function that
// acts (events inject, replay, rewind, dlq redrive), which records one audit row once it has
// acted, with what it actually did (or, when it failed part-way, what it had done by then).

export interface OperatorAudit {
  db: Kysely<Schema>;
  /** Null for topic-wide actions (rewind, redrive): no merchant owns a consumer group. */
  merchantId: string | null;
  actor: string;
  reason: string;
}

export function recordOperation(
  audit: OperatorAudit,
  action: string,
  target: { type: string; id: string },
  details: Record<string, unknown>,
): Promise<void> {
  return recordAudit(audit.db, {
    merchantId: audit.merchantId,
    actor: audit.actor,
    action,
    targetType: target.type,
    targetId: target.id,
    reason: audit.reason,
    details,
  });
}

/**
 * Runs `act`; when it throws after doing part of its work (`done()` > 0), the audit row records
 * that part, with the error, before the error goes on. A failure that did nothing records nothing.
 */
export async function auditingFailure<T>(act: () => Promise<T>, done: () => number, record: (partial: { done: number; error: string }) => Promise<void>): Promise<T> {
  try {
    return await act();
  } catch (error) {
    const count = done();
    if (count > 0) await record({ done: count, error: error instanceof Error ? error.message : String(error) }).catch(() => {});
    throw error;
  }
}
