import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { quote } from '../../src/engine/quote.js';
import type { Schema } from '../../src/db/schema.js';
import type { FixtureInput } from '../../src/demo/fixtureSchema.js';
import { BACKENDS } from '../support/databases.js';
import { Scenario, uniqueName, useTestDatabase } from '../support/scenario.js';

// quote_reward: what a redemption would say now, and the largest quantity redeemable, with what
// binds it. It writes nothing.

const TABLES: Array<keyof Schema> = ['merchants', 'tiers', 'personas', 'tags', 'user_accounts', 'user_tags', 'reward_master',
  'reward_points_conditions', 'transaction_limits', 'code_import_batches', 'reward_promo_code', 'redemption_requests',
  'reward_redemptions_ledger', 'user_wallet', 'wallet_ledger', 'audit_log'];

function fixture(): FixtureInput {
  const reward = (reward_code: string, extra: object = {}) => ({ reward_code, name: reward_code, fallback_points: 10, ...extra });
  return {
    merchant: { name: uniqueName() },
    tiers: ['Bronze', 'Gold'],
    users: [
      { email: 'member@t.test', tier: 'Bronze', points: 1_000 },
      { email: 'rich@t.test', points: 100_000 },
    ],
    rewards: [
      reward('PRICED', { fallback_points: 300 }),
      reward('VOUCHER', { assign_promocode: true, codes: ['V1', 'V2', 'V3', 'V4', 'V5'] }),
      reward('MUG', { stock_total: 5 }),
      reward('DAILY', { limits: [{ scope: 'user', max: 3, unit: 'day' }] }),
      reward('CAPPED', { limits: [{ scope: 'total', max: 4, unit: 'all_time' }] }),
      reward('CHEAP', { fallback_points: 1 }),
      { reward_code: 'FREE', name: 'Free' },
      reward('GOLD-ONLY', { allowed_tiers: ['Gold'] }),
      reward('CLOSED', { redeem_window_end: '2000-01-01T00:00:00Z' }),
      { reward_code: 'GOLD-PRICED', name: 'Gold price only', require_points_match: true, pricing: [{ tier: 'Gold', points: 10 }] },
    ],
  };
}

describe.each(BACKENDS)('quote on %s', (backend) => {
  const test = useTestDatabase(backend);
  const create = () => Scenario.create(test().database.db, fixture());
  const quoteFor = (s: Scenario, user: string, reward: string, quantity = 1) =>
    quote(s.db, { merchantId: s.merchantId, userId: s.user(user), rewardId: s.reward(reward), quantity });

  it('writes nothing, whatever it answers', async () => {
    const s = await create();
    await s.redeem('member@t.test', 'DAILY'); // a limit with usage, so every read path runs
    const counts = async () => Object.fromEntries(await Promise.all(TABLES.map(async (table) =>
      [table, (await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(s.db)).rows[0]!.n] as const)));
    const before = await counts();
    for (const reward of Object.keys(s.summary.rewardIds)) {
      for (const user of ['member@t.test', 'rich@t.test']) await quoteFor(s, user, reward, 3);
    }
    expect(await counts()).toEqual(before);
  });

  it('bound by points: floor(balance / price), and would_succeed agrees with redeem', async () => {
    const s = await create();
    expect(await quoteFor(s, 'member@t.test', 'PRICED', 3)).toMatchObject({ eligible: true, error_code: null, points_per_unit: 300,
      total_points: 900, balance: 1_000, max_quantity: 3, binding: 'points', would_succeed: true });
    expect(await quoteFor(s, 'member@t.test', 'PRICED', 4)).toMatchObject({ max_quantity: 3, would_succeed: false, total_points: 1_200 });
    expect(await s.redeem('member@t.test', 'PRICED', 4)).toMatchObject({ success: false, error_code: 'INSUFFICIENT_POINTS' });
    expect(await s.redeem('member@t.test', 'PRICED', 3)).toMatchObject({ success: true, new_balance: 100 });
    expect(await quoteFor(s, 'member@t.test', 'PRICED')).toMatchObject({ eligible: true, error_code: null, balance: 100,
      max_quantity: 0, binding: 'points', would_succeed: false });
  });

  it('bound by the codes available', async () => {
    const s = await create();
    await s.redeem('member@t.test', 'VOUCHER', 2);
    expect(await quoteFor(s, 'rich@t.test', 'VOUCHER', 3)).toMatchObject({ max_quantity: 3, binding: 'codes', codes_available: 3, would_succeed: true });
    expect(await quoteFor(s, 'rich@t.test', 'VOUCHER', 4)).toMatchObject({ max_quantity: 3, would_succeed: false });
  });

  it('bound by the stock remaining', async () => {
    const s = await create();
    await s.redeem('member@t.test', 'MUG', 2);
    expect(await quoteFor(s, 'rich@t.test', 'MUG', 3)).toMatchObject({ max_quantity: 3, binding: 'stock', stock_remaining: 3, would_succeed: true });
  });

  it("bound by a user limit's remaining", async () => {
    const s = await create();
    await s.redeem('rich@t.test', 'DAILY');
    expect(await quoteFor(s, 'rich@t.test', 'DAILY', 2)).toMatchObject({ max_quantity: 2, binding: 'limit_user', would_succeed: true,
      limits: [{ scope: 'user', unit: 'day', limit: 3, used: 1, remaining: 2 }] });
    // Another member's usage is not theirs.
    expect(await quoteFor(s, 'member@t.test', 'DAILY')).toMatchObject({ max_quantity: 3, binding: 'limit_user',
      limits: [{ scope: 'user', unit: 'day', limit: 3, used: 0, remaining: 3 }] });
  });

  it("bound by a total limit's remaining, whoever used it", async () => {
    const s = await create();
    await s.redeem('member@t.test', 'CAPPED');
    expect(await quoteFor(s, 'rich@t.test', 'CAPPED', 3)).toMatchObject({ max_quantity: 3, binding: 'limit_total', would_succeed: true,
      limits: [{ scope: 'total', unit: 'all_time', limit: 4, used: 1, remaining: 3 }] });
  });

  it('bound by the 1000 cap when nothing else binds', async () => {
    const s = await create();
    expect(await quoteFor(s, 'rich@t.test', 'CHEAP', 1_000)).toMatchObject({ max_quantity: 1_000, binding: 'quantity_cap', would_succeed: true });
    expect(await quoteFor(s, 'member@t.test', 'FREE')).toMatchObject({ points_per_unit: 0, max_quantity: 1_000, binding: 'quantity_cap' });
  });

  it.each([
    ['GOLD-ONLY', 'NOT_ELIGIBLE', { dimension: 'tier', message: 'Not eligible for this reward: tier' }],
    ['CLOSED', 'OUTSIDE_REDEMPTION_WINDOW', { message: 'Outside the redemption window' }],
    ['GOLD-PRICED', 'NO_POINTS_CONFIG', { points_per_unit: null }],
  ])('blocked on %s: max_quantity 0 and %s, as redeem says', async (reward, code, details) => {
    const s = await create();
    expect(await quoteFor(s, 'member@t.test', reward)).toMatchObject({ eligible: false, error_code: code, max_quantity: 0,
      binding: code.toLowerCase(), would_succeed: false, ...details });
    expect(await s.redeem('member@t.test', reward)).toMatchObject({ success: false, error_code: code });
  });
});
