import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseProfiles } from '../../src/profiles/parse.js';
import { configPath } from '../../src/profiles/path.js';
import { overlayContext } from '../../src/profiles/overlay.js';
import { selectContext, type ActiveContext } from '../../src/profiles/select.js';
import { carriesSecret } from '../../src/profiles/secrets.js';
import { setContext } from '../../src/profiles/manage.js';
import { databaseText } from '../../src/profiles/describe.js';
import type { Context, Profiles } from '../../src/profiles/schema.js';

// The pure parts of named profiles (docs/config.md): reading the file, choosing the context, laying
// it under the environment, and what set-context stores or refuses. Through the built CLI:
// tests/cli/config.test.ts.

const FILE = '/home/op/.config/redeemctl/config.json';
const parseError = (value: unknown): string => {
  try {
    parseProfiles(JSON.stringify(value), FILE);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('parsed');
};

describe('parseProfiles', () => {
  it('reads a valid file; contexts default to none', () => {
    expect(parseProfiles('{"current_context":"s","contexts":{"s":{"brokers":"k:9092","kafka_ssl":true}}}', FILE)).toEqual({
      current_context: 's',
      contexts: { s: { brokers: 'k:9092', kafka_ssl: true } },
    });
    expect(parseProfiles('{}', FILE)).toEqual({ contexts: {} });
  });

  it('names the file, the context and the key of every mistake', () => {
    expect(parseError({ contexts: { s: { broker: 'k' } } })).toBe(`${FILE}: context "s": unknown key "broker". Did you mean brokers?`);
    expect(parseError({ contexts: { s: { zzzzzz: 1 } } })).toMatch(/^.*: context "s": unknown key "zzzzzz". Known keys: database_url, database_url_env, /);
    expect(parseError({ context: {} })).toBe(`${FILE}: unknown key "context". Did you mean contexts?`);
    expect(parseError({ contexts: { s: { topic: 7 } } })).toBe(`${FILE}: context "s": "topic": expected string, received number`);
    expect(parseError({ contexts: { s: { kafka_ssl: 'yes' } } })).toBe(`${FILE}: context "s": "kafka_ssl": expected boolean, received string`);
    expect(parseError({ contexts: { s: { database_url_env: 'NOT A VAR' } } })).toContain('context "s": "database_url_env": must be the name of an environment variable');
    expect(parseError({ contexts: { 'a b': {} } })).toBe(`${FILE}: context name "a b" is not valid: use letters, digits, ".", "_" and "-"`);
    expect(parseError({ current_context: 3 })).toBe(`${FILE}: "current_context": expected string, received number`);
    expect(parseError({ contexts: { s: { database_url_env: 'U', data_dir: '/d' } } })).toBe(
      `${FILE}: context "s": names its database 2 ways (database_url_env, data_dir): keep one of database_url, database_url_env, database_url_file, data_dir`,
    );
    expect(() => parseProfiles('{"contexts":', FILE)).toThrow(`${FILE} is not valid JSON`);
  });
});

describe('selectContext', () => {
  const profiles: Profiles = { current_context: 'file', contexts: { file: {}, env: {}, flag: {} } };
  it('--context, then REDEEMCTL_CONTEXT, then current_context, then none', () => {
    expect(selectContext(profiles, FILE, { flag: 'flag', env: 'env' })).toMatchObject({ name: 'flag', source: 'flag' });
    expect(selectContext(profiles, FILE, { env: 'env' })).toMatchObject({ name: 'env', source: 'env' });
    expect(selectContext(profiles, FILE, {})).toMatchObject({ name: 'file', source: 'file', file: FILE });
    expect(selectContext({ contexts: {} }, FILE, {})).toBeUndefined();
    expect(selectContext(undefined, FILE, {})).toBeUndefined();
  });

  it('a name not in the file is exit 2, naming where it came from and what there is', () => {
    expect(() => selectContext(profiles, FILE, { env: 'prod' })).toThrow(
      `No context "prod" (from REDEEMCTL_CONTEXT) in ${FILE} (it has file, env, flag); \`redeemctl config get-contexts\` lists them`,
    );
    expect(() => selectContext({ current_context: 'gone', contexts: {} }, FILE, {})).toThrow(`No context "gone" (from current_context) in ${FILE} (it has none)`);
    expect(() => selectContext(undefined, FILE, { flag: 'x' })).toThrow(`No context "x" (from --context) in ${FILE}, which does not exist;`);
    try {
      selectContext(undefined, FILE, { flag: 'x' });
    } catch (error) {
      expect((error as { exitCode: number }).exitCode).toBe(2);
    }
  });
});

describe('overlayContext: flag > environment > context > default', () => {
  const active = (context: Context): ActiveContext => ({ name: 'staging', context, source: 'file', file: FILE });
  const full: Context = { database_url: 'postgres://db/ctx', brokers: 'ctx:9092', topic: 'ctx_topic', merchant: 'Ctx', actor: 'ctx-actor' };

  it('fills what the environment does not set (an empty variable counts as unset) and names the context', () => {
    const { env } = overlayContext({ KAFKA_TOPIC: 'env_topic', REDEEMCTL_ACTOR: '', OTHER: 'x' }, active(full), false);
    expect(env).toEqual({
      OTHER: 'x',
      REDEEMCTL_CONTEXT: 'staging',
      DATABASE_URL: 'postgres://db/ctx',
      KAFKA_BROKERS: 'ctx:9092',
      KAFKA_TOPIC: 'env_topic',
      REDEEMCTL_MERCHANT: 'Ctx',
      REDEEMCTL_ACTOR: 'ctx-actor',
    });
  });

  it('the database is one setting: a flag or either variable and the context names none', () => {
    expect(overlayContext({}, active(full), true).env.DATABASE_URL).toBeUndefined();
    expect(overlayContext({ REDEEMCTL_DATA_DIR: '/d' }, active(full), false).env).toMatchObject({ REDEEMCTL_DATA_DIR: '/d' });
    expect(overlayContext({ REDEEMCTL_DATA_DIR: '/d' }, active(full), false).env.DATABASE_URL).toBeUndefined();
    expect(overlayContext({ DATABASE_URL: 'postgres://env' }, active({ data_dir: '/ctx' }), false).env.REDEEMCTL_DATA_DIR).toBeUndefined();
    expect(overlayContext({}, active({ data_dir: '/ctx' }), false).env.REDEEMCTL_DATA_DIR).toBe('/ctx');
  });

  it('a URL from a variable or a file, read now; unresolvable is a problem said later, not an error now', () => {
    const read = (path: string): string => {
      if (path === '/ok') return 'postgres://from-file\n';
      if (path === '/empty') return '\n';
      throw Object.assign(new Error('nope'), { code: 'ENOENT' });
    };
    expect(overlayContext({ STG: 'postgres://from-env' }, active({ database_url_env: 'STG' }), false, read).env.DATABASE_URL).toBe('postgres://from-env');
    expect(overlayContext({}, active({ database_url_file: '/ok' }), false, read).env.DATABASE_URL).toBe('postgres://from-file');
    const unset = overlayContext({}, active({ database_url_env: 'STG' }), false, read);
    expect(unset.env.DATABASE_URL).toBeUndefined();
    expect(unset.databaseProblem).toBe(`Context "staging" (${FILE}) reads its database URL from $STG (database_url_env), which is not set: set it, or pass --database-url`);
    expect(overlayContext({}, active({ database_url_file: '/missing' }), false, read).databaseProblem).toContain('/missing (database_url_file), which cannot be read: ENOENT');
    expect(overlayContext({}, active({ database_url_file: '/empty' }), false, read).databaseProblem).toContain('which is empty');
    expect(overlayContext({}, active({ database_url_env: 'STG' }), true, read).databaseProblem).toBeUndefined();
  });

  it('Kafka security: the password from the environment beats the context file', () => {
    const kafka: Context = { kafka_sasl_mechanism: 'SCRAM-SHA-256', kafka_sasl_username: 'u', kafka_sasl_password_file: '/pw', kafka_ssl: true };
    expect(overlayContext({}, active(kafka), false).env).toMatchObject({
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD_FILE: '/pw',
      KAFKA_SSL: 'true',
    });
    expect(overlayContext({ KAFKA_SASL_PASSWORD: 'p' }, active(kafka), false).env.KAFKA_SASL_PASSWORD_FILE).toBeUndefined();
  });
});

describe('secrets', () => {
  it('carriesSecret: a userinfo password, a password parameter, a conninfo password', () => {
    expect(carriesSecret('postgres://app:pw@h/db')).toBe(true);
    expect(carriesSecret('postgres://:pw@h/db')).toBe(true);
    expect(carriesSecret('postgres://h/db?user=app&password=pw')).toBe(true);
    expect(carriesSecret('host=h dbname=d password=pw')).toBe(true);
    expect(carriesSecret('postgres://app@h:5432/db?sslmode=require')).toBe(false);
    expect(carriesSecret('postgres://127.0.0.1/db')).toBe(false);
  });

  it('databaseText shows references as references and masks a URL', () => {
    expect(databaseText({ database_url_env: 'STG' })).toBe('$STG');
    expect(databaseText({ database_url_file: '/etc/x' })).toBe('file /etc/x');
    expect(databaseText({ data_dir: '/d' })).toBe('embedded /d');
    expect(databaseText({ database_url: 'postgres://a:pw@h/db' })).toBe('postgres://a:***@h/db');
    expect(databaseText({})).toBe('');
  });
});

describe('configPath', () => {
  it('REDEEMCTL_CONFIG, else XDG_CONFIG_HOME, else HOME/.config', () => {
    expect(configPath({ REDEEMCTL_CONFIG: '/c.json', XDG_CONFIG_HOME: '/x', HOME: '/h' })).toBe('/c.json');
    expect(configPath({ XDG_CONFIG_HOME: '/x', HOME: '/h' })).toBe('/x/redeemctl/config.json');
    expect(configPath({ HOME: '/h' })).toBe('/h/.config/redeemctl/config.json');
  });
});

describe('setContext', () => {
  const dir = mkdtempSync(join(tmpdir(), 'redeemctl-profiles-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'config.json');
  const read = (): Profiles => JSON.parse(readFileSync(file, 'utf8')) as Profiles;
  const set = (name: string, values: Record<string, string>, profiles: Profiles | undefined = existsSync(file) ? read() : undefined) =>
    setContext(file, profiles, { name, values, cwd: '/work', env: {} });

  it('refuses a password in any form, and writes nothing', () => {
    for (const url of ['postgres://app:pw@h/db', 'postgres://h/db?password=pw', 'host=h password=pw']) {
      expect(() => set('s', { database_url: url })).toThrow('--database-url carries a password');
    }
    expect(existsSync(file)).toBe(false);
  });

  it('creates, then updates: a new database replaces the old one, an empty value removes a setting, paths are stored absolute', () => {
    expect(set('s', { database_url_env: 'STG', topic: 't', actor: 'me' }).result).toMatchObject({ created: true, stored: { database_url_env: 'STG', topic: 't', actor: 'me' } });
    const updated = set('s', { database_url_file: 'secrets/url', topic: '' });
    expect(updated.result).toMatchObject({ created: false });
    expect(read().contexts.s).toEqual({ actor: 'me', database_url_file: '/work/secrets/url' });
    expect(updated.result.warnings).toEqual([`database_url_file /work/secrets/url does not exist yet: create it (mode 0600) before using the context`]);
  });

  it('warns about a secret file others can read', () => {
    const exposed = join(dir, 'url');
    writeFileSync(exposed, 'postgres://h/db\n', { mode: 0o644 });
    expect(set('t', { database_url_file: exposed }).result.warnings).toEqual([`database_url_file ${exposed} can be read by other users (mode 0644): chmod 600 ${exposed}`]);
  });

  it('refuses two databases at once, a bad variable name and a bad context name, naming the flag', () => {
    expect(() => set('s', { database_url_env: 'A', data_dir: 'd' })).toThrow('--database-url-env and --data-dir: give one of --database-url, --database-url-env, --database-url-file, --data-dir');
    expect(() => set('s', { database_url_env: 'not a var' })).toThrow('--database-url-env: must be the name of an environment variable');
    expect(() => set('a b', {})).toThrow('Context name "a b" is not valid');
  });
});
