import { describe, expect, it } from 'vitest';
import { quote } from '../../src/engine/quote.js';
import type { FixtureInput } from '../../src/demo/fixtureSchema.js';
import { BACKENDS } from '../support/databases.js';
import { Scenario, uniqueName, useTestDatabase, workedExample } from '../support/scenario.js';

// Points pricing (docs/domain.md, "Points pricing"): every price is checked twice, as quote() states it
// and as an actual redemption charges it.

/** The worked example, plus a Gold member without persona or tags. */
function worked(): FixtureInput {
  const fixture = workedExample();
  return { ...fixture, users: [...fixture.users!, { email: 'gold@t.test', tier: 'Gold', points: 10_000 }] };
}

/** Rewards that isolate one rule each; every member holds 1,000 points. */
function rulesFixture(): FixtureInput {
  const member = (email: string, extra: object = {}) => ({ email, points: 1_000, ...extra });
  return {
    merchant: { name: uniqueName() },
    tiers: ['Gold'],
    personas: ['Student'],
    tags: ['VIP', 'Fan'],
    users: [
      member('plain@t.test'),
      member('both.tags@t.test', { tags: ['VIP', 'Fan'] }),
      member('vip@t.test', { tags: ['VIP'] }),
      member('seller@t.test', { user_type: 'seller' }),
      member('seller.student@t.test', { user_type: 'seller', persona: 'Student' }),
      member('buyer.student@t.test', { persona: 'Student' }),
      member('gold.student@t.test', { tier: 'Gold', persona: 'Student' }),
      member('broke@t.test', { points: 0 }),
    ],
    rewards: [
      // Equal score (one tag each): the higher priority wins, even at the higher price.
      { reward_code: 'BY-PRIORITY', name: 'Priority decides', fallback_points: 500,
        pricing: [{ tags: ['VIP'], points: 30, priority: 200 }, { tags: ['Fan'], points: 20, priority: 100 }] },
      // Equal score and priority: the lowest price wins.
      { reward_code: 'BY-PRICE', name: 'Price decides', fallback_points: 500,
        pricing: [{ tags: ['VIP'], points: 30 }, { tags: ['Fan'], points: 20 }] },
      // Score beats any priority: tier (1000) over user_type + persona (110).
      { reward_code: 'BY-SCORE', name: 'Score decides', fallback_points: 500,
        pricing: [{ tier: 'Gold', points: 90, priority: 1 }, { user_type: 'buyer', persona: 'Student', points: 10, priority: 999 }] },
      { reward_code: 'BY-TYPE', name: 'User type', fallback_points: 120,
        pricing: [{ user_type: 'seller', points: 70 }, { persona: 'Student', points: 50, priority: 500 }] },
      { reward_code: 'ALL-TAGS', name: 'Needs every tag', fallback_points: 120, pricing: [{ tags: ['VIP', 'Fan'], points: 10 }] },
      { reward_code: 'GOLD-PRICED', name: 'Gold price only', require_points_match: true, fallback_points: 120,
        pricing: [{ tier: 'Gold', points: 60 }] },
      { reward_code: 'FREE', name: 'No price at all' },
      { reward_code: 'POOL', name: 'Pool', fallback_points: 25, assign_promocode: true, codes: { generate: 5, prefix: 'P-' } },
    ],
  };
}

describe.each(BACKENDS)('points pricing on %s', (backend) => {
  const test = useTestDatabase(backend);

  /** Quote says `unit` per unit; redeeming `quantity` charges unit × quantity, once. */
  async function expectPrice(s: Scenario, user: string, reward: string, unit: number, quantity = 1) {
    const total = unit * quantity;
    const quoted = await quote(s.db, { merchantId: s.merchantId, userId: s.user(user), rewardId: s.reward(reward), quantity });
    expect(quoted).toMatchObject({ eligible: true, error_code: null, points_per_unit: unit, total_points: total, would_succeed: true });

    const before = await s.balance(user);
    const result = await s.redeem(user, reward, quantity);
    expect(result).toMatchObject({ success: true, error_code: null, points_per_unit: unit, total_quantity: quantity,
      total_points_deducted: total, new_balance: before - total });
    const rows = await s.ledgerRows(result.event_id);
    expect(rows.reduce((sum, row) => sum + row.points_deducted, 0)).toBe(total);
    expect(await s.balance(user)).toBe(before - total);
    return rows;
  }

  it.each([
    ['bronze@t.test', 100],
    ['silver@t.test', 80],
    ['gold@t.test', 60],
    ['platinum@t.test', 40],
    ['gold.student.vip@t.test', 60], // tier beats persona beats tag
    ['student.vip@t.test', 50], // persona beats tag, whatever their priorities
    ['vip@t.test', 30],
    ['plain@t.test', 120], // no row matches: fallback
  ])('worked example: %s pays %i', async (user, unit) => {
    const s = await Scenario.create(test().database.db, worked());
    const rows = await expectPrice(s, user, 'WORKED', unit);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ qty: 1, points_deducted: unit, success: true });
  });

  it('quantity multiplies the unit price, with one burn for the whole request', async () => {
    const s = await Scenario.create(test().database.db, worked());
    const rows = await expectPrice(s, 'silver@t.test', 'WORKED', 80, 3);
    expect(rows.map((r) => [r.qty, r.points_deducted])).toEqual([[3, 240]]);
    const burns = await s.db.selectFrom('wallet_ledger').selectAll().where('source_id', '=', rows[0]!.event_id).execute();
    expect(burns).toHaveLength(1);
    expect(burns[0]).toMatchObject({ direction: 'burn', amount: 240, balance_before: 10_000, balance_after: 9_760 });
  });

  it('quantity on a pool reward: each of the N rows carries the unit price', async () => {
    const s = await Scenario.create(test().database.db, rulesFixture());
    const rows = await expectPrice(s, 'plain@t.test', 'POOL', 25, 4);
    expect(rows.map((r) => [r.qty, r.points_deducted])).toEqual([[1, 25], [1, 25], [1, 25], [1, 25]]);
  });

  it('equal score: the higher priority wins, even when it is the dearer row', async () => {
    const s = await Scenario.create(test().database.db, rulesFixture());
    await expectPrice(s, 'both.tags@t.test', 'BY-PRIORITY', 30);
  });

  it('equal score and priority: the lowest points_required wins', async () => {
    const s = await Scenario.create(test().database.db, rulesFixture());
    await expectPrice(s, 'both.tags@t.test', 'BY-PRICE', 20);
  });

  it('a tier match beats user_type + persona whatever the priority', async () => {
    const s = await Scenario.create(test().database.db, rulesFixture());
    await expectPrice(s, 'gold.student@t.test', 'BY-SCORE', 90);
    await expectPrice(s, 'buyer.student@t.test', 'BY-SCORE', 10);
  });

  it('user_type is a dimension, and it outranks persona', async () => {
    const s = await Scenario.create(test().database.db, rulesFixture());
    await expectPrice(s, 'seller@t.test', 'BY-TYPE', 70);
    await expectPrice(s, 'seller.student@t.test', 'BY-TYPE', 70);
    await expectPrice(s, 'buyer.student@t.test', 'BY-TYPE', 50);
    await expectPrice(s, 'plain@t.test', 'BY-TYPE', 120);
  });

  it('a row with tags matches only a member holding all of them', async () => {
    const s = await Scenario.create(test().database.db, rulesFixture());
    await expectPrice(s, 'vip@t.test', 'ALL-TAGS', 120);
    await expectPrice(s, 'both.tags@t.test', 'ALL-TAGS', 10);
  });

  it('require_points_match with no matching row: NO_POINTS_CONFIG, nothing charged', async () => {
    const s = await Scenario.create(test().database.db, rulesFixture());
    const quoted = await quote(s.db, { merchantId: s.merchantId, userId: s.user('plain@t.test'), rewardId: s.reward('GOLD-PRICED') });
    expect(quoted).toMatchObject({ eligible: false, error_code: 'NO_POINTS_CONFIG', points_per_unit: null, max_quantity: 0, would_succeed: false });

    const result = await s.redeem('plain@t.test', 'GOLD-PRICED');
    expect(result).toMatchObject({ success: false, error_code: 'NO_POINTS_CONFIG',
      message: 'No points price applies to this member for this reward', total_points_deducted: 0, new_balance: 1_000 });
    expect(await s.balance('plain@t.test')).toBe(1_000);
    // The fallback is ignored when a match is required, and the matching member still pays the row.
    await expectPrice(s, 'gold.student@t.test', 'GOLD-PRICED', 60);
  });

  it('no row matches and fallback_points is null: the redemption succeeds for 0 points, with no burn', async () => {
    const s = await Scenario.create(test().database.db, rulesFixture());
    const rows = await expectPrice(s, 'broke@t.test', 'FREE', 0, 2);
    expect(rows.map((r) => [r.qty, r.points_deducted])).toEqual([[2, 0]]);
    const movements = await s.db.selectFrom('wallet_ledger').select('id').where('user_id', '=', s.user('broke@t.test')).execute();
    expect(movements).toEqual([]);
  });
});
