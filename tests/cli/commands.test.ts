import { readMigrationFiles } from '../../src/db/migrations.js';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redeem } from '../../src/engine/redeem.js';
import { createServerDatabase, type TestDatabase } from '../support/databases.js';
import { ANSI, runInProcess, type CliResult } from '../support/cliHarness.js';

// The CLI in process (run(argv, io)) against a throwaway server database seeded with
// fixtures/demo.json through `db seed`. Exit codes and conventions: docs/conventions.md.

let handle: TestDatabase;
let env: Record<string, string>;
const cli = (...argv: string[]): Promise<CliResult> => runInProcess(argv, { env });
const json = <T = Record<string, any>>(r: CliResult): T => JSON.parse(r.stdout) as T;

async function userId(email: string): Promise<string> {
  const row = await handle.database.db.selectFrom('user_accounts').select('id').where('email', '=', email).executeTakeFirstOrThrow();
  return row.id;
}
async function balance(email: string): Promise<number> {
  const row = await handle.database.db.selectFrom('user_wallet').select('points_balance').where('user_id', '=', await userId(email)).executeTakeFirstOrThrow();
  return row.points_balance;
}
/** Rows in every table a command could write: equal before and after means nothing was written. */
async function footprint() {
  const { rows } = await sql<Record<string, number>>`select
      (select count(*) from redemption_requests)::int as requests,
      (select count(*) from reward_redemptions_ledger)::int as ledger,
      (select count(*) from reward_redemptions_ledger where cancelled_at is not null)::int as cancelled,
      (select count(*) from wallet_ledger)::int as wallet,
      (select count(*) from audit_log)::int as audit`.execute(handle.database.db);
  return rows[0]!;
}

beforeAll(async () => {
  handle = await createServerDatabase({ poolSize: 2 });
  env = { DATABASE_URL: handle.url!, NO_COLOR: '1', REDEEMCTL_ACTOR: 'tester' };
  const seeded = await cli('db', 'seed', '--json');
  expect(seeded.code, seeded.stderr).toBe(0);
  expect(json(seeded)).toMatchObject({ merchant: 'Demo Coffee Co', users: 8, rewards: 7, codes: 12 });
});
afterAll(async () => {
  await handle?.drop();
});

describe('redeem', () => {
  it('--json redeems, prints exactly one JSON document and writes the ledger row', async () => {
    const before = await balance('bronze@example.com');
    const r = await cli('redeem', '--user', 'bronze@example.com', '--reward', 'COFFEE-MUG', '--quantity', '2', '--json');
    expect(r.code, r.stderr).toBe(0);
    const result = json(r);
    expect(result).toMatchObject({ success: true, error_code: null, pattern: 'A', total_quantity: 2, total_points_deducted: 400, new_balance: before - 400 });
    const rows = await handle.database.db.selectFrom('reward_redemptions_ledger').selectAll().where('event_id', '=', result.event_id).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ qty: 2, promo_code: 'MUG-AT-COUNTER', points_deducted: 400, success: true, source_type: 'cli', actor: 'tester', mode: 'calc' });
    expect(rows[0]!.code).toBe(result.redemptions[0].redemption_code);
    expect(await balance('bronze@example.com')).toBe(before - 400);
  });

  it('a refused redemption exits 1 and names the error code, in JSON and in the human output', async () => {
    const r = await cli('redeem', '--user', 'bronze@example.com', '--reward', 'GOLD-LOUNGE', '--json');
    expect(r.code).toBe(1);
    expect(json(r)).toMatchObject({ success: false, error_code: 'NOT_ELIGIBLE', dimension: 'tier', message: 'Not eligible for this reward: tier' });
    const human = await cli('redeem', '--user', 'newbie@example.com', '--reward', 'COFFEE-MUG');
    expect(human.code).toBe(1);
    expect(human.stdout).toContain('REFUSED INSUFFICIENT_POINTS: Insufficient points. Required: 200, Available: 100');
  });

  it.each([['0'], ['abc'], ['2.5'], ['1001']])('--quantity %s exits 2 naming --quantity and writes nothing', async (quantity) => {
    const before = await footprint();
    const r = await cli('redeem', '--user', 'bronze@example.com', '--reward', 'COFFEE-MUG', '--quantity', quantity, '--json');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--quantity must be a whole number from 1 to 1000');
    expect(r.stdout).toBe('');
    expect(await footprint()).toEqual(before);
  });

  it('an unknown flag exits 2 and names it', async () => {
    const r = await cli('redeem', '--user', 'bronze@example.com', '--reward', 'COFFEE-MUG', '--bogus');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--bogus'");
  });

  it('--mode direct without --reason exits 2 and writes nothing; an unknown mode too', async () => {
    const before = await footprint();
    const r = await cli('redeem', '--user', 'newbie@example.com', '--reward', 'COFFEE-MUG', '--mode', 'direct');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--reason is required with --mode direct');
    const bad = await cli('redeem', '--user', 'newbie@example.com', '--reward', 'COFFEE-MUG', '--mode', 'free');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--mode must be one of calc, direct, force, got "free"');
    expect(await footprint()).toEqual(before);
  });

  it('finds a member by tel', async () => {
    const r = await cli('redeem', '--user', '+15550100001', '--reward', 'COFFEE-MUG', '--json');
    expect(r.code, r.stderr).toBe(0);
    const rows = await handle.database.db.selectFrom('reward_redemptions_ledger').select('user_id').where('event_id', '=', json(r).event_id).execute();
    expect(rows).toEqual([{ user_id: await userId('bronze@example.com') }]);
  });

  it('an unknown member or reward exits 1 with USER_NOT_FOUND / REWARD_NOT_FOUND', async () => {
    const user = await cli('redeem', '--user', 'nobody@example.com', '--reward', 'COFFEE-MUG', '--json');
    expect(user.code).toBe(1);
    expect(json(user)).toEqual({ success: false, error_code: 'USER_NOT_FOUND', message: 'No member with email nobody@example.com' });
    const reward = await cli('redeem', '--user', 'bronze@example.com', '--reward', 'NO-SUCH', '--json');
    expect(reward.code).toBe(1);
    expect(json(reward)).toMatchObject({ error_code: 'REWARD_NOT_FOUND' });
  });

  it('a uuid that names no member of the merchant is refused before the engine: the same words, nothing written', async () => {
    const before = await footprint();
    const nobody = '00000000-0000-4000-8000-000000000001';
    const user = await cli('redeem', '--user', nobody, '--reward', 'COFFEE-MUG', '--event-id', 'unknown-uuid-1', '--json');
    expect(user.code).toBe(1);
    expect(json(user)).toEqual({ success: false, error_code: 'USER_NOT_FOUND', message: `No member with uuid ${nobody}` });
    const reward = await cli('quote', '--user', 'bronze@example.com', '--reward', nobody);
    expect(reward.code).toBe(1);
    expect(reward.stdout.trim()).toBe(`REFUSED REWARD_NOT_FOUND: No reward with uuid ${nobody}`);
    expect(await footprint()).toEqual(before);
  });

  it('human output is a cli-table3 table with no ANSI codes under NO_COLOR, even on a TTY', async () => {
    const r = await runInProcess(['redeem', '--user', 'gold.student.vip@example.com', '--reward', 'COFFEE-VOUCHER'], { env, stdoutTTY: true });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('OK Redeemed 1 x COFFEE-VOUCHER for 60 points [pattern B]');
    expect(r.stdout).toMatch(/┌─+┬/);
    expect(r.stdout).toMatch(/│ redemption code\s+│ promo code\s+│ qty │ points │/);
    expect(r.stdout).toMatch(/│ RWD[0-9A-Z]{16} │ LATTE-000001 │ 1\s+│ 60\s+│/);
    expect(r.stdout).not.toMatch(ANSI);
    // The same on a TTY without NO_COLOR is coloured: the check above can see colour.
    const coloured = await runInProcess(['quote', '--user', 'vip@example.com', '--reward', 'COFFEE-VOUCHER'], { env: { ...env, NO_COLOR: undefined }, stdoutTTY: true });
    expect(coloured.stdout).toMatch(ANSI);
  });
});

describe('quote', () => {
  it('prices, explains the cap and writes nothing', async () => {
    const before = await footprint();
    // vip holds 2000 points; a mug costs 200: the balance caps it at 10, well under the stock.
    const r = await cli('quote', '--user', 'vip@example.com', '--reward', 'COFFEE-MUG', '--quantity', '3', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ eligible: true, error_code: null, points_per_unit: 200, quantity: 3, total_points: 600, balance: 2000, max_quantity: 10, binding: 'points', would_succeed: true });
    const human = await cli('quote', '--user', 'student.vip@example.com', '--reward', 'COFFEE-VOUCHER');
    expect(human.code).toBe(0);
    // Not a terminal: label and value, plain (docs/output.md).
    expect(human.stdout).toMatch(/^verdict {2,}eligible$/m);
    expect(human.stdout).toMatch(/^points per unit {2,}50$/m);
    expect(human.stdout).toMatch(/^bound by {2,}codes$/m);
    // Counts grouped (docs/output.md): vip's 2,000 points, 3 mugs at 200.
    const mugs = await cli('quote', '--user', 'vip@example.com', '--reward', 'COFFEE-MUG', '--quantity', '3');
    expect(mugs.code, mugs.stderr).toBe(0);
    expect(mugs.stdout).toMatch(/^points per unit {2,}200$/m);
    expect(mugs.stdout).toMatch(/^total for 3 {2,}600$/m);
    expect(mugs.stdout).toMatch(/^balance {2,}2,000$/m);
    expect(mugs.stdout).toMatch(/^max quantity now {2,}10$/m);
    const refused = await cli('quote', '--user', 'bronze@example.com', '--reward', 'GOLD-LOUNGE', '--json');
    expect(refused.code).toBe(1);
    expect(json(refused)).toMatchObject({ eligible: false, error_code: 'NOT_ELIGIBLE', max_quantity: 0 });
    expect(await footprint()).toEqual(before);
  });
});

describe('cancel, use and unuse', () => {
  it('cancel --event refunds the points; a second cancel is a no-op success', async () => {
    const before = await balance('silver@example.com');
    const redeemed = await cli('redeem', '--user', 'silver@example.com', '--reward', 'COFFEE-MUG', '--event-id', 'cli-cancel-1', '--json');
    expect(redeemed.code, redeemed.stderr).toBe(0);
    expect(await balance('silver@example.com')).toBe(before - 200);
    const r = await cli('cancel', '--event', 'cli-cancel-1', '--reason', 'member changed their mind', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ success: true, cancelled: 1, points_refunded: 200, message: 'Cancelled 1 redemption(s), refunding 200 points' });
    expect(await balance('silver@example.com')).toBe(before);
    const row = await handle.database.db.selectFrom('reward_redemptions_ledger').selectAll().where('event_id', '=', 'cli-cancel-1').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ cancelled_by: 'tester', cancel_reason: 'member changed their mind' });
    const again = await cli('cancel', '--event', 'cli-cancel-1', '--reason', 'again', '--json');
    expect(again.code).toBe(0);
    expect(json(again)).toMatchObject({ success: true, info_code: 'ALREADY_CANCELLED', cancelled: 0 });
  });

  it('cancel without --reason exits 2', async () => {
    const r = await cli('cancel', '--event', 'cli-cancel-1');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--reason is required to cancel');
  });

  it('cancel --batch without --yes on a non-TTY stdin exits 2 and cancels nothing; with --yes it cancels', async () => {
    const { db } = handle.database;
    const merchant = await db.selectFrom('merchants').select('id').executeTakeFirstOrThrow();
    for (const row of [1, 2]) {
      const result = await redeem(db, {
        merchantId: merchant.id, userId: await userId('platinum@example.com'), rewardId: (await db.selectFrom('reward_master').select('id').where('reward_code', '=', 'COFFEE-MUG').executeTakeFirstOrThrow()).id,
        quantity: 1, eventId: `batch-B1-row-${row}`, sourceType: 'batch', sourceId: 'B1',
      });
      expect(result.success).toBe(true);
    }
    const before = await footprint();
    const r = await cli('cancel', '--batch', 'B1', '--reason', 'bad batch');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('stdin is not a terminal, so pass --yes');
    expect(await footprint()).toEqual(before);
    const yes = await cli('cancel', '--batch', 'B1', '--reason', 'bad batch', '--yes', '--json');
    expect(yes.code, yes.stderr).toBe(0);
    expect(json(yes)).toMatchObject({ success: true, cancelled: 2, points_refunded: 400 });
  });

  it('use and unuse exit 0 when they change something and 1 when refused', async () => {
    const redeemed = json(await cli('redeem', '--user', 'seller@example.com', '--reward', 'COFFEE-MUG', '--json'));
    const code = redeemed.redemptions[0].redemption_code as string;
    const use = await cli('use', '--code', code, '--note', 'handed over');
    expect(use.code, use.stderr).toBe(0);
    expect(use.stdout).toContain(`OK Marked used: ${code}`);
    const twice = await cli('use', '--code', code, '--json');
    expect(twice.code).toBe(1);
    expect(json(twice)).toMatchObject({ success: false, error_code: 'ALREADY_USED' });
    expect((await cli('unuse', '--code', code)).code).toBe(0);
    const unuseTwice = await cli('unuse', '--code', code, '--json');
    expect(unuseTwice.code).toBe(1);
    expect(json(unuseTwice)).toMatchObject({ error_code: 'NOT_USED' });
    const missing = await cli('use', '--code', 'RWD0000000000000000', '--json');
    expect(missing.code).toBe(1);
    expect(json(missing)).toMatchObject({ error_code: 'REDEMPTION_NOT_FOUND' });
    const none = await cli('use');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Name what to act on: one of --redemption, --code');
  });
});

describe('db, help and an unreachable database', () => {
  it('db status --json lists every migration as applied', async () => {
    const r = await cli('db', 'status', '--json');
    expect(r.code, r.stderr).toBe(0);
    const status = json(r);
    expect(status.backend).toBe('postgres');
    expect(status.database).toContain(handle.name);
    expect(status.migrations.map((m: { name: string; state: string }) => [m.name, m.state])).toEqual(
      readMigrationFiles().map((f) => [f.name, 'applied']),
    );
  });

  it('on a server database never migrated: commands ask for `db migrate`, which applies everything once', async () => {
    const empty = await createServerDatabase({ migrated: false, poolSize: 1 });
    try {
      const at = { ...env, DATABASE_URL: empty.url! };
      const redeemed = await runInProcess(['redeem', '--user', 'bronze@example.com', '--reward', 'COFFEE-MUG'], { env: at });
      expect(redeemed.code).toBe(2);
      expect(redeemed.stderr).toContain('The database schema is not current (0001_schema.sql: pending');
      expect(redeemed.stderr).toContain('run `redeemctl db migrate` first');
      const status = await runInProcess(['db', 'status', '--json'], { env: at });
      expect(status.code).toBe(1);
      expect(json(status).migrations.map((m: { state: string }) => m.state)).toEqual(readMigrationFiles().map(() => 'pending'));
      const migrated = await runInProcess(['db', 'migrate', '--json'], { env: at });
      expect(migrated.code, migrated.stderr).toBe(0);
      expect(json(migrated).applied).toEqual(readMigrationFiles().map((f) => f.name));
      const again = await runInProcess(['db', 'migrate'], { env: at });
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('Schema is current');
    } finally {
      await empty.drop();
    }
  });

  it.each([
    [['redeem', '--user', 'bronze@example.com', '--reward', 'COFFEE-MUG']],
    [['db', 'status']],
    [['db', 'migrate']],
  ])('%j against a port nothing listens on exits 3, naming the database and hiding the password', async (argv) => {
    const down = { ...env, DATABASE_URL: 'postgres://postgres:s3cret@127.0.0.1:1/nowhere' };
    const r = await runInProcess(argv, { env: down });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain('Cannot reach the database at postgres://postgres:***@127.0.0.1:1/nowhere');
    expect(r.stderr).toContain('DATABASE_URL');
    expect(r.stderr).not.toContain('s3cret');
  });

  it('--help exits 0 and lists the commands', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    for (const command of ['demo', 'db', 'redeem', 'quote', 'cancel', 'use', 'unuse']) expect(r.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
    const sub = await cli('redeem', '--help');
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain('--quantity <n>');
  });
});
