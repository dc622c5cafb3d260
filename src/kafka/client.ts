import type { Kafka, KafkaConfig, logLevel as LogLevel } from 'kafkajs';
import { explainKafkaError, KafkaUnreachableError } from '../shared/errors.js';
import { explainSecurityFailure } from './security.js';
import type { KafkaSettings } from './settings.js';
import { kafkaVerbose } from './verbosity.js';

/** How the first contact with the brokers is tried: about 1 s when refused, at most ~6 s when nothing answers. */
const PROBE: Pick<KafkaConfig, 'retry' | 'connectionTimeout' | 'requestTimeout' | 'authenticationTimeout'> = {
  retry: { retries: 2, initialRetryTime: 300, maxRetryTime: 1_000 },
  connectionTimeout: 1_500,
  requestTimeout: 3_000,
  authenticationTimeout: 3_000,
};

/** The long-lived clients' retries: they ride out a broker restart (the worker's, tests/worker/brokerRestart.test.ts). */
const RETRY: KafkaConfig['retry'] = { retries: 8, initialRetryTime: 200, maxRetryTime: 5_000 };

/**
 * kafkajs's level: KAFKAJS_LOG_LEVEL when set (NOTHING, ERROR, WARN, INFO, DEBUG); else ERROR with
 * --verbose and nothing without it, so an operator sees our one-line explanations, not its retries.
 */
function logLevelOf(levels: typeof LogLevel, env: Record<string, string | undefined>, verbose: boolean): LogLevel {
  const named = env.KAFKAJS_LOG_LEVEL === undefined ? undefined : (levels as unknown as Record<string, LogLevel>)[env.KAFKAJS_LOG_LEVEL];
  return named ?? (verbose ? levels.ERROR : levels.NOTHING);
}

/**
 * A kafkajs client whose own logs go to stderr (only with --verbose or KAFKAJS_LOG_LEVEL), so
 * stdout stays for the command's output. kafkajs is imported lazily: most commands never touch Kafka.
 *
 * Before it is returned, the brokers are tried once with short retries (PROBE): when none
 * answers, this throws KafkaUnreachableError (exit 3, one line naming the brokers and
 * KAFKA_BROKERS / --brokers) within seconds, instead of kafkajs's ~20 s of retries. That is the
 * start of every command that talks to Kafka (events, dlq, worker, serve); the client returned
 * keeps the long retries, so a running worker still rides out a broker restart.
 */
export async function createKafka(
  settings: KafkaSettings,
  clientId: string,
  env: Record<string, string | undefined> = process.env,
  options: { verbose?: boolean; probe?: boolean } = {},
): Promise<Kafka> {
  const { Kafka, logLevel } = await import('kafkajs');
  const config: KafkaConfig = {
    clientId,
    brokers: settings.brokers,
    logLevel: logLevelOf(logLevel, env, options.verbose ?? kafkaVerbose()),
    logCreator: () => ({ namespace, log }) => {
      process.stderr.write(`[kafkajs] ${namespace}: ${log.message}${log.error ? ` (${String(log.error)})` : ''}\n`);
    },
    // TLS and SASL (KAFKA_SSL*, KAFKA_SASL*): every client, the probe's included
    ...settings.security?.clientConfig(),
  };
  if (options.probe ?? true) await probe(new Kafka({ ...config, ...PROBE, clientId: `${clientId}-probe` }), settings);
  return new Kafka({ ...config, retry: RETRY });
}

/**
 * Connects an admin client and asks for the cluster's brokers (one metadata request), then lets
 * go. Both steps: kafkajs's connect alone lets a server that accepts connections but never answers
 * (not a Kafka broker, or a hung one) through, and the next request then waits its long retries.
 * Credentials refused and a failed TLS handshake are named as such (src/kafka/security.ts), exit 3.
 */
async function probe(kafka: Kafka, settings: KafkaSettings): Promise<void> {
  const { brokers } = settings;
  const admin = kafka.admin();
  const started = Date.now();
  try {
    await admin.connect();
    await admin.describeCluster();
  } catch (error) {
    const refused = explainSecurityFailure(error, brokers, settings.security);
    if (refused) throw refused;
    const explained = explainKafkaError(error, brokers);
    if (explained instanceof KafkaUnreachableError) throw explained;
    const message = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
    throw new KafkaUnreachableError(brokers, `no answer from a Kafka broker within ${((Date.now() - started) / 1000).toFixed(1)} s: ${message}`, { cause: error });
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
