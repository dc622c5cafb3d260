import { z } from 'zod';

// The shape of the profiles file (docs/config.md): named contexts, each a set of settings that
// would otherwise come from the environment, and the one in use. Strict everywhere: a misspelt
// key (`broker` for `brokers`) is an error naming the file, the context and the key, never a
// setting silently ignored.

/** A context's name: what `--context` and `config use-context` take. */
export const CONTEXT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** The name of an environment variable (`database_url_env`). */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const text = z.string().min(1, 'must not be empty');
const envName = z.string().regex(ENV_NAME, 'must be the name of an environment variable (letters, digits, _)');

export const contextSchema = z.strictObject({
  /** A URL without a password (the tool refuses to store one); else one of the two below. */
  database_url: text.optional(),
  /** The name of the environment variable holding the URL, read at run time. */
  database_url_env: envName.optional(),
  /** A file holding the URL (mode 0600), read at run time. */
  database_url_file: text.optional(),
  /** The embedded database's folder. */
  data_dir: text.optional(),
  brokers: text.optional(),
  topic: text.optional(),
  merchant: text.optional(),
  actor: text.optional(),
  kafka_ssl: z.boolean().optional(),
  kafka_ssl_ca: text.optional(),
  kafka_ssl_cert: text.optional(),
  kafka_ssl_key: text.optional(),
  kafka_sasl_mechanism: text.optional(),
  kafka_sasl_username: text.optional(),
  /** The SASL password only from a file (or KAFKA_SASL_PASSWORD in the environment), never in this file. */
  kafka_sasl_password_file: text.optional(),
});

export const profilesSchema = z.strictObject({
  current_context: z.string().optional(),
  contexts: z.record(z.string().regex(CONTEXT_NAME, 'is not a valid context name (letters, digits, . _ -)'), contextSchema).default({}),
});

export type Context = z.infer<typeof contextSchema>;
export type ContextKey = keyof Context;
export type Profiles = z.infer<typeof profilesSchema>;

export const CONTEXT_KEYS = Object.keys(contextSchema.shape) as ContextKey[];

/** The ways a context names its database: at most one of them. */
export const DATABASE_KEYS = ['database_url', 'database_url_env', 'database_url_file', 'data_dir'] as const satisfies readonly ContextKey[];
