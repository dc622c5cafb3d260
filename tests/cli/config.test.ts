import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDist, runBinary, type CliResult } from '../support/cliHarness.js';
import { createServerDatabase, type TestDatabase } from '../support/databases.js';
import { readFixtureFile, seed } from '../../src/demo/seed.js';

// Named profiles (docs/config.md) through the built binary: the profiles file in a temporary
// HOME, two server databases told apart by their rewards (A: the demo fixture; B: two merchants,
// one reward each). Each context reaches its own database; flag beats environment beats context;
// no password is ever written or printed; a destructive command's refusal names the context.
// After beforeAll no test changes the shared profiles file, so the tests run concurrently.

const SECRET = 's3cr3t-Pa55';
let a: TestDatabase;
let b: TestDatabase;
let home: string;
let config: string;
let base: Record<string, string>;

const cli = (argv: string[], env: Record<string, string> = {}): Promise<CliResult> => runBinary(argv, { ...base, ...env }, home);
const rewardCodes = (r: CliResult): string[] => {
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { rewards: Array<{ reward_code: string }> }).rewards.map((x) => x.reward_code);
};
const DEMO_FIRST = 'BIRTHDAY-CAKE';

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'redeemctl-config-'));
  config = join(home, '.config', 'redeemctl', 'config.json');
  [a, b] = await Promise.all([createServerDatabase({ poolSize: 1 }), createServerDatabase({ poolSize: 1 }), ensureDist()]);
  await seed(a.database.db, await readFixtureFile('fixtures/demo.json'));
  for (const shop of ['One', 'Two']) {
    await seed(b.database.db, { merchant: { name: `Shop ${shop}` }, rewards: [{ reward_code: `${shop.toUpperCase()}-R`, name: `reward of shop ${shop}` }] });
  }
  // HOME decides where the file is (no REDEEMCTL_CONFIG): the default path is what this checks.
  base = { HOME: home, NO_COLOR: '1', REDEEMCTL_ACTOR: 'tester', A_URL: a.url! };
  const bUrlFile = join(home, 'b.url');
  writeFileSync(bUrlFile, `${b.url!}\n`, { mode: 0o600 });
  const made = [
    await cli(['config', 'set-context', 'a', '--database-url-env', 'A_URL', '--json']),
    await cli(['config', 'set-context', 'b', '--database-url-file', bUrlFile, '--merchant', 'Shop Two', '--topic', 'b_topic']),
    await cli(['config', 'use-context', 'a']),
  ];
  for (const r of made) expect(r.code, r.stderr).toBe(0);
  expect(JSON.parse(made[0]!.stdout)).toMatchObject({ file: config, context: 'a', created: true, stored: { database_url_env: 'A_URL' } });
  expect(made[1]!.stdout).toContain(`Created context b in ${config}:`);
  expect(made[1]!.stdout).toMatch(/merchant\s+Shop Two/);
  expect(made[2]!.stdout).toBe(`Switched to context a (${config}).\n`);
});
afterAll(async () => {
  await Promise.all([a?.drop(), b?.drop()]);
  if (home) rmSync(home, { recursive: true, force: true });
});

describe.concurrent('contexts reach their settings', () => {
  it('each context reaches its database (A by its variable, B by its file, with its merchant); flag beats environment beats context', async () => {
    const [current, byFlag, envOverContext, flagsOverEnv, envDatabase] = await Promise.all([
      cli(['rewards', 'list', '--json']),
      cli(['--context', 'b', 'rewards', 'list', '--json']),
      // REDEEMCTL_CONTEXT chooses b; REDEEMCTL_MERCHANT beats b's merchant
      cli(['rewards', 'list', '--json'], { REDEEMCTL_CONTEXT: 'b', REDEEMCTL_MERCHANT: 'Shop One' }),
      // each flag beats its variable: --context over REDEEMCTL_CONTEXT, --database-url over DATABASE_URL, --merchant over REDEEMCTL_MERCHANT
      cli(['--context', 'a', '--database-url', b.url!, '--merchant', 'Shop Two', 'rewards', 'list', '--json'], {
        REDEEMCTL_CONTEXT: 'b',
        DATABASE_URL: a.url!,
        REDEEMCTL_MERCHANT: 'Shop One',
      }),
      // DATABASE_URL beats b's database (and the flag beats b's merchant, which is not in A)
      cli(['--context', 'b', '--merchant', 'Demo Coffee Co', 'rewards', 'list', '--json'], { DATABASE_URL: a.url! }),
    ]);
    expect(rewardCodes(current)[0]).toBe(DEMO_FIRST);
    expect(rewardCodes(byFlag)).toEqual(['TWO-R']);
    expect(rewardCodes(envOverContext)).toEqual(['ONE-R']);
    expect(rewardCodes(flagsOverEnv)).toEqual(['TWO-R']);
    expect(rewardCodes(envDatabase)[0]).toBe(DEMO_FIRST);
  });

  it('a context whose database variable is unset says so when a database is needed (exit 2); config commands need none', async () => {
    const [noVar, list] = await Promise.all([
      cli(['rewards', 'list'], { A_URL: '' }),
      cli(['config', 'get-contexts'], { A_URL: '' }),
    ]);
    expect(noVar.code).toBe(2);
    expect(noVar.stderr).toBe(`error: Context "a" (${config}) reads its database URL from $A_URL (database_url_env), which is not set: set it, or pass --database-url\n`);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(/^\s+context\s+database\s+brokers\s+topic\s+merchant\s+actor$/);
    expect(list.stdout).toMatch(/^\*\s+a\s+\$A_URL\s*$/m);
    expect(list.stdout).toMatch(new RegExp(`^\\s+b\\s+file ${join(home, 'b.url')}\\s+b_topic\\s+Shop Two$`, 'm'));
  });
});

describe.concurrent('choosing a context', () => {
  it('an unknown context is exit 2 naming it and the file, by flag, environment or use-context', async () => {
    const [byFlag, use, current] = await Promise.all([
      cli(['--context', 'nope', 'rewards', 'list']),
      cli(['config', 'use-context', 'nope']),
      cli(['config', 'current-context']),
    ]);
    expect(byFlag.code).toBe(2);
    expect(byFlag.stderr).toBe(`error: No context "nope" (from --context) in ${config} (it has a, b); \`redeemctl config get-contexts\` lists them\n`);
    expect(use.code).toBe(2);
    expect(use.stderr).toContain(`No context "nope" in ${config} (it has a, b)`);
    expect(current).toMatchObject({ code: 0, stdout: 'a\n' });
  });

  it('without a file there are no contexts, and naming one is exit 2', async () => {
    const missing = { REDEEMCTL_CONFIG: join(home, 'none.json') };
    const [named, none] = await Promise.all([
      cli(['--context', 'a', 'rewards', 'list'], missing),
      cli(['config', 'current-context'], missing),
    ]);
    expect(named.code).toBe(2);
    expect(named.stderr).toContain(`No context "a" (from --context) in ${missing.REDEEMCTL_CONFIG}, which does not exist;`);
    expect(none).toMatchObject({ code: 1, stdout: '' });
    expect(none.stderr).toContain('No context is in use');
  });

  it('a file with an unknown key or a wrong type is exit 2 naming the file, the context and the key', async () => {
    const bad = join(home, 'bad.json');
    writeFileSync(bad, JSON.stringify({ current_context: 'x', contexts: { x: { broker: '127.0.0.1:9092' } } }));
    const typo = await cli(['rewards', 'list'], { REDEEMCTL_CONFIG: bad });
    writeFileSync(bad, JSON.stringify({ contexts: { x: { topic: 7 } } }));
    const wrongType = await cli(['config', 'view'], { REDEEMCTL_CONFIG: bad });
    expect(typo.code).toBe(2);
    const hint = 'hint: the profiles file, its keys and how a context is chosen: docs/config.md\n';
    expect(typo.stderr).toBe(`error: ${bad}: context "x": unknown key "broker". Did you mean brokers?\n${hint}`);
    expect(wrongType.code).toBe(2);
    expect(wrongType.stderr).toBe(`error: ${bad}: context "x": "topic": expected string, received number\n${hint}`);
  });
});

describe.concurrent('secrets', () => {
  it('set-context refuses a URL with a password (exit 2) and leaves the file as it was', async () => {
    const before = readFileSync(config, 'utf8');
    // other forms of a password (?password=, conninfo): tests/profiles/profiles.test.ts
    for (const r of [await cli(['config', 'set-context', 'a', '--database-url', `postgres://app:${SECRET}@127.0.0.1:5432/x`])]) {
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('--database-url carries a password');
      expect(r.stderr).toContain('--database-url-env VAR');
      expect(r.stderr).toContain('--database-url-file PATH');
      expect(r.stderr).not.toContain(SECRET);
    }
    expect(readFileSync(config, 'utf8')).toBe(before);
  });

  it('the file is mode 0600 (also when it was not), and no listing prints a secret, even one written in by hand', async () => {
    expect(statSync(config).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, '.config', 'redeemctl')).mode & 0o777).toBe(0o700);
    const byHand = join(home, 'by-hand.json');
    writeFileSync(byHand, JSON.stringify({ contexts: { old: { database_url: `postgres://app:${SECRET}@db.example.com/loyalty` } } }), { mode: 0o644 });
    chmodSync(byHand, 0o644);
    const env = { REDEEMCTL_CONFIG: byHand, SECRET_URL: `postgres://app:${SECRET}@db.example.com/loyalty` };
    const outputs = await Promise.all([cli(['config', 'get-contexts'], env), cli(['config', 'view', '--json'], env)]);
    for (const r of outputs) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout + r.stderr).not.toContain(SECRET);
      expect(r.stdout).toContain('postgres://app:***@db.example.com/loyalty');
    }
    // the tool does not write the hand-written password back either; once it is gone, the file is rewritten 0600
    const before = readFileSync(byHand, 'utf8');
    const refused = await cli(['config', 'set-context', 'new', '--database-url-env', 'SECRET_URL'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`Context "old" in ${byHand} holds a database password in plain text`);
    expect(refused.stdout + refused.stderr).not.toContain(SECRET);
    expect(readFileSync(byHand, 'utf8')).toBe(before);
    writeFileSync(byHand, JSON.stringify({ contexts: { old: { database_url_env: 'SECRET_URL' } } }));
    const set = await cli(['config', 'set-context', 'new', '--database-url-env', 'SECRET_URL', '--json'], env);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout + set.stderr).not.toContain(SECRET);
    expect(JSON.parse(readFileSync(byHand, 'utf8'))).toEqual({ contexts: { old: { database_url_env: 'SECRET_URL' }, new: { database_url_env: 'SECRET_URL' } } });
    expect(statSync(byHand).mode & 0o777).toBe(0o600);
  });
});

describe.concurrent('the context is visible', () => {
  it('a destructive command refused without a terminal names the context; dash shows it in its header', async () => {
    writeFileSync(join(home, 'codes.csv'), 'code\nCTX-1\n');
    const [cancel, voided, dash, imported] = await Promise.all([
      cli(['--context', 'b', 'cancel', '--batch', 'spring', '--reason', 'test']),
      // the current context (a), chosen by the file
      cli(['codes', 'void', '--lot', 'SPRING', '--reward', 'COFFEE-VOUCHER', '--reason', 'test']),
      cli(['dash', '--once'], { COLUMNS: '120' }),
      cli(['codes', 'import', join(home, 'codes.csv'), '--reward', 'COFFEE-VOUCHER', '--reason', 'test']),
    ]);
    expect(imported.code).toBe(2);
    expect(imported.stderr).toMatch(/Target: context a, database postgres:\/\//);
    expect(cancel.code).toBe(2);
    expect(cancel.stderr).toBe('error: [context b] Cancel every redemption of batch spring? Not confirmed: stdin is not a terminal, so pass --yes to go ahead\n');
    expect(voided.code).toBe(2);
    expect(voided.stderr).toMatch(/^error: \[context a\] Void the codes of reward COFFEE-VOUCHER in lot SPRING\? Not confirmed/);
    expect(dash.code, dash.stderr).toBe(0);
    expect(dash.stdout.split('\n')[0]).toMatch(/^redeemctl dash \[context a\] · 1 pool: /);
  });
});
