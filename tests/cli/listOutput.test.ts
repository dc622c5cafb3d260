import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDist, REPO_ROOT, runBinary, type CliResult } from '../support/cliHarness.js';
import { createServerDatabase, type TestDatabase } from '../support/databases.js';

// Issue 11, points 9, 11 and the listing of point 2, through the built binary against one seeded
// server database: --output table|json|csv on lists (CSV spreadsheet-safe), --json as its short
// form, --quiet, --limit's "showing N of M", times in the merchant's zone (or --utc), and
// `redeemctl audit`. docs/output.md, docs/audit.md.

let handle: TestDatabase;
let env: Record<string, string>;
const cli = (...argv: string[]): Promise<CliResult> => runBinary(argv, env, REPO_ROOT);
const ZONE = 'Asia/Kolkata'; // +05:30 all year: no daylight saving to make the test depend on the date

beforeAll(async () => {
  [handle] = await Promise.all([createServerDatabase({ poolSize: 2 }), ensureDist()]);
  env = { DATABASE_URL: handle.url!, NO_COLOR: '1', REDEEMCTL_ACTOR: 'tester' };
  const seeded = await cli('db', 'seed', '--json');
  expect(seeded.code, seeded.stderr).toBe(0);
  const merchantId = JSON.parse(seeded.stdout).merchantId as string;
  env.REDEEMCTL_MERCHANT = merchantId;
  const db = handle.database.db;
  await db.updateTable('merchants').set({ time_zone: ZONE }).where('id', '=', merchantId).execute();
  // A member whose email a spreadsheet would run as a formula.
  await db.insertInto('user_accounts').values({ merchant_id: merchantId, tier_id: null, persona_id: null, email: '=HYPERLINK("http://x")@evil.test', tel: null }).execute();
  // Audit rows the listing must leave out (another merchant's) and keep (topic-wide, merchant null).
  const other = await db.insertInto('merchants').values({ name: 'Other Co' }).returning('id').executeTakeFirstOrThrow();
  await db
    .insertInto('audit_log')
    .values([
      { merchant_id: other.id, actor: 'mallory', action: 'cancel', target_type: 'batch', target_id: 'b-1', reason: 'not yours', details: null },
      { merchant_id: null, actor: 'ops', action: 'dlq_redrive', target_type: 'topic', target_id: 'reward_redemptions.dlq', reason: 'fixed', details: JSON.stringify({ messages: 3 }) },
    ])
    .execute();
}, 60_000);
afterAll(async () => {
  await handle?.drop();
});

describe('--output table|json|csv on lists', () => {
  it('members find --output csv: a header, the rows, a formula cell neutralised; --json is --output json', async () => {
    const [csv, asJson, short, yaml, both] = await Promise.all([
      cli('members', 'find', 'evil', '--output', 'csv'),
      cli('members', 'find', 'example', '--output', 'json'),
      cli('members', 'find', 'example', '--json'),
      cli('members', 'find', 'example', '--output', 'yaml'),
      cli('members', 'find', 'example', '--json', '--output', 'csv'),
    ]);
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stderr).toBe('');
    const lines = csv.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('member id,email,tel,tier,persona,balance,active');
    expect(lines).toHaveLength(2);
    // Quoted (it holds quotes) and with the apostrophe that makes it text; the balance is a plain number.
    expect(lines[1]).toMatch(/^[0-9a-f-]{36},"'=HYPERLINK\(""http:\/\/x""\)@evil\.test",,,,0,yes$/);

    expect(asJson.code, asJson.stderr).toBe(0);
    expect(short.stdout).toBe(asJson.stdout);
    expect(JSON.parse(asJson.stdout).members.length).toBeGreaterThan(3);

    expect(yaml.code).toBe(2);
    expect(yaml.stdout).toBe('');
    expect(yaml.stderr).toMatch(/--output.*'yaml' is invalid.*table, json, csv/);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--json is short for --output json/);
  });

  it('--limit cuts the list and says there are more: under the table, on stderr beside CSV; --quiet keeps stderr empty', async () => {
    const [table, csv, quiet] = await Promise.all([
      cli('members', 'find', 'example', '--limit', '2'),
      cli('members', 'find', 'example', '--limit', '2', '--output', 'csv'),
      cli('members', 'find', 'example', '--limit', '2', '--output', 'csv', '--quiet'),
    ]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout.trimEnd().split('\n')).toHaveLength(4);
    expect(table.stdout).toContain('First 2 matches of "example"; there are more: type more of it or raise --limit.');
    expect(csv.stdout.trimEnd().split('\n')).toHaveLength(3);
    expect(csv.stderr).toBe('First 2 matches of "example"; there are more: type more of it or raise --limit.\n');
    expect(quiet.code).toBe(0);
    expect(quiet.stdout).toBe(csv.stdout);
    expect(quiet.stderr).toBe('');
  });

  it('pool health takes --output csv too (the status word, not the mark); batch status ID is no list', async () => {
    const [pool, batches] = await Promise.all([cli('pool', 'health', '--output', 'csv'), cli('batch', 'status', 'b-0000000000000000', '--output', 'csv')]);
    expect(pool.code, pool.stderr).toBe(0);
    expect(pool.stdout.split('\n')[0]).toBe('reward,status,available,total,redeemed,voided,expired,last 1h,last 24h,per hour,empty in,short 24h');
    expect(pool.stdout).toMatch(/^COFFEE-VOUCHER,LOW,12,12,0,0,0,0,0,0,never,0$/m);
    // One batch is not a list.
    expect(batches.code).toBe(2);
    expect(batches.stderr).toMatch(/--output csv lists batches: give no batch id/);
  });
});

describe('times in the merchant zone, and redeemctl audit', () => {
  it('audit --since 1h --actor lists what a state change recorded; tables show the zone, --utc shows UTC', async () => {
    const redeem = await cli('redeem', '--user', 'vip@example.com', '--reward', 'COFFEE-MUG', '--mode', 'direct', '--actor', 'alice', '--reason', 'goodwill', '--json');
    expect(redeem.code, redeem.stderr).toBe(0);
    const eventId = JSON.parse(redeem.stdout).event_id as string;

    const [zoned, utc, asJson, all, limitedCsv] = await Promise.all([
      cli('audit', '--since', '1h', '--actor', 'alice'),
      cli('audit', '--since', '1h', '--actor', 'alice', '--utc'),
      cli('audit', '--since', '1h', '--actor', 'alice', '--json'),
      cli('audit', '--json'),
      cli('audit', '--limit', '1', '--output', 'csv'),
    ]);
    expect(zoned.code, zoned.stderr).toBe(0);
    const [head, row] = zoned.stdout.split('\n');
    expect(head).toMatch(new RegExp(`^time \\(${ZONE}\\) +actor +action +target +reason +details`));
    expect(row).toMatch(new RegExp(`^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\+05:30 +alice +redeem_direct +redemption_request ${eventId} +goodwill +points 0, quantity 1`));
    expect(utc.stdout.split('\n')[0]).toMatch(/^time +actor/);
    expect(utc.stdout.split('\n')[1]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z +alice/);

    expect(asJson.code, asJson.stderr).toBe(0);
    const doc = JSON.parse(asJson.stdout);
    expect(doc).toMatchObject({ filters: { actor: 'alice', action: null, limit: 50 }, total: 1, truncated: false });
    expect(doc.entries).toEqual([
      expect.objectContaining({ actor: 'alice', action: 'redeem_direct', target_type: 'redemption_request', target_id: eventId, reason: 'goodwill', details: expect.objectContaining({ quantity: 1 }) }),
    ]);
    // JSON times stay UTC whatever the merchant's zone.
    expect(doc.entries[0].created_at).toMatch(/Z$/);

    // This merchant's rows and the topic-wide ones, newest first; never another merchant's.
    expect(JSON.parse(all.stdout).entries.map((e: any) => e.actor)).toEqual(['alice', 'ops']);

    expect(limitedCsv.code, limitedCsv.stderr).toBe(0);
    expect(limitedCsv.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(limitedCsv.stdout.split('\n')[0]).toBe('time,actor,action,target,reason,details,merchant');
    expect(limitedCsv.stderr).toBe('showing 1 of 2; raise --limit to see more\n');
  });

  it('a merchant zone Node does not know: UTC, said once on stderr (not under --quiet)', async () => {
    await handle.database.db.updateTable('merchants').set({ time_zone: 'Mars/Olympus' }).where('id', '=', env.REDEEMCTL_MERCHANT!).execute();
    try {
      const [loud, quiet, bad, noTimes] = await Promise.all([
        cli('audit'),
        cli('audit', '--quiet'),
        cli('audit', '--since', 'yesterday', '--quiet'),
        cli('members', 'find', 'vip'),
      ]);
      expect(loud.code, loud.stderr).toBe(0);
      expect(loud.stderr).toBe(`warning: the merchant's time zone "Mars/Olympus" is not one this Node knows; times are shown in UTC\n`);
      expect(loud.stdout.split('\n')[1]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z /);
      expect(quiet.stderr).toBe('');
      expect(quiet.stdout).toBe(loud.stdout);
      // A command that shows no time does not warn about the zone.
      expect(noTimes.code, noTimes.stderr).toBe(0);
      expect(noTimes.stderr).toBe('');
      // Errors still print under --quiet, with their exit code.
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/^error: --since must be a duration ago/);
    } finally {
      await handle.database.db.updateTable('merchants').set({ time_zone: ZONE }).where('id', '=', env.REDEEMCTL_MERCHANT!).execute();
    }
  });
});
