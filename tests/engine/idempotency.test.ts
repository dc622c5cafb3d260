import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sql, type RawBuilder } from 'kysely';
import { redeemOnce } from '../../src/engine/redeem.js';
import type { RedeemRequest } from '../../src/engine/types.js';
import type { FixtureInput } from '../../src/demo/fixtureSchema.js';
import { BACKENDS } from '../support/databases.js';
import { Scenario, uniqueName, useTestDatabase } from '../support/scenario.js';

// Idempotency on event_id (docs/domain.md, "The redemption transaction", step 1).

function fixture(): FixtureInput {
  return {
    merchant: { name: uniqueName() },
    users: [
      { email: 'member@t.test', points: 1_000 },
      { email: 'other@t.test', points: 1_000 },
    ],
    rewards: [
      { reward_code: 'VOUCHER', name: 'Voucher', fallback_points: 50, assign_promocode: true, codes: { generate: 10, prefix: 'V-' } },
      { reward_code: 'MUG', name: 'Mug', fallback_points: 20 },
      { reward_code: 'PRICEY', name: 'Pricey', fallback_points: 5_000 },
    ],
  };
}

/** What an event's effects amount to, for this merchant. */
async function effects(s: Scenario, eventId: string) {
  const n = async (query: RawBuilder<{ n: number }>) => (await query.execute(s.db)).rows[0]!.n;
  const request = await s.db.selectFrom('redemption_requests').select(['status', 'redelivery_count']).where('event_id', '=', eventId).executeTakeFirst();
  return {
    request,
    ledgerRows: await n(sql`select count(*)::int as n from reward_redemptions_ledger where merchant_id = ${s.merchantId}::uuid`),
    walletRows: await n(sql`select count(*)::int as n from wallet_ledger where merchant_id = ${s.merchantId}::uuid`),
    requests: await n(sql`select count(*)::int as n from redemption_requests where merchant_id = ${s.merchantId}::uuid`),
    member: await s.balance('member@t.test'),
    other: await s.balance('other@t.test'),
    codes: await s.codeStatuses('VOUCHER'),
  };
}

describe.each(BACKENDS)('idempotency on %s', (backend) => {
  const test = useTestDatabase(backend);
  const create = () => Scenario.create(test().database.db, fixture());

  it('the same event twice takes effect once; the replay is the first result with idempotent: true', async () => {
    const s = await create();
    const eventId = `evt-${randomUUID()}`;
    const first = await s.redeem('member@t.test', 'VOUCHER', 3, { eventId });
    expect(first).toMatchObject({ success: true, idempotent: false, event_id: eventId, total_points_deducted: 150, new_balance: 850 });
    const once = await effects(s, eventId);
    expect(once).toMatchObject({ request: { status: 'succeeded', redelivery_count: 0 }, ledgerRows: 3, walletRows: 3, member: 850,
      codes: { available: 7, redeemed: 3 } });

    const second = await s.redeem('member@t.test', 'VOUCHER', 3, { eventId });
    expect(second).toEqual({ ...first, idempotent: true });
    const third = await s.redeem('member@t.test', 'VOUCHER', 3, { eventId });
    expect(third).toEqual({ ...first, idempotent: true });
    expect(await effects(s, eventId)).toEqual({ ...once, request: { status: 'succeeded', redelivery_count: 2 } });
    const burns = await s.db.selectFrom('wallet_ledger').select('amount').where('source_id', '=', eventId).execute();
    expect(burns).toEqual([{ amount: 150 }]);
  });

  it('a failure redelivered returns the same failure and writes no second failure row', async () => {
    const s = await create();
    const eventId = `evt-${randomUUID()}`;
    const first = await s.redeem('member@t.test', 'PRICEY', 1, { eventId });
    expect(first).toMatchObject({ success: false, error_code: 'INSUFFICIENT_POINTS', idempotent: false,
      message: 'Insufficient points. Required: 5000, Available: 1000' });
    const once = await effects(s, eventId);
    const again = await s.redeem('member@t.test', 'PRICEY', 1, { eventId });
    expect(again).toEqual({ ...first, idempotent: true });
    expect(await effects(s, eventId)).toEqual({ ...once, request: { status: 'failed', redelivery_count: 1 } });
    const rows = await s.ledgerRows(eventId);
    expect(rows.map((r) => [r.success, r.error_code])).toEqual([[false, 'INSUFFICIENT_POINTS']]);
  });

  it.each([
    ['user', (s: Scenario) => ({ userId: s.user('other@t.test') })],
    ['reward', (s: Scenario) => ({ rewardId: s.reward('MUG') })],
    ['quantity', () => ({ quantity: 2 })],
    ['mode', () => ({ mode: 'force' as const, actor: 'alice', reason: 'override' })],
  ])('a used event id with a different %s is IDEMPOTENCY_CONFLICT and writes nothing', async (_, change) => {
    const s = await create();
    const eventId = `evt-${randomUUID()}`;
    const original: RedeemRequest = { merchantId: s.merchantId, userId: s.user('member@t.test'), rewardId: s.reward('VOUCHER'), quantity: 1, eventId };
    const first = await redeemOnce(s.db, original);
    expect(first).toMatchObject({ success: true });
    const before = await effects(s, eventId);

    const result = await redeemOnce(s.db, { ...original, ...change(s) });
    expect(result).toMatchObject({ success: false, error_code: 'IDEMPOTENCY_CONFLICT', event_id: eventId, idempotent: false,
      message: `Event ${eventId} was already used for a different request`, redemptions: [], total_points_deducted: 0 });
    expect(await effects(s, eventId)).toEqual(before);
    // The original request is untouched: its replay is still its own result.
    expect(await redeemOnce(s.db, original)).toEqual({ ...first, idempotent: true });
  });

  it('without an event id the function makes one, and records the request under it', async () => {
    const s = await create();
    const result = await redeemOnce(s.db, { merchantId: s.merchantId, userId: s.user('member@t.test'), rewardId: s.reward('MUG'), quantity: 1 });
    expect(result).toMatchObject({ success: true, idempotent: false });
    expect(result.event_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const stored = await s.db.selectFrom('redemption_requests').selectAll().where('event_id', '=', result.event_id).executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ status: 'succeeded', user_id: s.user('member@t.test'), reward_id: s.reward('MUG'), quantity: 1, result });
    expect((await s.ledgerRows(result.event_id)).map((r) => [r.qty, r.points_deducted])).toEqual([[1, 20]]);
    // Two calls without an id are two requests.
    const again = await redeemOnce(s.db, { merchantId: s.merchantId, userId: s.user('member@t.test'), rewardId: s.reward('MUG'), quantity: 1 });
    expect(again).toMatchObject({ success: true, idempotent: false });
    expect(again.event_id).not.toBe(result.event_id);
    expect(await s.balance('member@t.test')).toBe(960);
  });
});

describe('idempotency under concurrency on postgres', () => {
  const test = useTestDatabase('postgres', { poolSize: 12 });

  it('20 concurrent calls with the same event id: exactly one effect, every result names the same rows', async () => {
    const s = await Scenario.create(test().database.db, fixture());
    const eventId = `evt-${randomUUID()}`;
    const results = await Promise.all(Array.from({ length: 20 }, () => s.redeem('member@t.test', 'VOUCHER', 3, { eventId })));

    expect(results.filter((r) => !r.idempotent)).toHaveLength(1);
    const first = results.find((r) => !r.idempotent)!;
    expect(first).toMatchObject({ success: true, total_quantity: 3, total_points_deducted: 150, new_balance: 850 });
    for (const result of results) expect(result).toEqual({ ...first, idempotent: result.idempotent });
    expect(await effects(s, eventId)).toMatchObject({ request: { status: 'succeeded', redelivery_count: 19 }, ledgerRows: 3, walletRows: 3,
      requests: 1, member: 850, codes: { available: 7, redeemed: 3 } });
    const rows = await s.ledgerRows(eventId);
    expect(rows.map((r) => r.id)).toEqual(first.redemptions.map((r) => r.redemption_id));
  });
});
