import { randomBytes } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import { explainKafkaError, type DependencyError } from '../shared/errors.js';
import { retrying, type RetryPolicy } from '../shared/retry.js';
import { createKafka } from './client.js';
import type { KafkaSettings } from './settings.js';

// Connecting the operator tools' Kafka clients, with "cannot reach the broker" as exit 3.

/** A consumer group name no one else uses, for reads that must not disturb a real group. */
export function throwawayGroup(purpose: string): string {
  return `redeemctl-${purpose}-${randomBytes(5).toString('hex')}`;
}

/** Runs connect(); a failure is the dependency being down (exit 3), named with the fix. */
export async function connectOrExplain(settings: KafkaSettings, connect: () => Promise<void>): Promise<void> {
  try {
    await connect();
  } catch (error) {
    throw unreachable(settings, error);
  }
}

/** kafkajs's own errors (KafkaJSError and its subclasses), as opposed to a bug of ours. */
export function isKafkaError(error: unknown): boolean {
  return error instanceof Error && error.name.startsWith('KafkaJS');
}

const KAFKA_RETRY: RetryPolicy = { attempts: 8, baseDelayMs: 100, maxDelayMs: 2_000 };

/**
 * Retries what kafkajs marks retriable: a group coordinator still loading, a partition leader
 * moving or not yet serving a new topic. kafkajs's admin retries some of these itself, not all
 * (fetchOffsets and fetchTopicOffsets give up at once). Anything else is thrown as it is.
 */
export function kafkaRetry<T>(op: () => Promise<T>, policy: RetryPolicy = KAFKA_RETRY): Promise<T> {
  return retrying(op, { policy, retryError: (error) => isKafkaError(error) && (error as { retriable?: boolean }).retriable === true });
}

/**
 * What kafkajs threw while connecting, as the dependency being down (exit 3) in the one wording
 * of explainKafkaError (src/shared/errors.ts): one line naming the brokers and the setting.
 */
export function unreachable(settings: KafkaSettings, error: unknown): DependencyError {
  return explainKafkaError(error, settings.brokers, { connecting: true });
}

export interface KafkaSession {
  kafka: Kafka;
  admin: Admin;
  close(): Promise<void>;
}

/** A client and a connected admin; close() disconnects it (and never throws). */
export async function openSession(settings: KafkaSettings, clientId: string, env: Record<string, string | undefined>): Promise<KafkaSession> {
  const kafka = await createKafka(settings, clientId, env);
  const admin = kafka.admin();
  await connectOrExplain(settings, () => admin.connect());
  return { kafka, admin, close: () => admin.disconnect().catch(() => {}) };
}

/** Is the group being consumed right now? (Empty and Dead mean no live member.) */
export async function groupState(admin: Admin, groupId: string): Promise<{ state: string; members: number; live: boolean }> {
  const { groups } = await kafkaRetry(() => admin.describeGroups([groupId]));
  const group = groups[0];
  const state = group?.state ?? 'Dead';
  return { state, members: group?.members.length ?? 0, live: state !== 'Empty' && state !== 'Dead' };
}

/** Low and high watermarks per partition, or null when the topic does not exist. */
export async function topicOffsets(admin: Admin, topic: string): Promise<Array<{ partition: number; low: number; high: number }> | null> {
  const topics = await kafkaRetry(() => admin.listTopics());
  if (!topics.includes(topic)) return null;
  const offsets = await kafkaRetry(() => admin.fetchTopicOffsets(topic));
  return offsets
    .map((o) => ({ partition: o.partition, low: Number(o.low), high: Number(o.high) }))
    .sort((a, b) => a.partition - b.partition);
}
