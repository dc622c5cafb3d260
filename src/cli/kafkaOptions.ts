import { Option, type Command, type OptionValues } from '@commander-js/extra-typings';
import type { KafkaSecurityFlags } from '../kafka/security.js';
import { DEFAULT_TOPIC, kafkaSettings, type KafkaSettings } from '../kafka/settings.js';

/** The flags every `events` and `dlq` command takes (and `worker` and `serve` the security ones). */
export interface KafkaFlags extends KafkaSecurityFlags {
  brokers?: string | undefined;
  topic?: string | undefined;
}

/**
 * TLS and SASL flags, each with its environment variable. No flag takes a secret: the SASL password
 * comes from KAFKA_SASL_PASSWORD or a file (--kafka-sasl-password-file, KAFKA_SASL_PASSWORD_FILE).
 */
export function withKafkaSecurityOptions<Args extends unknown[], Opts extends OptionValues, Globals extends OptionValues>(command: Command<Args, Opts, Globals>) {
  return command
    .addOption(new Option('--kafka-ssl', 'connect to Kafka over TLS (env: KAFKA_SSL=true; implied by a TLS file)'))
    .addOption(new Option('--kafka-ssl-ca <file>', 'PEM CA certificate(s) to trust for the brokers (env: KAFKA_SSL_CA; default: the system CAs)'))
    .addOption(new Option('--kafka-ssl-cert <file>', 'PEM client certificate, for brokers that ask for one (env: KAFKA_SSL_CERT)'))
    .addOption(new Option('--kafka-ssl-key <file>', 'PEM key of the client certificate (env: KAFKA_SSL_KEY; its passphrase: KAFKA_SSL_KEY_PASSWORD)'))
    .addOption(new Option('--kafka-sasl-mechanism <mechanism>', 'SASL: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (env: KAFKA_SASL_MECHANISM; default: none)'))
    .addOption(new Option('--kafka-sasl-username <name>', 'SASL user (env: KAFKA_SASL_USERNAME)'))
    .addOption(new Option('--kafka-sasl-password-file <file>', 'file holding the SASL password (env: KAFKA_SASL_PASSWORD_FILE, or the password in KAFKA_SASL_PASSWORD)'));
}

/** --brokers, --topic, the security flags and --json, with the environment variable and the default in the help. */
export function withKafkaOptions<Args extends unknown[], Opts extends OptionValues, Globals extends OptionValues>(
  command: Command<Args, Opts, Globals>,
  json = 'one JSON document on stdout',
) {
  return withKafkaSecurityOptions(
    command
      .addOption(new Option('--brokers <host:port,…>', 'Kafka bootstrap brokers (env: KAFKA_BROKERS; no default)'))
      .addOption(new Option('--topic <name>', `the redemption events topic (env: KAFKA_TOPIC; default: ${DEFAULT_TOPIC})`)),
  ).option('--json', json);
}

/** Flag, then environment, then default; none configured is exit 3 (DependencyError) at once. */
export function settingsFrom(flags: KafkaFlags, env: Record<string, string | undefined>): KafkaSettings {
  return kafkaSettings(flags, env);
}

const SECURITY_ENV: Array<[keyof KafkaSecurityFlags, string]> = [
  ['kafkaSslCa', 'KAFKA_SSL_CA'],
  ['kafkaSslCert', 'KAFKA_SSL_CERT'],
  ['kafkaSslKey', 'KAFKA_SSL_KEY'],
  ['kafkaSaslMechanism', 'KAFKA_SASL_MECHANISM'],
  ['kafkaSaslUsername', 'KAFKA_SASL_USERNAME'],
  ['kafkaSaslPasswordFile', 'KAFKA_SASL_PASSWORD_FILE'],
];

/**
 * The environment with the security flags given laid over it (a flag wins over its variable), for
 * a command whose Kafka settings are resolved further in from the environment alone (`serve`).
 */
export function envWithKafkaFlags(flags: KafkaSecurityFlags, env: Record<string, string | undefined>): Record<string, string | undefined> {
  const out = { ...env };
  if (flags.kafkaSsl) out.KAFKA_SSL = 'true';
  for (const [flag, name] of SECURITY_ENV) {
    const value = flags[flag];
    if (typeof value === 'string') out[name] = value;
  }
  // a password file on the command line wins over a password in the environment
  if (flags.kafkaSaslPasswordFile !== undefined) delete out.KAFKA_SASL_PASSWORD;
  return out;
}
