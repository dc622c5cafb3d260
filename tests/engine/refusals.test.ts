import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { redeem, redeemOnce } from '../../src/engine/redeem.js';
import type { RedeemRequest, RedeemResult } from '../../src/engine/types.js';
import type { FixtureInput } from '../../src/demo/fixtureSchema.js';
import { BACKENDS } from '../support/databases.js';
import { Scenario, uniqueName, useTestDatabase } from '../support/scenario.js';

// Every refusal of redeem_reward_with_points (docs/domain.md, "The redemption transaction"): the
// numbers behind it, and a state unchanged but for one failure row and the stored request.

function fixture(): FixtureInput {
  const open = (reward_code: string, extra: object = {}) => ({ reward_code, name: reward_code, fallback_points: 10, ...extra });
  return {
    merchant: { name: uniqueName() },
    tiers: ['Silver', 'Gold'],
    personas: ['Student', 'Parent'],
    tags: ['VIP', 'Fan', 'Staff'],
    users: [
      { email: 'member@t.test', tier: 'Silver', persona: 'Parent', tags: ['Fan'], birth_date: '1990-03-15', points: 100 },
      { email: 'other@t.test', tier: 'Gold', persona: 'Student', tags: ['VIP'], points: 100 }, // no birth_date
      { email: 'inactive@t.test', active: false, points: 100 },
    ],
    rewards: [
      open('GIFT'),
      open('OFF', { active: false }),
      open('GOLD-ONLY', { allowed_tiers: ['Gold'] }),
      open('STUDENTS', { allowed_personas: ['Student'] }),
      open('VIP-OR-STAFF', { allowed_tags: ['VIP', 'Staff'] }),
      open('DECEMBER', { allowed_birth_months: [12] }),
      open('MARCH', { allowed_birth_months: [3] }),
      open('NOT-YET', { redeem_window_start: '2999-01-01T00:00:00Z' }),
      open('OVER', { redeem_window_end: '2000-01-01T00:00:00Z' }),
      open('TWICE-A-DAY', { limits: [{ scope: 'user', max: 2, unit: 'day' }] }),
      open('THREE-EVER', { limits: [{ scope: 'total', max: 3, unit: 'all_time' }] }),
      open('MUG', { stock_total: 2 }),
      open('VOUCHER', { assign_promocode: true, codes: ['V1', 'V2', 'V3'] }),
      open('EXPIRING', { assign_promocode: true, codes: ['E1', 'E2', 'E3', 'E4'] }),
      { reward_code: 'GOLD-PRICED', name: 'Gold price only', require_points_match: true, pricing: [{ tier: 'Gold', points: 10 }] },
      open('PRICEY', { fallback_points: 150 }),
    ],
  };
}

/** Everything a refusal must leave alone, for this merchant. */
async function snapshot(s: Scenario) {
  const count = async (table: string) =>
    (await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)} where merchant_id = ${s.merchantId}::uuid`.execute(s.db)).rows[0]!.n;
  const balances = await s.db.selectFrom('user_wallet').select(['user_id', 'points_balance']).where('merchant_id', '=', s.merchantId).orderBy('user_id').execute();
  const codes = await s.db.selectFrom('reward_promo_code').select(['promo_code', 'status', 'ledger_id']).where('merchant_id', '=', s.merchantId).orderBy('id').execute();
  const stock = await sql`select u.reward_id, u.issued from reward_stock_usage u join reward_master m on m.id = u.reward_id
                          where m.merchant_id = ${s.merchantId}::uuid order by 1`.execute(s.db);
  const limits = await sql`select u.limit_id, u.used from limit_usage u join transaction_limits l on l.id = u.limit_id
                           where l.merchant_id = ${s.merchantId}::uuid order by 1`.execute(s.db);
  return {
    balances, codes, stock: stock.rows, limits: limits.rows,
    walletLedger: await count('wallet_ledger'), audit: await count('audit_log'),
    ledger: await count('reward_redemptions_ledger'), requests: await count('redemption_requests'),
  };
}

describe.each(BACKENDS)('refusals on %s', (backend) => {
  const test = useTestDatabase(backend);
  const create = () => Scenario.create(test().database.db, fixture());

  /** A call refused with `expected`: one failure row, one failed request record, nothing else. */
  async function expectRefusal(s: Scenario, request: RedeemRequest, expected: Partial<RedeemResult>): Promise<RedeemResult> {
    const before = await snapshot(s);
    const result = await redeem(s.db, request);
    expect(result).toMatchObject({ success: false, idempotent: false, redemptions: [], total_quantity: 0, total_points_deducted: 0, ...expected });
    expect(await snapshot(s)).toEqual({ ...before, ledger: before.ledger + 1, requests: before.requests + 1 });
    const rows = await s.ledgerRows(result.event_id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ success: false, error_code: expected.error_code, error_message: result.message,
      qty: request.quantity, points_deducted: 0, promo_code: null, promo_code_id: null, user_id: request.userId, reward_id: request.rewardId });
    const stored = await s.db.selectFrom('redemption_requests').selectAll().where('event_id', '=', result.event_id).executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ status: 'failed', error_code: expected.error_code, result });
    return result;
  }
  const ask = (s: Scenario, user: string, reward: string, quantity = 1): RedeemRequest =>
    ({ merchantId: s.merchantId, userId: s.user(user), rewardId: s.reward(reward), quantity });

  it.each([0, -1, 1001])('INVALID_QUANTITY for quantity %i', async (quantity) => {
    const s = await create();
    await expectRefusal(s, ask(s, 'member@t.test', 'GIFT', quantity), { error_code: 'INVALID_QUANTITY',
      message: 'Quantity must be a whole number between 1 and 1000', requested: quantity, new_balance: 100 });
  });

  it("USER_NOT_FOUND: a random id and another merchant's member look exactly alike", async () => {
    const s = await create();
    const elsewhere = await create();
    const unknown = await expectRefusal(s, { ...ask(s, 'member@t.test', 'GIFT'), userId: randomUUID() },
      { error_code: 'USER_NOT_FOUND', message: 'User not found', new_balance: null });
    const foreignBefore = await snapshot(elsewhere);
    const foreign = await expectRefusal(s, { ...ask(s, 'member@t.test', 'GIFT'), userId: elsewhere.user('member@t.test') },
      { error_code: 'USER_NOT_FOUND' });
    expect({ ...foreign, event_id: 'x' }).toEqual({ ...unknown, event_id: 'x' });
    expect(await snapshot(elsewhere)).toEqual(foreignBefore);
  });

  it('USER_INACTIVE', async () => {
    const s = await create();
    await expectRefusal(s, ask(s, 'inactive@t.test', 'GIFT'), { error_code: 'USER_INACTIVE', message: 'User account is inactive' });
  });

  it("REWARD_NOT_FOUND: a random id and another merchant's reward look exactly alike", async () => {
    const s = await create();
    const elsewhere = await create();
    const unknown = await expectRefusal(s, { ...ask(s, 'member@t.test', 'GIFT'), rewardId: randomUUID() },
      { error_code: 'REWARD_NOT_FOUND', message: 'Reward not found', new_balance: 100 });
    const foreign = await expectRefusal(s, { ...ask(s, 'member@t.test', 'GIFT'), rewardId: elsewhere.reward('GIFT') },
      { error_code: 'REWARD_NOT_FOUND' });
    expect({ ...foreign, event_id: 'x' }).toEqual({ ...unknown, event_id: 'x' });
  });

  it('REWARD_INACTIVE', async () => {
    const s = await create();
    await expectRefusal(s, ask(s, 'member@t.test', 'OFF'), { error_code: 'REWARD_INACTIVE', message: 'Reward is inactive' });
  });

  it.each([
    ['member@t.test', 'GOLD-ONLY', 'tier'],
    ['member@t.test', 'STUDENTS', 'persona'],
    ['member@t.test', 'VIP-OR-STAFF', 'tags'],
    ['member@t.test', 'DECEMBER', 'birth_month'],
    ['other@t.test', 'MARCH', 'birth_month'], // no birth_date at all
  ])('NOT_ELIGIBLE: %s for %s fails on %s', async (user, reward, dimension) => {
    const s = await create();
    await expectRefusal(s, ask(s, user, reward), { error_code: 'NOT_ELIGIBLE', dimension, message: `Not eligible for this reward: ${dimension}` });
  });

  it('eligibility passes for a member holding one of the allowed tags, and for a matching birth month', async () => {
    const s = await create();
    expect(await s.redeem('other@t.test', 'VIP-OR-STAFF')).toMatchObject({ success: true, total_points_deducted: 10 });
    expect(await s.redeem('member@t.test', 'MARCH')).toMatchObject({ success: true, total_points_deducted: 10 });
  });

  it.each(['NOT-YET', 'OVER'])('OUTSIDE_REDEMPTION_WINDOW for %s', async (reward) => {
    const s = await create();
    await expectRefusal(s, ask(s, 'member@t.test', reward), { error_code: 'OUTSIDE_REDEMPTION_WINDOW', message: 'Outside the redemption window' });
  });

  it('LIMIT_EXCEEDED, user scope, with the numbers', async () => {
    const s = await create();
    expect(await s.redeem('member@t.test', 'TWICE-A-DAY')).toMatchObject({ success: true });
    await expectRefusal(s, ask(s, 'member@t.test', 'TWICE-A-DAY', 2), { error_code: 'LIMIT_EXCEEDED',
      message: 'Limit exceeded: 2 per day (user scope), used 1, remaining 1, requested 2',
      limit: 2, unit: 'day', scope: 'user', used: 1, remaining: 1, requested: 2 });
  });

  it('LIMIT_EXCEEDED, total scope, counts every member', async () => {
    const s = await create();
    expect(await s.redeem('other@t.test', 'THREE-EVER', 2)).toMatchObject({ success: true });
    await expectRefusal(s, ask(s, 'member@t.test', 'THREE-EVER', 2), { error_code: 'LIMIT_EXCEEDED',
      message: 'Limit exceeded: 3 per all_time (total scope), used 2, remaining 1, requested 2',
      limit: 3, unit: 'all_time', scope: 'total', used: 2, remaining: 1, requested: 2 });
  });

  it('OUT_OF_STOCK', async () => {
    const s = await create();
    expect(await s.redeem('other@t.test', 'MUG')).toMatchObject({ success: true });
    await expectRefusal(s, ask(s, 'member@t.test', 'MUG', 2), { error_code: 'OUT_OF_STOCK',
      message: 'Out of stock: 1 left, you requested 2', available: 1, requested: 2 });
  });

  it('INSUFFICIENT_CODES with the exact message', async () => {
    const s = await create();
    await expectRefusal(s, ask(s, 'member@t.test', 'VOUCHER', 5), { error_code: 'INSUFFICIENT_CODES',
      message: 'Only 3 code(s) available, you requested 5', available: 3, requested: 5, shortage: 2 });
  });

  it('expired codes are never handed out, nor counted as available', async () => {
    const s = await create();
    await s.db.updateTable('reward_promo_code').set({ expires_at: '2000-01-01T00:00:00Z' })
      .where('merchant_id', '=', s.merchantId).where('promo_code', 'in', ['E1', 'E2']).execute();
    await s.db.updateTable('reward_promo_code').set({ expires_at: '2999-01-01T00:00:00Z' })
      .where('merchant_id', '=', s.merchantId).where('promo_code', '=', 'E3').execute();
    await expectRefusal(s, ask(s, 'member@t.test', 'EXPIRING', 3), { error_code: 'INSUFFICIENT_CODES',
      message: 'Only 2 code(s) available, you requested 3', available: 2, requested: 3, shortage: 1 });
    const ok = await s.redeem('member@t.test', 'EXPIRING', 2);
    expect(ok.redemptions.map((r) => r.promo_code)).toEqual(['E3', 'E4']);
    const codes = await s.db.selectFrom('reward_promo_code').select(['promo_code', 'status']).where('reward_id', '=', s.reward('EXPIRING')).orderBy('id').execute();
    expect(codes).toEqual([{ promo_code: 'E1', status: 'available' }, { promo_code: 'E2', status: 'available' },
      { promo_code: 'E3', status: 'redeemed' }, { promo_code: 'E4', status: 'redeemed' }]);
  });

  it('NO_POINTS_CONFIG', async () => {
    const s = await create();
    await expectRefusal(s, ask(s, 'member@t.test', 'GOLD-PRICED'), { error_code: 'NO_POINTS_CONFIG',
      message: 'No points price applies to this member for this reward' });
  });

  it('INSUFFICIENT_POINTS with the real numbers', async () => {
    const s = await create();
    await expectRefusal(s, ask(s, 'member@t.test', 'PRICEY', 5), { error_code: 'INSUFFICIENT_POINTS',
      message: 'Insufficient points. Required: 750, Available: 100', required: 750, available: 100, shortage: 650, new_balance: 100 });
  });

  it('IDEMPOTENCY_CONFLICT writes nothing at all', async () => {
    const s = await create();
    const eventId = `conflict-${randomUUID()}`;
    expect(await s.redeem('member@t.test', 'GIFT', 1, { eventId })).toMatchObject({ success: true });
    const before = await snapshot(s);
    const result = await s.redeem('member@t.test', 'MUG', 1, { eventId });
    expect(result).toMatchObject({ success: false, error_code: 'IDEMPOTENCY_CONFLICT', event_id: eventId,
      message: `Event ${eventId} was already used for a different request`, redemptions: [], total_points_deducted: 0 });
    expect(await snapshot(s)).toEqual(before);
  });

  it.each([
    ['direct', { reason: 'goodwill' }],
    ['direct', { actor: '   ', reason: 'goodwill' }],
    ['force', { actor: 'alice' }],
    ['force', { actor: 'alice', reason: '' }],
  ] as const)('%s mode without an actor and a reason raises RD002 and writes nothing (%o)', async (mode, who) => {
    const s = await create();
    const before = await snapshot(s);
    await expect(s.redeem('member@t.test', 'GIFT', 1, { mode, ...who })).rejects.toMatchObject({ code: 'RD002' });
    expect(await snapshot(s)).toEqual(before);
  });
});

describe('CONCURRENT_CONFLICT on postgres', () => {
  const test = useTestDatabase('postgres');

  it('codes held by another transaction: retryable, nothing recorded, the same event succeeds once they are free', async () => {
    const s = await Scenario.create(test().database.db, fixture());
    const request: RedeemRequest = { merchantId: s.merchantId, userId: s.user('member@t.test'), rewardId: s.reward('VOUCHER'),
      quantity: 3, eventId: `held-${randomUUID()}` };
    const before = await snapshot(s);
    const result = await test().database.withConnection(async (other) => {
      await other.query('begin');
      try {
        await other.query(`select id from reward_promo_code where merchant_id = $1 and promo_code = 'V1' for update`, [s.merchantId]);
        return await redeemOnce(s.db, request);
      } finally {
        await other.query('rollback');
      }
    });
    expect(result).toMatchObject({ success: false, error_code: 'CONCURRENT_CONFLICT', retryable: true, available: 3, requested: 3,
      message: 'Only 2 of 3 code(s) could be reserved; others are being redeemed right now, retry', redemptions: [] });
    expect(await snapshot(s)).toEqual(before);
    expect(await redeemOnce(s.db, request)).toMatchObject({ success: true, idempotent: false, total_quantity: 3 });
  });
});
