import { KafkaNotConfiguredError } from '../shared/errors.js';
import { kafkaSecurity, type KafkaSecurity, type KafkaSecurityFlags } from './security.js';

export const DEFAULT_TOPIC = 'reward_redemptions';
export const DEFAULT_GROUP = 'crm-reward-consumer';

export interface KafkaSettings {
  brokers: string[];
  topic: string;
  /** Unreadable messages go here, with the reason and their origin in headers. */
  dlqTopic: string;
  /** TLS and SASL (src/kafka/security.ts); absent: plain TCP, no authentication. */
  security?: KafkaSecurity | undefined;
}

/**
 * Flag, then environment (KAFKA_BROKERS, KAFKA_TOPIC, and the TLS and SASL settings of
 * src/kafka/security.ts), then default. A command that needs Kafka and has none configured stops
 * at once (exit 3) naming the setting; a bad security setting is exit 2.
 */
export function kafkaSettings(
  flags: { brokers?: string | undefined; topic?: string | undefined } & KafkaSecurityFlags,
  env: Record<string, string | undefined>,
): KafkaSettings {
  const raw = flags.brokers ?? env.KAFKA_BROKERS ?? '';
  const brokers = raw
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0) {
    throw new KafkaNotConfiguredError();
  }
  const topic = flags.topic ?? env.KAFKA_TOPIC ?? DEFAULT_TOPIC;
  const security = kafkaSecurity(flags, env);
  return { brokers, topic, dlqTopic: `${topic}.dlq`, ...(security === undefined ? {} : { security }) };
}
