import type { Kafka, logLevel as LogLevel } from 'kafkajs';
import type { KafkaSettings } from './settings.js';

/**
 * A kafkajs client whose own logs go to stderr, errors only unless KAFKAJS_LOG_LEVEL says
 * otherwise, so stdout stays for the command's output. kafkajs is imported lazily: most
 * commands never touch Kafka.
 */
export async function createKafka(settings: KafkaSettings, clientId: string, env: Record<string, string | undefined> = process.env): Promise<Kafka> {
  const { Kafka, logLevel } = await import('kafkajs');
  const level = (logLevel as unknown as Record<string, LogLevel>)[env.KAFKAJS_LOG_LEVEL ?? 'ERROR'] ?? logLevel.ERROR;
  return new Kafka({
    clientId,
    brokers: settings.brokers,
    logLevel: level,
    logCreator: () => ({ namespace, log }) => {
      process.stderr.write(`[kafkajs] ${namespace}: ${log.message}${log.error ? ` (${String(log.error)})` : ''}\n`);
    },
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5_000 },
  });
}
