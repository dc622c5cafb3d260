import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDist, REPO_ROOT, runBinary, type CliResult } from '../support/cliHarness.js';
import { createServerDatabase, type TestDatabase } from '../support/databases.js';
import { readFixtureFile, seed } from '../../src/demo/seed.js';

// What to do next (docs/cli.md, "Errors and hints"), through the built binary: a mistyped command
// or flag gets commander's "Did you mean …?" at every level, and errors and refusals end with one
// `hint:` line on stderr naming the command, flag or page that helps. Exit codes and stdout are
// what they were without hints.

let handle: TestDatabase;
let env: Record<string, string>;
const cli = (...argv: string[]): Promise<CliResult> => runBinary(argv, env, REPO_ROOT);
const lines = (text: string) => text.trimEnd().split('\n');

beforeAll(async () => {
  [handle] = await Promise.all([createServerDatabase({ poolSize: 2 }), ensureDist()]);
  env = { DATABASE_URL: handle.url!, NO_COLOR: '1', REDEEMCTL_ACTOR: 'tester' };
  await seed(handle.database.db, await readFixtureFile(join(REPO_ROOT, 'fixtures/demo.json')));
});
afterAll(async () => {
  await handle?.drop();
});

describe('a mistyped command or flag', () => {
  it('suggests the right one, at every level, exit 2, with the help of the command it was typed in', async () => {
    const [command, flag, sub, subFlag] = await Promise.all([
      cli('reedem'),
      // --quantiy: a typo, reported as such before the required --user and --reward found missing
      // (commander alone says "required option '--user <user>' not specified").
      cli('redeem', '--quantiy', '2'),
      cli('codes', 'improt', 'x.csv'),
      cli('dlq', 'redrive', '--exectue'),
    ]);
    expect(command).toMatchObject({ code: 2, stdout: '' });
    expect(lines(command.stderr)).toEqual(["error: unknown command 'reedem'", '(Did you mean redeem?)', 'hint: run redeemctl --help for usage']);
    expect(flag.code).toBe(2);
    expect(lines(flag.stderr)).toEqual(["error: unknown option '--quantiy'", '(Did you mean --quantity?)', 'hint: run redeemctl redeem --help for usage']);
    expect(sub.code).toBe(2);
    expect(lines(sub.stderr)).toEqual([
      "error: unknown command 'improt'",
      '(Did you mean import?)',
      'hint: run redeemctl codes --help for usage; details: docs/codes.md',
    ]);
    expect(subFlag.code).toBe(2);
    expect(subFlag.stderr).toContain('(Did you mean --execute?)');
  });
});

describe('errors name the next step', () => {
  it('a bad flag value: the command help; Kafka not configured: the setting and a local broker', async () => {
    const [quantity, kafka] = await Promise.all([
      cli('redeem', '--user', 'vip@example.com', '--reward', 'COFFEE-MUG', '--quantity', '0'),
      runBinary(['events', 'tail'], { ...env, KAFKA_BROKERS: '' }, REPO_ROOT),
    ]);
    expect(quantity.code).toBe(2);
    expect(lines(quantity.stderr)).toEqual(['error: --quantity must be a whole number from 1 to 1000, got 0', 'hint: run redeemctl redeem --help for usage']);
    expect(kafka.code).toBe(3);
    expect(lines(kafka.stderr)[0]).toBe('error: Kafka is not configured: set KAFKA_BROKERS (host:port[,host:port]) or pass --brokers');
    expect(lines(kafka.stderr)[1]).toMatch(/^hint: .*npm run -s kafka:start.*docs\/kafka\.md$/);
  });

  it('no hint where the message already says what to do', async () => {
    const merchant = await cli('rewards', 'list', '--merchant', 'Nobody');
    expect(merchant.code).toBe(2);
    expect(lines(merchant.stderr)).toEqual(['error: No merchant "Nobody": check --merchant or REDEEMCTL_MERCHANT']);
  });
});

describe('refusals name the command that shows why', () => {
  it('the REFUSED line on stdout is unchanged; the hint is on stderr; exit 1', async () => {
    const [reward, member, points, cancel] = await Promise.all([
      cli('redeem', '--user', 'vip@example.com', '--reward', 'COFE-MUG'),
      cli('members', 'show', 'nobody@example.com'),
      cli('redeem', '--user', 'newbie@example.com', '--reward', 'COFFEE-MUG'),
      cli('cancel', '--code', 'RWD-NONE', '--reason', 'test'),
    ]);
    expect(reward).toMatchObject({ code: 1, stdout: 'REFUSED REWARD_NOT_FOUND: No reward with reward_code COFE-MUG. Did you mean COFFEE-MUG?\n' });
    expect(reward.stderr).toMatch(/^hint: list the reward codes: redeemctl rewards list/);
    expect(member).toMatchObject({ code: 1, stdout: 'REFUSED USER_NOT_FOUND: No member with email nobody@example.com\n' });
    expect(member.stderr).toBe('hint: find the member by part of the email or tel: redeemctl members find <fragment>\n');
    expect(points.code).toBe(1);
    expect(points.stdout).toMatch(/^REFUSED INSUFFICIENT_POINTS: /);
    expect(points.stderr).toBe(
      'hint: the balance, the price and the largest quantity allowed now: redeemctl quote --user newbie@example.com --reward COFFEE-MUG\n',
    );
    expect(cancel.code).toBe(1);
    expect(cancel.stderr).toMatch(/^hint: .*redeemctl redemptions list --user <member>\n$/);
  });

  it('with --json, stdout is the one JSON document as before and the hint goes to stderr', async () => {
    const refused = await cli('redeem', '--user', 'vip@example.com', '--reward', 'COFE-MUG', '--json');
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toEqual({
      success: false,
      error_code: 'REWARD_NOT_FOUND',
      message: 'No reward with reward_code COFE-MUG. Did you mean COFFEE-MUG?',
      suggestions: ['COFFEE-MUG'],
    });
    expect(refused.stderr).toMatch(/^hint: list the reward codes/);
  });
});
