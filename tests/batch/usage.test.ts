import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerDatabase, type TestDatabase } from '../support/databases.js';
import { findViolations } from '../support/invariants.js';
import { BatchWorld } from '../support/batchWorld.js';
import { runInProcess } from '../support/cliHarness.js';

// Bad usage and unreadable files: exit 2 with the flag, the column or the line named, and nothing
// written; no database: exit 3 (docs/conventions.md).

let handle: TestDatabase;
let world: BatchWorld;
let before: Record<string, number>;

beforeAll(async () => {
  handle = await createServerDatabase({ poolSize: 4 });
  world = await BatchWorld.create(handle.database.db, handle.url!);
  before = await world.footprint();
});
afterAll(async () => {
  expect(await findViolations(handle.database.db)).toEqual([]);
  await handle?.drop();
});

describe('exit 2, nothing written', () => {
  const good = () => world.file('good.csv', ['email,reward_code', 'bob@b.test,TOTE']);
  it.each([
    ['no --reason', () => [good()], '--reason is required for a batch run'],
    ['a blank --reason', () => [good(), '--reason', '  '], '--reason is required for a batch run'],
    ['--mode force', () => [good(), '--reason', 'r', '--mode', 'force'], '--mode must be one of calc, direct, got "force"'],
    ['--concurrency 0', () => [good(), '--reason', 'r', '--concurrency', '0'], '--concurrency must be a whole number from 1 to 32'],
    ['a --batch-id with a colon', () => [good(), '--reason', 'r', '--batch-id', 'a:b'], '--batch-id must be 1 to 64 letters'],
    ['a missing file', () => [world.path('nope.csv'), '--reason', 'r'], 'nope.csv: ENOENT'],
    ['an empty file', () => [world.file('empty.csv', ''), '--reason', 'r'], 'is empty: expected a header row'],
    [
      'no reward column',
      () => [world.file('noreward.csv', ['email,quantity', 'bob@b.test,1']), '--reason', 'r'],
      'the header has no reward column (add one of reward_id, reward_code)',
    ],
    [
      'no member and no reward column',
      () => [world.file('nokeys.csv', ['quantity', '1']), '--reason', 'r'],
      'the header has no member column (add one of user_id, email, tel) and no reward column (add one of reward_id, reward_code)',
    ],
    [
      'an unknown column (a typo would silently grant 1)',
      () => [world.file('typo.csv', ['email,reward_code,quantitiy', 'bob@b.test,TOTE,2']), '--reason', 'r'],
      'unknown column "quantitiy" in the header (known: user_id, email, tel, reward_id, reward_code, quantity, mode, note)',
    ],
    [
      'a repeated column',
      () => [world.file('twice.csv', ['email,reward_code,Email', 'bob@b.test,TOTE,x']), '--reason', 'r'],
      'column email appears twice in the header',
    ],
    [
      'broken quoting, with its line',
      () => [world.file('quotes.csv', ['email,reward_code', 'bob@b.test,TOTE', 'bob@b.test,"TO"TE']), '--reason', 'r'],
      'line 3: Invalid Closing Quote',
    ],
    [
      'invalid UTF-8, with its line',
      () => {
        const path = world.path('latin1.csv');
        writeFileSync(path, Buffer.concat([Buffer.from('email,reward_code\nbob@b.test,TOTE\nb'), Buffer.from([0xf6]), Buffer.from('b@b.test,TOTE\n')]));
        return [path, '--reason', 'r'];
      },
      'line 3 is not valid UTF-8',
    ],
    ['an unwritable --report', () => [good(), '--reason', 'r', '--report', world.path('no/such/dir/r.csv')], 'r.csv: cannot write it'],
    ['--report naming the input file', () => [good(), '--reason', 'r', '--report', world.path('good.csv')], 'good.csv is the input file good.csv: write to another path'],
  ])('%s', async (_name, args, message) => {
    const r = await world.cli('batch', 'run', '--yes', ...(args() as string[]));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe('');
    expect(await world.footprint()).toEqual(before);
  });
});

describe('input the format allows', () => {
  it('UTF-8 with a BOM, CRLF, quoted fields with line breaks, padded values and blank lines', async () => {
    const text = '\ufeffEmail , Reward_Code,quantity,note\r\n bob@b.test , TOTE ,2,"two\r\nlines"\r\n\r\ncat@b.test,TOTE,,x\r\n';
    const path = world.path('crlf.csv');
    writeFileSync(path, text);
    const r = await world.cli('batch', 'run', '--yes', path, '--reason', 'r', '--json');
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.batch_id).toBe(world.batchIdOf(text));
    expect(summary.results.map((x: any) => [x.line, x.member, x.reward, x.quantity, x.outcome])).toEqual([
      [2, 'bob@b.test', 'TOTE', '2', 'granted'],
      [5, 'cat@b.test', 'TOTE', '1', 'granted'],
    ]);
    before = await world.footprint();
  });
});

describe('exit 3', () => {
  it('when the database cannot be reached', async () => {
    const file = world.file('db.csv', ['email,reward_code', 'bob@b.test,TOTE']);
    const r = await runInProcess(['batch', 'run', '--yes', file, '--reason', 'r'], {
      env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere', NO_COLOR: '1', REDEEMCTL_ACTOR: 'tester' },
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('Cannot reach the database');
  });
});
