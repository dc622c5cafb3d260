import { readFileSync } from 'node:fs';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import { DependencyError, UsageError } from '../shared/errors.js';

// TLS and SASL for every Kafka client redeemctl makes (docs/kafka.md, "Security"). Resolved flag,
// then environment; the SASL password only from the environment or a file, never a flag, and it is
// kept out of every message, log line, JSON rendering and inspection of the settings.

export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** The security flags (src/cli/kafkaOptions.ts); each has an environment variable. */
export interface KafkaSecurityFlags {
  kafkaSsl?: boolean | undefined;
  kafkaSslCa?: string | undefined;
  kafkaSslCert?: string | undefined;
  kafkaSslKey?: string | undefined;
  kafkaSaslMechanism?: string | undefined;
  kafkaSaslUsername?: string | undefined;
  kafkaSaslPasswordFile?: string | undefined;
}

/** What was configured, secrets left out: safe to print or log. */
export interface KafkaSecurityDescription {
  tls: boolean;
  sasl?: { mechanism: SaslMechanism; username: string };
}

/**
 * The resolved settings. The kafkajs options (with the password and the key) come only from
 * clientConfig(); the object itself holds a description, so printing it shows no secret.
 */
export interface KafkaSecurity extends KafkaSecurityDescription {
  clientConfig(): Pick<KafkaConfig, 'ssl' | 'sasl'>;
}

type Env = Record<string, string | undefined>;

/** A file named by a setting, read whole; unreadable is bad input (exit 2), naming the setting, never the content. */
function readSettingFile(setting: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    const code = (error as { code?: string }).code ?? (error as Error).message;
    throw new UsageError(`Cannot read ${setting} (${file}): ${code}`);
  }
}

function parseBoolean(setting: string, value: string): boolean {
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
  throw new UsageError(`${setting} must be true or false, not "${value}"`);
}

function tlsOptions(flags: KafkaSecurityFlags, env: Env): KafkaConfig['ssl'] | undefined {
  const caFile = flags.kafkaSslCa ?? env.KAFKA_SSL_CA;
  const certFile = flags.kafkaSslCert ?? env.KAFKA_SSL_CERT;
  const keyFile = flags.kafkaSslKey ?? env.KAFKA_SSL_KEY;
  const on = flags.kafkaSsl ?? (env.KAFKA_SSL === undefined ? undefined : parseBoolean('KAFKA_SSL', env.KAFKA_SSL));
  const files = caFile ?? certFile ?? keyFile;
  if (on === false && files !== undefined) throw new UsageError('KAFKA_SSL is false but a TLS file is set (KAFKA_SSL_CA, KAFKA_SSL_CERT or KAFKA_SSL_KEY): drop one');
  if (!on && files === undefined) return undefined;
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new UsageError('A client certificate needs both KAFKA_SSL_CERT (--kafka-ssl-cert) and KAFKA_SSL_KEY (--kafka-ssl-key)');
  }
  const passphrase = env.KAFKA_SSL_KEY_PASSWORD;
  return {
    ...(caFile === undefined ? {} : { ca: [readSettingFile('KAFKA_SSL_CA', caFile)] }),
    ...(certFile === undefined ? {} : { cert: readSettingFile('KAFKA_SSL_CERT', certFile) }),
    ...(keyFile === undefined ? {} : { key: readSettingFile('KAFKA_SSL_KEY', keyFile) }),
    ...(passphrase === undefined ? {} : { passphrase }),
  };
}

function mechanismOf(value: string): SaslMechanism {
  const m = value.trim().toLowerCase();
  if ((SASL_MECHANISMS as readonly string[]).includes(m)) return m as SaslMechanism;
  throw new UsageError(`Unknown SASL mechanism "${value}": use ${SASL_MECHANISMS.map((x) => x.toUpperCase()).join(', ')} (KAFKA_SASL_MECHANISM or --kafka-sasl-mechanism)`);
}

/** The password: --kafka-sasl-password-file, then KAFKA_SASL_PASSWORD_FILE, then KAFKA_SASL_PASSWORD (one trailing newline of a file dropped). */
function passwordOf(flags: KafkaSecurityFlags, env: Env): string | undefined {
  const file = flags.kafkaSaslPasswordFile ?? env.KAFKA_SASL_PASSWORD_FILE;
  if (file !== undefined) {
    const setting = flags.kafkaSaslPasswordFile !== undefined ? '--kafka-sasl-password-file' : 'KAFKA_SASL_PASSWORD_FILE';
    return readSettingFile(setting, file).toString('utf8').replace(/\r?\n$/, '');
  }
  return env.KAFKA_SASL_PASSWORD;
}

function saslOptions(flags: KafkaSecurityFlags, env: Env): SASLOptions | undefined {
  const mechanism = flags.kafkaSaslMechanism ?? env.KAFKA_SASL_MECHANISM;
  const username = flags.kafkaSaslUsername ?? env.KAFKA_SASL_USERNAME;
  const password = passwordOf(flags, env);
  if (mechanism === undefined || mechanism.trim() === '') {
    if (username !== undefined || password !== undefined) {
      throw new UsageError('A SASL user or password is set but no mechanism: set KAFKA_SASL_MECHANISM (or --kafka-sasl-mechanism) to PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512');
    }
    return undefined;
  }
  const m = mechanismOf(mechanism);
  if (!username) throw new UsageError(`SASL ${m.toUpperCase()} needs a user: set KAFKA_SASL_USERNAME (or --kafka-sasl-username)`);
  if (!password) {
    throw new UsageError(`SASL ${m.toUpperCase()} needs a password: set KAFKA_SASL_PASSWORD, or KAFKA_SASL_PASSWORD_FILE (or --kafka-sasl-password-file) naming a file that holds it`);
  }
  return { mechanism: m, username, password } as SASLOptions;
}

/** TLS and SASL from flags, then environment; undefined when neither is configured (plain TCP). */
export function kafkaSecurity(flags: KafkaSecurityFlags, env: Env): KafkaSecurity | undefined {
  const ssl = tlsOptions(flags, env);
  const sasl = saslOptions(flags, env);
  if (ssl === undefined && sasl === undefined) return undefined;
  const description: KafkaSecurityDescription = {
    tls: ssl !== undefined,
    ...(sasl === undefined ? {} : { sasl: { mechanism: sasl.mechanism as SaslMechanism, username: (sasl as { username: string }).username } }),
  };
  const config = { ...(ssl === undefined ? {} : { ssl: Object.keys(ssl as object).length === 0 ? true : ssl }), ...(sasl === undefined ? {} : { sasl }) };
  // not enumerable: JSON.stringify and util.inspect of the settings never reach the secrets
  return Object.defineProperty({ ...description }, 'clientConfig', { value: () => config, enumerable: false }) as KafkaSecurity;
}

/** "SASL SCRAM-SHA-256 as alice over TLS", for messages. */
export function describeSecurity(security: KafkaSecurityDescription): string {
  const sasl = security.sasl ? `SASL ${security.sasl.mechanism.toUpperCase()} as ${security.sasl.username}` : '';
  return [sasl, security.tls ? (sasl ? 'over TLS' : 'TLS') : ''].filter(Boolean).join(' ');
}

/** The broker refused the credentials: exit 3, one line naming the brokers, the user and the settings; never the password. */
export class KafkaAuthenticationError extends DependencyError {
  constructor(brokers: readonly string[], security: KafkaSecurityDescription | undefined, options?: { cause?: unknown }) {
    const who = security?.sasl ? ` (${describeSecurity(security)})` : '';
    super(
      `Kafka at ${brokers.join(',')} refused the credentials${who}: authentication failed. ` +
        'Check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE, --kafka-sasl-password-file).',
      options,
    );
  }
}

/** The TLS handshake failed (an unknown CA, a refused client certificate, a name mismatch): exit 3. */
export class KafkaTlsError extends DependencyError {
  constructor(brokers: readonly string[], reason: string, options?: { cause?: unknown }) {
    super(
      `Cannot reach Kafka at ${brokers.join(',')} over TLS (${reason}). ` +
        'Check KAFKA_SSL_CA (or --kafka-ssl-ca) and, when the broker asks for one, KAFKA_SSL_CERT and KAFKA_SSL_KEY.',
      options,
    );
  }
}

function chainOf(error: unknown): Array<{ name?: unknown; code?: unknown; message?: unknown }> {
  const chain: Array<{ name?: unknown; code?: unknown; message?: unknown }> = [];
  for (let e = error; e && typeof e === 'object' && chain.length < 10 && !chain.includes(e as never); e = (e as { cause?: unknown }).cause) chain.push(e as never);
  return chain;
}

const TLS_CODE = /^(ERR_SSL_|ERR_TLS_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|CERT_|HOSTNAME_)/;

/**
 * A failure to connect caused by security, explained: the broker refusing the credentials
 * (KafkaJSSASLAuthenticationError) or a failed TLS handshake (an OpenSSL or certificate code in the
 * cause chain). Anything else: undefined, for the caller's usual explanation.
 */
export function explainSecurityFailure(error: unknown, brokers: readonly string[], security: KafkaSecurityDescription | undefined): DependencyError | undefined {
  const chain = chainOf(error);
  if (chain.some((e) => e.name === 'KafkaJSSASLAuthenticationError')) return new KafkaAuthenticationError(brokers, security, { cause: error });
  const tls = chain.find((e) => typeof e.code === 'string' && TLS_CODE.test(e.code));
  if (tls) return new KafkaTlsError(brokers, tlsReason(tls), { cause: error });
  return undefined;
}

function tlsReason(e: { code?: unknown; message?: unknown }): string {
  const code = String(e.code);
  if (code.includes('BAD_CERTIFICATE') || code.includes('CERTIFICATE_REQUIRED')) return 'the broker refused the client certificate';
  const message = String(e.message ?? code);
  const openssl = /SSL routines:[^:]*:([^:]+):/.exec(message)?.[1];
  return openssl ?? (message.split('\n')[0]?.replace(/^Connection error: /, '').trim() || code);
}
