import type { Admin } from 'kafkajs';
import { UsageError } from '../shared/errors.js';
import { groupState, kafkaRetry, topicOffsets } from '../kafka/opsClients.js';

// `events rewind`: move a stopped consumer group's committed offsets back (or forward) on one
// topic. A plan by default; apply() only with --execute, and never while the group has members.
// Nothing is written to the database: the engine's idempotency makes re-delivered events safe.

export type RewindTarget = { to: 'offset'; all?: number; byPartition?: Map<number, number> } | { to: 'time'; at: Date };

export interface PartitionMove {
  partition: number;
  low: number;
  high: number;
  /** The group's committed offset, or null when it has none on this partition. */
  committed: number | null;
  /** Where the group resumes after --execute; null: not named and nothing committed. */
  target: number | null;
  /** Messages consumed again (committed − target), null when nothing was committed. */
  redelivered: number | null;
  change: boolean;
  note?: string;
}

export interface RewindPlan {
  group: string;
  topic: string;
  state: string;
  members: number;
  live: boolean;
  partitions: PartitionMove[];
  redelivered: number;
}

/** `--to-offset 0` (every partition) or `--to-offset 0:10,2:7` (only those). */
export function parseOffsetTarget(raw: string): RewindTarget {
  const text = raw.trim();
  if (/^\d+$/.test(text)) return { to: 'offset', all: Number(text) };
  const byPartition = new Map<number, number>();
  for (const part of text.split(',')) {
    const match = /^\s*(\d+):(\d+)\s*$/.exec(part);
    if (!match) throw new UsageError(`--to-offset must be an offset (applies to every partition) or PARTITION:OFFSET[,…], got ${JSON.stringify(raw)}`);
    byPartition.set(Number(match[1]), Number(match[2]));
  }
  return { to: 'offset', byPartition };
}

export async function planRewind(admin: Admin, group: string, topic: string, target: RewindTarget): Promise<RewindPlan> {
  const watermarks = await topicOffsets(admin, topic);
  if (!watermarks) throw new UsageError(`Topic ${topic} does not exist: check --topic or KAFKA_TOPIC`);
  const state = await groupState(admin, group);
  const [committedTopic] = await kafkaRetry(() => admin.fetchOffsets({ groupId: group, topics: [topic] }));
  const committed = new Map((committedTopic?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  const byTime =
    target.to === 'time' ? new Map((await kafkaRetry(() => admin.fetchTopicOffsetsByTimestamp(topic, target.at.getTime()))).map((o) => [o.partition, Number(o.offset)])) : undefined;
  if (target.to === 'offset' && target.byPartition) {
    const unknown = [...target.byPartition.keys()].filter((p) => !watermarks.some((w) => w.partition === p));
    if (unknown.length > 0) throw new UsageError(`--to-offset names partition ${unknown[0]}, but ${topic} has partitions 0..${watermarks.length - 1}`);
  }
  const partitions = watermarks.map(({ partition, low, high }): PartitionMove => {
    const current = committed.get(partition);
    const has = current !== undefined && current >= 0;
    let wanted: number | undefined;
    if (target.to === 'time') wanted = byTime!.get(partition) ?? high;
    else wanted = target.all ?? target.byPartition!.get(partition);
    // A partition the plan does not name keeps its offset.
    if (wanted === undefined) return { partition, low, high, committed: has ? current : null, target: has ? current : null, redelivered: 0, change: false, note: 'not named' };
    const clamped = Math.min(Math.max(wanted, low), high);
    const note = clamped !== wanted ? `${wanted} is outside ${low}..${high}; clamped` : undefined;
    return {
      partition,
      low,
      high,
      committed: has ? current : null,
      target: clamped,
      redelivered: has ? Math.max(0, current - clamped) : null,
      change: !has || current !== clamped,
      ...(note !== undefined && { note }),
    };
  });
  const redelivered = partitions.reduce((sum, p) => sum + (p.redelivered ?? 0), 0);
  return { group, topic, state: state.state, members: state.members, live: state.live, partitions, redelivered };
}

/** Commits the plan's targets (kafkajs setOffsets: about 5 s) and returns the offsets read back. */
export async function applyRewind(admin: Admin, plan: RewindPlan): Promise<Map<number, number>> {
  const moves = plan.partitions.filter((p) => p.change);
  if (moves.length > 0) {
    await admin.setOffsets({ groupId: plan.group, topic: plan.topic, partitions: moves.map((p) => ({ partition: p.partition, offset: String(p.target) })) });
  }
  const [after] = await kafkaRetry(() => admin.fetchOffsets({ groupId: plan.group, topics: [plan.topic] }));
  return new Map((after?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
}
