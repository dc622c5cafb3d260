import { isAbsolute, resolve } from 'node:path';
import { UsageError } from '../shared/errors.js';
import { done, refused, type Outcome } from '../shared/outcome.js';
import { saveProfiles } from './file.js';
import { contextProblem } from './parse.js';
import { CONTEXT_NAME, DATABASE_KEYS, contextSchema, type Context, type ContextKey, type Profiles } from './schema.js';
import { carriesSecret, secretFileWarning } from './secrets.js';
import { contextRows, shownContext, type ContextRow } from './describe.js';
import { SOURCE_NAMES, unknownContext, type ProfilesState } from './select.js';
import { redactUrl } from '../shared/redact.js';

// The `config …` commands' work (src/cli/commands/config.ts): list, show, choose, create or
// update, delete. Every change reads the file, checks the whole result, and writes it atomically
// (file.ts); a refused change leaves the file as it was.

type Env = Record<string, string | undefined>;

/** The settings `config set-context` takes, each with its flag; `path`: stored absolute. */
export const SETTABLE: ReadonlyArray<{ key: ContextKey; flag: string; path?: true }> = [
  { key: 'database_url', flag: '--database-url' },
  { key: 'database_url_env', flag: '--database-url-env' },
  { key: 'database_url_file', flag: '--database-url-file', path: true },
  { key: 'data_dir', flag: '--data-dir', path: true },
  { key: 'brokers', flag: '--brokers' },
  { key: 'topic', flag: '--topic' },
  { key: 'merchant', flag: '--merchant' },
  { key: 'actor', flag: '--actor' },
  { key: 'kafka_ssl_ca', flag: '--kafka-ssl-ca', path: true },
  { key: 'kafka_sasl_mechanism', flag: '--kafka-sasl-mechanism' },
  { key: 'kafka_sasl_username', flag: '--kafka-sasl-username' },
  { key: 'kafka_sasl_password_file', flag: '--kafka-sasl-password-file', path: true },
];

const flagOf = (key: ContextKey): string => SETTABLE.find((s) => s.key === key)?.flag ?? key;

export interface ContextList {
  file: string;
  current_context: string | null;
  active_context: { name: string; source: string } | null;
  contexts: ContextRow[];
}

export function listContexts({ file, profiles, active }: ProfilesState): Outcome<ContextList> {
  return done({
    file,
    current_context: profiles?.current_context ?? null,
    active_context: active ? { name: active.name, source: SOURCE_NAMES[active.source] } : null,
    contexts: contextRows(profiles, active),
  });
}

export interface CurrentContext {
  file: string;
  name: string | null;
  source: string | null;
}

/** The context in use and where it was chosen; none is exit 1. */
export function currentContext({ file, active }: ProfilesState): Outcome<CurrentContext> {
  if (!active) return refused({ file, name: null, source: null });
  return done({ file, name: active.name, source: SOURCE_NAMES[active.source] });
}

export interface ProfilesView {
  file: string;
  exists: boolean;
  current_context: string | null;
  contexts: Record<string, Context>;
}

export function viewProfiles({ file, profiles }: ProfilesState): Outcome<ProfilesView> {
  const contexts = Object.fromEntries(Object.entries(profiles?.contexts ?? {}).map(([name, c]) => [name, shownContext(c)]));
  return done({ file, exists: profiles !== undefined, current_context: profiles?.current_context ?? null, contexts });
}

export function useContext(file: string, profiles: Profiles | undefined, name: string): Outcome<{ file: string; current_context: string; previous: string | null }> {
  if (!profiles?.contexts[name]) throw unknownContext(name, file, profiles);
  const previous = profiles.current_context ?? null;
  saveProfiles(file, { ...profiles, current_context: name });
  return done({ file, current_context: name, previous });
}

export function deleteContext(file: string, profiles: Profiles | undefined, name: string): Outcome<{ file: string; deleted: string; was_current: boolean }> {
  if (!profiles?.contexts[name]) throw unknownContext(name, file, profiles);
  const { [name]: _deleted, ...contexts } = profiles.contexts;
  const wasCurrent = profiles.current_context === name;
  const { current_context: current, ...rest } = profiles;
  saveProfiles(file, { ...rest, ...(wasCurrent || current === undefined ? {} : { current_context: current }), contexts });
  return done({ file, deleted: name, was_current: wasCurrent });
}

export interface SetContextRequest {
  name: string;
  /** The settings given, by key: a value sets it, an empty string removes it. */
  values: Partial<Record<ContextKey, string>>;
  /** Relative paths are stored resolved against this folder (a context is used from anywhere). */
  cwd: string;
  env: Env;
}

export interface SetContextResult {
  file: string;
  context: string;
  created: boolean;
  /** The context as stored now (its URL masked, though none stored carries a password). */
  stored: Context;
  /** For stderr: a secret's file missing or readable by others, a variable not set here. */
  warnings: string[];
}

/** Creates or updates a context; refuses (exit 2, nothing written) a password or a bad value. */
export function setContext(file: string, profiles: Profiles | undefined, request: SetContextRequest): Outcome<SetContextResult> {
  const { name, values } = request;
  if (!CONTEXT_NAME.test(name)) throw new UsageError(`Context name "${name}" is not valid: use letters, digits, ".", "_" and "-" (at most 64)`);
  refuseSecrets(values);
  const given = DATABASE_KEYS.filter((key) => values[key] !== undefined && values[key] !== '');
  if (given.length > 1) {
    throw new UsageError(`${given.map(flagOf).join(' and ')}: give one of ${DATABASE_KEYS.map(flagOf).join(', ')}, a context names one database`);
  }
  const before = profiles?.contexts[name];
  const context = updated(before ?? {}, values, request.cwd);
  const checked = contextSchema.safeParse(context);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    const key = issue.path[0] as ContextKey | undefined;
    throw new UsageError(`${key ? flagOf(key) : `Context "${name}"`}: ${issue.message.replace(/^Invalid input: /, '')}`);
  }
  const problem = contextProblem(checked.data);
  if (problem) throw new UsageError(`Context "${name}" ${problem}`);
  saveProfiles(file, { ...(profiles ?? {}), contexts: { ...(profiles?.contexts ?? {}), [name]: checked.data } });
  return done({ file, context: name, created: before === undefined, stored: shownContext(checked.data), warnings: warningsFor(checked.data, values, request.env) });
}

/** The tool never writes a password: a URL with one is refused, naming the two ways to keep it. */
function refuseSecrets(values: Partial<Record<ContextKey, string>>): void {
  const url = values.database_url;
  if (url === undefined || !carriesSecret(url)) return;
  throw new UsageError(
    `--database-url carries a password (${redactUrl(url)}), and redeemctl never stores one in plain text; nothing was written. ` +
      'Keep the URL in an environment variable and pass --database-url-env VAR (read when a command runs), ' +
      'or in a file only you can read (chmod 600) and pass --database-url-file PATH',
  );
}

/** The context with the given values: a database given replaces the old one, whichever way it was named. */
function updated(before: Context, values: Partial<Record<ContextKey, string>>, cwd: string): Record<string, unknown> {
  const next: Record<string, unknown> = { ...before };
  if (DATABASE_KEYS.some((key) => values[key] !== undefined)) for (const key of DATABASE_KEYS) delete next[key];
  for (const { key, path } of SETTABLE) {
    const value = values[key];
    if (value === undefined) continue;
    if (value === '') delete next[key];
    else next[key] = path && !isAbsolute(value) ? resolve(cwd, value) : value;
  }
  return next;
}

function warningsFor(context: Context, values: Partial<Record<ContextKey, string>>, env: Env): string[] {
  const warnings: string[] = [];
  if (values.database_url_file && context.database_url_file) {
    warnings.push(secretFileWarning(context.database_url_file, 'database_url_file') ?? '');
  }
  if (values.kafka_sasl_password_file && context.kafka_sasl_password_file) {
    warnings.push(secretFileWarning(context.kafka_sasl_password_file, 'kafka_sasl_password_file') ?? '');
  }
  if (values.database_url_env && !env[values.database_url_env]) {
    warnings.push(`$${values.database_url_env} is not set here: commands in this context will need it`);
  }
  return warnings.filter(Boolean);
}
