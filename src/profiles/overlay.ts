import { readFileSync } from 'node:fs';
import type { ContextKey } from './schema.js';
import type { ActiveContext } from './select.js';

// A context's settings laid under the environment (docs/config.md, "Precedence"): each becomes the
// environment variable that setting already has, where the environment does not set it. Every
// command then resolves flag, then environment, then default exactly as before, so the order is
// flag > environment > context > default without any command knowing about contexts.
//
// The database is one setting however it is given: a --database-url or --data-dir flag, or
// DATABASE_URL or REDEEMCTL_DATA_DIR in the environment, and the context's database is not used
// at all (a context's server never overrides an explicit embedded folder, nor the other way).

type Env = Record<string, string | undefined>;

/** Context keys that are one environment variable each. */
const AS_VARIABLES: Array<[ContextKey, string]> = [
  ['brokers', 'KAFKA_BROKERS'],
  ['topic', 'KAFKA_TOPIC'],
  ['merchant', 'REDEEMCTL_MERCHANT'],
  ['actor', 'REDEEMCTL_ACTOR'],
  ['kafka_ssl_ca', 'KAFKA_SSL_CA'],
  ['kafka_ssl_cert', 'KAFKA_SSL_CERT'],
  ['kafka_ssl_key', 'KAFKA_SSL_KEY'],
  ['kafka_sasl_mechanism', 'KAFKA_SASL_MECHANISM'],
  ['kafka_sasl_username', 'KAFKA_SASL_USERNAME'],
];

export interface Overlaid {
  /** The environment with the context under it, and REDEEMCTL_CONTEXT naming the context. */
  env: Env;
  /**
   * The context's database could not be resolved (its variable unset, its file unreadable): said
   * when a database is opened, so a command that needs none (events tail) still runs.
   */
  databaseProblem?: string;
}

/** What the database settings resolve to: a URL, a folder, nothing, or why not. */
type DatabaseSetting = { url: string } | { dataDir: string } | { problem: string } | undefined;

const isUnset = (value: string | undefined): boolean => value === undefined || value === '';

/**
 * `env` with the context's settings where it has none. `databaseGiven`: --database-url or
 * --data-dir was passed. `read` reads a file named by the context (tests pass their own).
 */
export function overlayContext(env: Env, active: ActiveContext, databaseGiven: boolean, read: (path: string) => string = readText): Overlaid {
  const out: Env = { ...env, REDEEMCTL_CONTEXT: active.name };
  const { context } = active;
  for (const [key, variable] of AS_VARIABLES) {
    const value = context[key];
    if (typeof value === 'string' && isUnset(out[variable])) out[variable] = value;
  }
  if (context.kafka_ssl !== undefined && isUnset(out.KAFKA_SSL)) out.KAFKA_SSL = String(context.kafka_ssl);
  // the password is one setting too: a password in the environment beats the context's file
  if (context.kafka_sasl_password_file !== undefined && isUnset(out.KAFKA_SASL_PASSWORD) && isUnset(out.KAFKA_SASL_PASSWORD_FILE)) {
    out.KAFKA_SASL_PASSWORD_FILE = context.kafka_sasl_password_file;
  }
  if (databaseGiven || !isUnset(env.DATABASE_URL) || !isUnset(env.REDEEMCTL_DATA_DIR)) return { env: out };
  const database = contextDatabase(active, env, read);
  if (database === undefined) return { env: out };
  if ('problem' in database) return { env: out, databaseProblem: database.problem };
  if ('url' in database) out.DATABASE_URL = database.url;
  else out.REDEEMCTL_DATA_DIR = database.dataDir;
  return { env: out };
}

/** The context's database: its URL (as written, from its variable, or from its file) or its folder. */
export function contextDatabase({ name, context, file }: ActiveContext, env: Env, read: (path: string) => string): DatabaseSetting {
  const where = `Context "${name}" (${file})`;
  if (context.database_url !== undefined) return { url: context.database_url };
  if (context.data_dir !== undefined) return { dataDir: context.data_dir };
  if (context.database_url_env !== undefined) {
    const url = env[context.database_url_env];
    if (isUnset(url)) {
      return { problem: `${where} reads its database URL from $${context.database_url_env} (database_url_env), which is not set: set it, or pass --database-url` };
    }
    return { url: url! };
  }
  if (context.database_url_file !== undefined) {
    let url: string;
    try {
      url = read(context.database_url_file).trim();
    } catch (error) {
      const reason = (error as { code?: string }).code ?? (error as Error).message;
      return { problem: `${where} reads its database URL from ${context.database_url_file} (database_url_file), which cannot be read: ${reason}` };
    }
    if (url === '') return { problem: `${where} reads its database URL from ${context.database_url_file} (database_url_file), which is empty` };
    return { url };
  }
  return undefined;
}

function readText(path: string): string {
  return readFileSync(path, 'utf8');
}
