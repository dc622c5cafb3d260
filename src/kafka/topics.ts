import type { Admin, Kafka } from 'kafkajs';
import { DependencyError } from '../shared/errors.js';
import { sleep } from '../shared/sleep.js';

/**
 * The topics a worker needs, created when missing (issue 10): starting workers before the first
 * event is the normal order of a deployment, and a consumer that subscribes to a topic that does
 * not exist yet fails ("This server does not host this topic-partition"). The topic and its
 * `.dlq` are created with `partitions` partitions and `replicationFactor` replicas; a topic that
 * exists is left as it is (its partition count is never changed). Two workers starting at once
 * both try; the second finds TOPIC_ALREADY_EXISTS, which is fine.
 */
export interface TopicPlan {
  topics: readonly string[];
  partitions: number;
  replicationFactor: number;
  /** How long to wait for every partition of a new topic to have a leader (default 30 s). */
  leaderWaitMs?: number;
}

export const DEFAULT_TOPIC_PARTITIONS = 3;
export const DEFAULT_REPLICATION_FACTOR = 1;

/** Creates the missing topics of the plan; resolves to the names it created. */
export async function ensureTopics(kafka: Kafka, plan: TopicPlan): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = plan.topics.filter((t) => !existing.has(t));
    if (missing.length === 0) return [];
    try {
      await admin.createTopics({
        topics: missing.map((topic) => ({ topic, numPartitions: plan.partitions, replicationFactor: plan.replicationFactor })),
        waitForLeaders: false,
      });
    } catch (error) {
      throw new DependencyError(
        `Cannot create Kafka topic ${missing.join(', ')} (${plan.partitions} partitions, replication factor ${plan.replicationFactor}): ${messageOf(error)}. ` +
          'Create it beforehand, or check the broker\'s ACLs (the worker needs CREATE on the topics) and replication factor.',
        { cause: error },
      );
    }
    await waitForLeaders(admin, missing, plan.leaderWaitMs ?? 30_000);
    return missing;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * kafkajs's own waitForLeaders retries only LEADER_NOT_AVAILABLE; a KRaft broker can answer
 * UNKNOWN_TOPIC_OR_PARTITION for a moment after creating a topic, so poll the metadata instead.
 */
export async function waitForLeaders(admin: Admin, topics: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
      const ready = metadata.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      if (ready && metadata.length === topics.length) return;
    } catch {
      // not known yet: try again
    }
    if (Date.now() > deadline) throw new DependencyError(`Kafka topic ${topics.join(', ')} was created but has no leader after ${Math.round(timeoutMs / 1000)} s`);
    await sleep(200);
  }
}

function messageOf(error: unknown): string {
  const nested = (error as { errors?: Array<{ message?: string }> } | null)?.errors;
  if (Array.isArray(nested) && nested.length > 0) return nested.map((e) => e.message ?? String(e)).join('; ');
  return error instanceof Error ? error.message : String(error);
}
