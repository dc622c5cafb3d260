import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDist, REPO_ROOT, runBinary, type CliResult } from '../support/cliHarness.js';
import { createServerDatabase, type TestDatabase } from '../support/databases.js';

// The support lookups (members, rewards, redemptions), reward-code suggestions and quote's
// verdict, through the built binary against one throwaway server database seeded with
// fixtures/demo.json. What a support person checks; mostly through --json. docs/lookup.md.

let handle: TestDatabase;
let env: Record<string, string>;
const cli = (...argv: string[]): Promise<CliResult> => runBinary(argv, env, REPO_ROOT);
const json = <T = Record<string, any>>(r: CliResult): T => JSON.parse(r.stdout) as T;
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

beforeAll(async () => {
  [handle] = await Promise.all([createServerDatabase({ poolSize: 2 }), ensureDist()]);
  env = { DATABASE_URL: handle.url!, NO_COLOR: '1', REDEEMCTL_ACTOR: 'tester' };
  const seeded = await cli('db', 'seed', '--json');
  expect(seeded.code, seeded.stderr).toBe(0);
  expect(json(seeded)).toMatchObject({ users: 8, rewards: 7, codes: 12 });
});
afterAll(async () => {
  await handle?.drop();
});

describe('rewards list / show (fresh seed)', () => {
  it('rewards show prints price per tier, pool and limits as seeded', async () => {
    const [voucher, tote] = await Promise.all([cli('rewards', 'show', 'COFFEE-VOUCHER', '--json'), cli('rewards', 'show', 'TOTE-BAG', '--json')]);
    expect(voucher.code, voucher.stderr).toBe(0);
    const v = json(voucher);
    // fixtures/demo.json: Bronze 100, Silver 80, Gold 60, Platinum 40, fallback 120 (no tier).
    expect(v.pricing.per_tier.map((p: any) => [p.tier, p.points])).toEqual([['Bronze', 100], ['Silver', 80], ['Gold', 60], ['Platinum', 40], [null, 120]]);
    expect(v.pricing.conditions).toHaveLength(6);
    expect(v).toMatchObject({ stock: null, pool: { available: 12, total: 12, redeemed: 0, voided: 0, expired: 0 }, limits: [] });
    expect(json(tote).limits).toMatchObject([
      { scope: 'total', unit: 'month', max: 100, used: 0 },
      { scope: 'user', unit: 'day', max: 2, used: null },
    ]);
    expect(json(tote).limits[0].window_start).toMatch(ISO_WITH_ZONE);
  });

  it('rewards list covers every reward with stock, eligibility and the window', async () => {
    const r = await cli('rewards', 'list', '--json');
    expect(r.code, r.stderr).toBe(0);
    const byCode = Object.fromEntries(json(r).rewards.map((x: any) => [x.reward_code, x]));
    expect(Object.keys(byCode)).toEqual(['BIRTHDAY-CAKE', 'COFFEE-MUG', 'COFFEE-VOUCHER', 'GOLD-LOUNGE', 'STUDENT-SNACK', 'SUMMER-2025', 'TOTE-BAG']);
    expect(byCode['COFFEE-MUG']).toMatchObject({ stock: { total: 50, issued: 0, remaining: 50 }, pool: null, default_promo_code: 'MUG-AT-COUNTER' });
    expect(byCode['TOTE-BAG'].stock).toEqual({ total: null, issued: null, remaining: null });
    expect(byCode['GOLD-LOUNGE'].pricing.per_tier.map((p: any) => [p.tier, p.eligible])).toEqual([
      ['Bronze', false], ['Silver', false], ['Gold', true], ['Platinum', true], [null, false],
    ]);
    expect(byCode['STUDENT-SNACK'].pricing.per_tier.every((p: any) => p.points === null)).toBe(true);
    expect(byCode['SUMMER-2025'].window).toEqual({ start: '2025-06-01T00:00:00.000Z', end: '2025-08-31T23:59:59.000Z', state: 'closed' });

    const human = await cli('rewards', 'list', '--limit', '2');
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain('BIRTHDAY-CAKE');
    expect(human.stdout).toMatch(/COFFEE-MUG .*50 left of 50/);
    expect(human.stdout).not.toContain('COFFEE-VOUCHER');
    expect(human.stdout).toContain('First 2 rewards by reward_code; there are more: raise --limit.');
  });

  it('a misspelt reward code suggests the nearest codes and exits 1, in every command taking one', async () => {
    const [show, human, redeem, quote] = await Promise.all([
      cli('rewards', 'show', 'COFE-VOUCHER', '--json'),
      cli('rewards', 'show', 'cofe-voucher'),
      cli('redeem', '--user', 'vip@example.com', '--reward', 'COFFE-MUG', '--json'),
      cli('quote', '--user', 'vip@example.com', '--reward', 'COFFEE', '--json'),
    ]);
    expect(show.code).toBe(1);
    expect(json(show)).toEqual({
      success: false,
      error_code: 'REWARD_NOT_FOUND',
      message: 'No reward with reward_code COFE-VOUCHER. Did you mean COFFEE-VOUCHER?',
      suggestions: ['COFFEE-VOUCHER'],
    });
    expect(human.code).toBe(1);
    expect(human.stdout.trim()).toBe('REFUSED REWARD_NOT_FOUND: No reward with reward_code cofe-voucher. Did you mean COFFEE-VOUCHER?');
    expect(redeem.code).toBe(1);
    expect(json(redeem)).toMatchObject({ error_code: 'REWARD_NOT_FOUND', message: 'No reward with reward_code COFFE-MUG. Did you mean COFFEE-MUG?' });
    expect(quote.code).toBe(1);
    expect(json(quote).message).toBe('No reward with reward_code COFFEE. Did you mean COFFEE-MUG or COFFEE-VOUCHER?');
    // Nothing near: the plain refusal.
    const none = await cli('rewards', 'show', 'XYZZY', '--json');
    expect(none.code).toBe(1);
    expect(json(none)).toMatchObject({ message: 'No reward with reward_code XYZZY', suggestions: [] });
  });
});

describe('quote verdict', () => {
  it('says "would fail" with the engine reason and exits 1 for a quantity the member cannot afford; exit 0 when affordable', async () => {
    // vip holds 2000 points; a mug costs 200: 10 are affordable, 11 are not.
    const [ok, tooMany, tooManyHuman] = await Promise.all([
      cli('quote', '--user', 'vip@example.com', '--reward', 'COFFEE-MUG', '--quantity', '10', '--json'),
      cli('quote', '--user', 'vip@example.com', '--reward', 'COFFEE-MUG', '--quantity', '11', '--json'),
      cli('quote', '--user', 'vip@example.com', '--reward', 'COFFEE-MUG', '--quantity', '11'),
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(json(ok)).toMatchObject({ eligible: true, would_succeed: true, would_fail: null, total_points: 2000 });
    expect(tooMany.code).toBe(1);
    expect(json(tooMany)).toMatchObject({
      eligible: true,
      would_succeed: false,
      max_quantity: 10,
      would_fail: { error_code: 'INSUFFICIENT_POINTS', message: 'Insufficient points. Required: 2200, Available: 2000' },
    });
    expect(tooManyHuman.code).toBe(1);
    expect(tooManyHuman.stdout).toContain('would fail: INSUFFICIENT_POINTS (Insufficient points. Required: 2200, Available: 2000)');
    expect(tooManyHuman.stdout).not.toMatch(/verdict\W+eligible/);
  });

  it('gives the reason redeem gives, in redeem order (stock before points), and a blocker as before', async () => {
    // platinum: 9000 points buy 45 mugs; 51 break both the stock (50) and the points: redeem says stock.
    const q = await cli('quote', '--user', 'platinum@example.com', '--reward', 'COFFEE-MUG', '--quantity', '51', '--json');
    expect(q.code).toBe(1);
    expect(json(q)).toMatchObject({ binding: 'points', would_fail: { error_code: 'OUT_OF_STOCK' } });
    const r = await cli('redeem', '--user', 'platinum@example.com', '--reward', 'COFFEE-MUG', '--quantity', '51', '--json');
    expect(r.code).toBe(1);
    expect(json(r)).toMatchObject({ error_code: json(q).would_fail.error_code, message: json(q).would_fail.message });

    const [limit, blocked] = await Promise.all([
      cli('quote', '--user', 'vip@example.com', '--reward', 'TOTE-BAG', '--quantity', '3'),
      cli('quote', '--user', 'bronze@example.com', '--reward', 'GOLD-LOUNGE'),
    ]);
    expect(limit.code).toBe(1);
    expect(limit.stdout).toContain('would fail: LIMIT_EXCEEDED (Limit exceeded: 2 per day (user scope), used 0, remaining 2, requested 3)');
    expect(blocked.code).toBe(1);
    expect(blocked.stdout).toContain('would fail: NOT_ELIGIBLE (Not eligible for this reward: tier)');
  });
});

describe('members find / show after real redemptions', () => {
  let balanceAfter: number;

  beforeAll(async () => {
    // student.vip (tier-less Student VIP, 3000 points) pays 50 a latte and 200 a mug.
    const voucher = await cli('redeem', '--user', 'student.vip@example.com', '--reward', 'COFFEE-VOUCHER', '--quantity', '2', '--event-id', 'lookup-voucher-1', '--json');
    expect(voucher.code, voucher.stderr).toBe(0);
    const mug = await cli('redeem', '--user', 'student.vip@example.com', '--reward', 'COFFEE-MUG', '--event-id', 'lookup-mug-1', '--json');
    expect(mug.code, mug.stderr).toBe(0);
    balanceAfter = json(mug).new_balance;
    expect(balanceAfter).toBe(3000 - 100 - 200);
  });

  it('members find matches email or tel case-insensitively: prefix matches first, then the rest by email', async () => {
    const [vip, tel, capped] = await Promise.all([
      cli('members', 'find', 'VIP', '--json'),
      cli('members', 'find', '555 0100', '--json'),
      cli('members', 'find', 'example', '--limit', '3', '--json'),
    ]);
    expect(vip.code, vip.stderr).toBe(0);
    expect(json(vip).members.map((m: any) => m.email)).toEqual(['vip@example.com', 'gold.student.vip@example.com', 'student.vip@example.com']);
    expect(json(vip).members[2]).toMatchObject({ persona: 'Student', tier: null, balance: balanceAfter });
    expect(json(tel).members).toMatchObject([{ email: 'bronze@example.com', tel: '+15550100001', tier: 'Bronze' }]);
    expect(json(capped)).toMatchObject({ limit: 3, truncated: true });
    expect(json(capped).members).toHaveLength(3);
  });

  it('members find with no match exits 0 with an empty list and says so', async () => {
    const [human, doc] = await Promise.all([cli('members', 'find', 'zzz'), cli('members', 'find', 'zzz', '--json')]);
    expect(human.code).toBe(0);
    expect(human.stdout.trim()).toBe('No member matches "zzz" (email or tel).');
    expect(doc.code).toBe(0);
    expect(json(doc)).toEqual({ fragment: 'zzz', limit: 20, members: [], truncated: false });
  });

  it('members show gives the balance and the recent redemptions with their event ids, newest first', async () => {
    const r = await cli('members', 'show', 'Student.VIP@example.com', '--json');
    expect(r.code, r.stderr).toBe(0);
    const doc = json(r);
    expect(doc.member).toMatchObject({ email: 'student.vip@example.com', tier: null, persona: 'Student', tags: ['VIP'], balance: balanceAfter, birth_date: '2002-09-01' });
    expect(doc.redemptions.map((x: any) => [x.event_id, x.reward_code, x.qty, x.points, x.status])).toEqual([
      ['lookup-mug-1', 'COFFEE-MUG', 1, 200, 'redeemed'],
      ['lookup-voucher-1', 'COFFEE-VOUCHER', 1, 50, 'redeemed'],
      ['lookup-voucher-1', 'COFFEE-VOUCHER', 1, 50, 'redeemed'],
    ]);
    expect(doc.redemptions[0].redeemed_at).toMatch(ISO_WITH_ZONE);
    expect(doc.member.created_at).toMatch(ISO_WITH_ZONE);

    const human = await cli('members', 'show', 'student.vip@example.com');
    expect(human.code).toBe(0);
    for (const text of ['lookup-mug-1', 'lookup-voucher-1', 'COFFEE-MUG', 'LATTE-0000']) expect(human.stdout).toContain(text);
    // Through a pipe, plain columns; counts grouped, times ISO-8601 UTC to the second (docs/output.md).
    expect(human.stdout).toMatch(/^points balance {2,}2,700$/m);
    expect(human.stdout).toMatch(/^member since {2,}\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/m);
    expect(human.stdout).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z {2,}lookup-mug-1 {2,}COFFEE-MUG {2,}1 {2,}200 {2,}redeemed {2,}RWD/m);
  });

  it('a cancelled redemption shows as cancelled and gives the stock back', async () => {
    const cancelled = await cli('cancel', '--event', 'lookup-mug-1', '--reason', 'lookup test', '--json');
    expect(cancelled.code, cancelled.stderr).toBe(0);
    const [show, mug] = await Promise.all([cli('members', 'show', 'student.vip@example.com', '--json'), cli('rewards', 'show', 'COFFEE-MUG', '--json')]);
    expect(json(show).redemptions[0]).toMatchObject({ event_id: 'lookup-mug-1', status: 'cancelled' });
    expect(json(show).redemptions[0].cancelled_at).toMatch(ISO_WITH_ZONE);
    const human = await cli('members', 'show', 'student.vip@example.com');
    expect(human.stdout).toMatch(/ lookup-mug-1 .* cancelled \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z /);
    expect(human.stdout).toMatch(/^points balance {2,}2,900$/m);
    expect(json(show).member.balance).toBe(balanceAfter + 200);
    // This was the only mug issued (the quote tests redeemed none): cancelling gives it back.
    expect(json(mug).stock).toEqual({ total: 50, issued: 0, remaining: 50 });
    const voucher = await cli('rewards', 'show', 'COFFEE-VOUCHER', '--json');
    expect(json(voucher).pool).toMatchObject({ available: 10, redeemed: 2, total: 12 });
  });

  it('an unknown member exits 1 with USER_NOT_FOUND, as redeem says it', async () => {
    const [doc, human, redeem] = await Promise.all([
      cli('members', 'show', 'nobody@example.com', '--json'),
      cli('members', 'show', 'nobody@example.com'),
      cli('redeem', '--user', 'nobody@example.com', '--reward', 'COFFEE-MUG', '--json'),
    ]);
    expect(doc.code).toBe(1);
    expect(json(doc)).toEqual({ success: false, error_code: 'USER_NOT_FOUND', message: 'No member with email nobody@example.com' });
    expect(json(doc)).toEqual(json(redeem));
    expect(human.code).toBe(1);
    expect(human.stdout.trim()).toBe('REFUSED USER_NOT_FOUND: No member with email nobody@example.com');
  });
});

describe('redemptions list', () => {
  beforeAll(async () => {
    // The voucher request happened three days ago; the mug (cancelled) just now.
    await sql`update reward_redemptions_ledger set redeemed_at = now() - interval '3 days' where event_id = 'lookup-voucher-1'`.execute(handle.database.db);
  });

  it('filters by --reward and --since (a duration or an ISO time), newest first', async () => {
    const fourDaysAgo = new Date(Date.now() - 4 * 86_400_000).toISOString();
    const [all, vouchers, lastDay, sinceIso, none] = await Promise.all([
      cli('redemptions', 'list', '--user', 'student.vip@example.com', '--json'),
      cli('redemptions', 'list', '--user', 'student.vip@example.com', '--reward', 'COFFEE-VOUCHER', '--json'),
      cli('redemptions', 'list', '--user', 'student.vip@example.com', '--since', '1d', '--json'),
      cli('redemptions', 'list', '--user', 'student.vip@example.com', '--since', fourDaysAgo, '--reward', 'COFFEE-VOUCHER', '--json'),
      cli('redemptions', 'list', '--user', 'student.vip@example.com', '--since', '2d', '--reward', 'COFFEE-VOUCHER'),
    ]);
    const events = (r: CliResult) => json(r).redemptions.map((x: any) => x.event_id);
    expect(all.code, all.stderr).toBe(0);
    expect(events(all)).toEqual(['lookup-mug-1', 'lookup-voucher-1', 'lookup-voucher-1']);
    expect(events(vouchers)).toEqual(['lookup-voucher-1', 'lookup-voucher-1']);
    expect(json(vouchers).redemptions.every((x: any) => x.reward_code === 'COFFEE-VOUCHER')).toBe(true);
    expect(events(lastDay)).toEqual(['lookup-mug-1']);
    expect(json(lastDay).filters.since).toMatch(ISO_WITH_ZONE);
    expect(events(sinceIso)).toEqual(['lookup-voucher-1', 'lookup-voucher-1']);
    expect(none.code).toBe(0);
    expect(none.stdout.trim()).toBe('No redemptions of student.vip@example.com match.');
  });

  it('--limit bounds the rows and says there are more', async () => {
    const [doc, human] = await Promise.all([
      cli('redemptions', 'list', '--user', 'student.vip@example.com', '--limit', '1', '--json'),
      cli('redemptions', 'list', '--user', 'student.vip@example.com', '--limit', '1'),
    ]);
    expect(json(doc)).toMatchObject({ truncated: true, filters: { limit: 1 } });
    expect(json(doc).redemptions).toHaveLength(1);
    expect(human.stdout).toContain('lookup-mug-1');
    expect(human.stdout).not.toContain('lookup-voucher-1');
    expect(human.stdout).toContain('there are more: raise --limit');
  });

  it('bad input exits 2 naming the flag; an unknown member or reward exits 1', async () => {
    const [limit0, findLimit, since, user, reward] = await Promise.all([
      cli('redemptions', 'list', '--user', 'student.vip@example.com', '--limit', '0', '--json'),
      cli('members', 'find', 'vip', '--limit', '0'),
      cli('redemptions', 'list', '--user', 'student.vip@example.com', '--since', 'yesterday'),
      cli('redemptions', 'list', '--user', 'nobody@example.com', '--json'),
      cli('redemptions', 'list', '--user', 'student.vip@example.com', '--reward', 'COFE-VOUCHER', '--json'),
    ]);
    expect(limit0.code).toBe(2);
    expect(limit0.stderr).toContain('--limit must be a whole number from 1 to 1000, got 0');
    expect(limit0.stdout).toBe('');
    expect(findLimit.code).toBe(2);
    expect(findLimit.stderr).toContain('--limit must be a whole number from 1 to 1000, got 0');
    expect(since.code).toBe(2);
    expect(since.stderr).toContain('--since must be a duration ago (30m, 24h, 7d) or an ISO-8601 time');
    expect(user.code).toBe(1);
    expect(json(user)).toMatchObject({ error_code: 'USER_NOT_FOUND' });
    expect(reward.code).toBe(1);
    expect(json(reward)).toMatchObject({ error_code: 'REWARD_NOT_FOUND', suggestions: ['COFFEE-VOUCHER'] });
    const missing = await cli('redemptions', 'list');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("required option '--user <user>' not specified");
  });
});
