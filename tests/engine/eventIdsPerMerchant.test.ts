import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { FixtureInput } from '../../src/demo/fixtureSchema.js';
import { recordInvalidEvent } from '../../src/worker/invalidEvent.js';
import { BACKENDS } from '../support/databases.js';
import { Scenario, uniqueName, useTestDatabase } from '../support/scenario.js';

// Issue 9, defect 3: idempotency is per merchant. Merchant B reusing an event id merchant A used
// is B's own new request: it takes effect, and B learns nothing about A.

function fixture(): FixtureInput {
  return {
    merchant: { name: uniqueName() },
    users: [{ email: 'member@t.test', points: 1_000 }],
    rewards: [
      { reward_code: 'GIFT', name: 'Gift', fallback_points: 10 },
      { reward_code: 'CODE', name: 'Code', fallback_points: 20, assign_promocode: true, codes: ['C-1', 'C-2', 'C-3'] },
    ],
  };
}

describe.each(BACKENDS)('event ids are per merchant on %s', (backend) => {
  const test = useTestDatabase(backend);
  const both = async () => [await Scenario.create(test().database.db, fixture()), await Scenario.create(test().database.db, fixture())] as const;

  it("B's request under A's event id takes effect, and each merchant's replay returns its own result", async () => {
    const [a, b] = await both();
    const eventId = `shared-${a.merchantId}`;
    const first = await a.redeem('member@t.test', 'GIFT', 2, { eventId });
    expect(first).toMatchObject({ success: true, total_points_deducted: 20, idempotent: false });

    const other = await b.redeem('member@t.test', 'CODE', 1, { eventId });
    expect(other).toMatchObject({ success: true, total_points_deducted: 20, idempotent: false, event_id: eventId });
    expect(other.message).not.toContain('already used');
    expect(await a.balance('member@t.test')).toBe(980);
    expect(await b.balance('member@t.test')).toBe(980);

    expect(await a.redeem('member@t.test', 'GIFT', 2, { eventId })).toEqual({ ...first, idempotent: true });
    expect(await b.redeem('member@t.test', 'CODE', 1, { eventId })).toEqual({ ...other, idempotent: true });
    // Within one merchant the id still names one request.
    expect(await b.redeem('member@t.test', 'GIFT', 1, { eventId })).toMatchObject({ success: false, error_code: 'IDEMPOTENCY_CONFLICT' });

    const records = await a.db.selectFrom('redemption_requests').select(['merchant_id', 'status']).where('event_id', '=', eventId).orderBy('merchant_id').execute();
    expect(records).toEqual([a.merchantId, b.merchantId].sort().map((merchant_id) => ({ merchant_id, status: 'succeeded' })));
    const burns = await a.db.selectFrom('wallet_ledger').select(['merchant_id', 'amount']).where('source_type', '=', 'redemption').where('source_id', '=', eventId).execute();
    expect(burns).toHaveLength(2);
  });

  it("an unreadable Kafka event under A's id is recorded for B", async () => {
    const [a, b] = await both();
    const eventId = `bad-${a.merchantId}`;
    expect(await a.redeem('member@t.test', 'GIFT', 1, { eventId })).toMatchObject({ success: true });
    await recordInvalidEvent(b.db, { eventId, merchantId: b.merchantId, userId: null, rewardId: null, quantity: null }, 'quantity is not a number');
    const bRecord = await b.db.selectFrom('redemption_requests').select(['status', 'error_code']).where('event_id', '=', eventId).where('merchant_id', '=', b.merchantId).execute();
    expect(bRecord).toEqual([{ status: 'failed', error_code: 'INVALID_EVENT' }]);
    const aRecord = await a.db.selectFrom('redemption_requests').select(['status']).where('event_id', '=', eventId).where('merchant_id', '=', a.merchantId).execute();
    expect(aRecord).toEqual([{ status: 'succeeded' }]);
  });

  it('a points grant under the same source id credits each merchant once', async () => {
    const [a, b] = await both();
    const earn = (s: Scenario) =>
      sql`select rd_earn_points(${s.merchantId}::uuid, ${s.user('member@t.test')}::uuid, 50::bigint, 'grant', 'batch-7:1', 'promo')`.execute(s.db);
    await earn(a);
    await earn(b);
    await earn(b);
    expect(await a.balance('member@t.test')).toBe(1_050);
    expect(await b.balance('member@t.test')).toBe(1_050);
  });
});
