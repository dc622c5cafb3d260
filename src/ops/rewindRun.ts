import type { KafkaSettings } from '../kafka/settings.js';
import { groupState, isKafkaError, openSession } from '../kafka/opsClients.js';
import type { Outcome } from '../shared/outcome.js';
import { recordOperation, type OperatorAudit } from './operatorAudit.js';
import { applyRewind, planRewind, type PartitionMove, type RewindPlan, type RewindTarget } from './rewind.js';

// `events rewind` from start to end: the plan, then with --execute the move, refused (exit 1,
// nothing changed) while the group has live members, including one that joins between the check
// and the move (kafkajs refuses then too). The database gets one audit row for an executed move.

/** Why re-delivery is harmless, said with every rewind. */
export const IDEMPOTENT_NOTE =
  'Re-delivered events are idempotent: the engine finds each event_id already recorded and returns the stored result, so nothing is granted twice.';

export type RewindVerdict = 'preview' | 'executed' | 'refused';

export interface RewindReport extends Omit<RewindPlan, 'partitions'> {
  /** What it acts on (database, topic, brokers), set by the command line: src/cli/target.ts. */
  target?: string;
  /** Each partition's move; after an executed rewind, with the offset read back. */
  partitions: Array<PartitionMove & { committed_after?: number | null }>;
  outcome: RewindVerdict;
  executed: boolean;
  note: string;
}

export async function rewindGroup(
  settings: KafkaSettings,
  env: Record<string, string | undefined>,
  request: { group: string; target: RewindTarget; execute: boolean; audit?: OperatorAudit | undefined },
): Promise<Outcome<RewindReport>> {
  const session = await openSession(settings, 'redeemctl-rewind', env);
  try {
    const plan = await planRewind(session.admin, request.group, settings.topic, request.target);
    let outcome: RewindVerdict = request.execute ? (plan.live ? 'refused' : 'executed') : 'preview';
    let after: Map<number, number> | undefined;
    if (outcome === 'executed') {
      try {
        after = await applyRewind(session.admin, plan);
      } catch (error) {
        // kafkajs refuses too when a consumer joined since the check: the same answer.
        if (!isKafkaError(error) || !(await groupState(session.admin, request.group)).live) throw error;
        outcome = 'refused';
      }
    }
    const partitions = plan.partitions.map((p) => ({ ...p, ...(after && { committed_after: after.get(p.partition) ?? null }) }));
    if (outcome === 'executed' && request.audit) await recordRewind(request.audit, plan, partitions);
    return { exitCode: outcome === 'refused' ? 1 : 0, result: { ...plan, partitions, outcome, executed: outcome === 'executed', note: IDEMPOTENT_NOTE } };
  } finally {
    await session.close();
  }
}

/** The audit row of an executed rewind: each partition moved, from where to where (read back). */
function recordRewind(audit: OperatorAudit, plan: RewindPlan, partitions: RewindReport['partitions']): Promise<void> {
  const moved = partitions
    .filter((p) => p.change)
    .map((p) => ({ partition: p.partition, from: p.committed, to: p.committed_after ?? p.target, redelivered: p.redelivered }));
  return recordOperation(audit, 'events_rewind', { type: 'consumer_group', id: plan.group }, { topic: plan.topic, partitions_moved: moved.length, redelivered: plan.redelivered, moved });
}
