import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/databases.js';
import { Scenario, uniqueName, useTestDatabase } from '../support/scenario.js';

function poolFixture() {
  return {
    merchant: { name: uniqueName() },
    users: [{ email: 'member@t.test', points: 10_000 }],
    rewards: [
      { reward_code: 'VOUCHER', name: 'Voucher', assign_promocode: true, fallback_points: 50, codes: { generate: 7, prefix: 'V-' } },
      { reward_code: 'MUG', name: 'Mug', fallback_points: 20, default_promo_code: 'MUGS', stock_total: 100 },
    ],
  };
}

describe.each(BACKENDS)('patterns A, B and C on %s', (backend) => {
  const test = useTestDatabase(backend);

  it('A: quantity 5 without a pool writes one row of qty 5 with the default promo code', async () => {
    const s = await Scenario.create(test().database.db, poolFixture());
    const result = await s.redeem('member@t.test', 'MUG', 5, { eventId: `a-${s.merchantId}` });
    expect(result).toMatchObject({ success: true, error_code: null, pattern: 'A', total_quantity: 5, total_points_deducted: 100, new_balance: 9_900 });
    const rows = await s.ledgerRows(result.event_id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ qty: 5, promo_code: 'MUGS', points_deducted: 100, success: true });
    expect(rows[0]!.code).toMatch(/^RWD[0-9A-Z]{16}$/);
    expect(await s.balance('member@t.test')).toBe(9_900);
  });

  it('B: quantity 5 on a pool writes five rows of qty 1, each with its own code, marked redeemed', async () => {
    const s = await Scenario.create(test().database.db, poolFixture());
    const result = await s.redeem('member@t.test', 'VOUCHER', 5);
    expect(result).toMatchObject({ success: true, pattern: 'B', total_quantity: 5, total_points_deducted: 250, new_balance: 9_750 });
    const rows = await s.ledgerRows(result.event_id);
    expect(rows.map((r) => r.qty)).toEqual([1, 1, 1, 1, 1]);
    expect(rows.map((r) => r.promo_code)).toEqual(['V-000001', 'V-000002', 'V-000003', 'V-000004', 'V-000005']);
    expect(new Set(rows.map((r) => r.code)).size).toBe(5);
    expect(rows.every((r) => r.points_deducted === 50)).toBe(true);
    expect(await s.codeStatuses('VOUCHER')).toEqual({ available: 2, redeemed: 5 });
    const burns = await s.db.selectFrom('wallet_ledger').selectAll().where('source_id', '=', result.event_id).execute();
    expect(burns).toHaveLength(1);
    expect(burns[0]).toMatchObject({ direction: 'burn', amount: 250, balance_before: 10_000, balance_after: 9_750 });
  });

  it('C: more than the pool holds is refused with the exact message and one failure row', async () => {
    const s = await Scenario.create(test().database.db, poolFixture());
    const result = await s.redeem('member@t.test', 'VOUCHER', 10);
    expect(result).toMatchObject({
      success: false,
      error_code: 'INSUFFICIENT_CODES',
      message: 'Only 7 code(s) available, you requested 10',
      available: 7,
      requested: 10,
      shortage: 3,
    });
    const rows = await s.ledgerRows(result.event_id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ success: false, qty: 10, points_deducted: 0, promo_code: null, error_code: 'INSUFFICIENT_CODES' });
    expect(await s.codeStatuses('VOUCHER')).toEqual({ available: 7 });
    expect(await s.balance('member@t.test')).toBe(10_000);
  });
});
