import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cancel, setUsed, type CancelRequest } from '../../src/engine/cancelAndUse.js';
import type { FixtureInput } from '../../src/demo/fixtureSchema.js';
import { BACKENDS } from '../support/databases.js';
import { Scenario, uniqueName, useTestDatabase } from '../support/scenario.js';

// After a redemption (docs/domain.md, "After redemption"): cancel, and mark used / unmark used.

const STAFF = { actor: 'bob@staff', reason: 'customer called' };

function fixture(): FixtureInput {
  return {
    merchant: { name: uniqueName() },
    users: [
      { email: 'a@t.test', points: 1_000 },
      { email: 'b@t.test', points: 1_000 },
    ],
    rewards: [
      { reward_code: 'VOUCHER', name: 'Voucher', fallback_points: 100, assign_promocode: true, codes: { generate: 5, prefix: 'V-' } },
      { reward_code: 'MUG', name: 'Mug', fallback_points: 50, stock_total: 1 },
      { reward_code: 'DAILY', name: 'Once a day', fallback_points: 10, limits: [{ scope: 'user', max: 1, unit: 'day' }] },
      { reward_code: 'CAPPED', name: 'Once ever', fallback_points: 10, limits: [{ scope: 'total', max: 1, unit: 'all_time' }] },
      { reward_code: 'PRICEY', name: 'Pricey', fallback_points: 5_000 },
    ],
  };
}

describe.each(BACKENDS)('cancel and use on %s', (backend) => {
  const test = useTestDatabase(backend);
  const create = () => Scenario.create(test().database.db, fixture());
  const cancelBy = (s: Scenario, by: CancelRequest['by'], value: string, extra: Partial<CancelRequest> = {}) =>
    cancel(s.db, { merchantId: s.merchantId, by, value, ...STAFF, ...extra });
  const refunds = (s: Scenario) =>
    s.db.selectFrom('wallet_ledger').select(['source_id', 'direction', 'amount', 'balance_before', 'balance_after'])
      .where('merchant_id', '=', s.merchantId).where('source_type', '=', 'redemption_cancellation').orderBy('id').execute();
  const codes = (s: Scenario) =>
    s.db.selectFrom('reward_promo_code').select(['promo_code', 'status']).where('merchant_id', '=', s.merchantId).orderBy('id').execute()
      .then((rows) => Object.fromEntries(rows.map((r) => [r.promo_code, r.status])));
  const liveRows = async (s: Scenario, eventId: string) => (await s.ledgerRows(eventId)).filter((r) => r.cancelled_at === null).length;

  it('by redemption id: that row only, one refund entry naming it, its code released', async () => {
    const s = await create();
    const r = await s.redeem('a@t.test', 'VOUCHER', 2);
    const [first, second] = r.redemptions;
    const result = await cancelBy(s, 'redemption', first!.redemption_id);
    expect(result).toMatchObject({ success: true, cancelled: 1, points_refunded: 100, codes_affected: 1,
      message: 'Cancelled 1 redemption(s), refunding 100 points, 1 code(s) released' });
    expect(await refunds(s)).toEqual([{ source_id: first!.redemption_id, direction: 'earn', amount: 100, balance_before: 800, balance_after: 900 }]);
    expect(await s.balance('a@t.test')).toBe(900);
    expect(await codes(s)).toMatchObject({ 'V-000001': 'available', [second!.promo_code!]: 'redeemed' });
    const rows = await s.ledgerRows(r.event_id);
    expect(rows.map((row) => [row.cancelled_by, row.cancel_reason])).toEqual([[STAFF.actor, STAFF.reason], [null, null]]);
  });

  it('by redemption code: the RWD… code names the row; stock is freed for the next member', async () => {
    const s = await create();
    const r = await s.redeem('a@t.test', 'MUG');
    expect(await s.redeem('b@t.test', 'MUG')).toMatchObject({ success: false, error_code: 'OUT_OF_STOCK' });
    expect(await cancelBy(s, 'code', r.redemptions[0]!.redemption_code)).toMatchObject({ success: true, cancelled: 1, points_refunded: 50 });
    expect(await s.balance('a@t.test')).toBe(1_000);
    expect(await s.redeem('b@t.test', 'MUG')).toMatchObject({ success: true, total_points_deducted: 50 });
  });

  it('by event: every row of the request, one refund each, all codes back in the pool', async () => {
    const s = await create();
    const r = await s.redeem('a@t.test', 'VOUCHER', 3);
    expect(await cancelBy(s, 'event', r.event_id)).toMatchObject({ success: true, cancelled: 3, points_refunded: 300, codes_affected: 3 });
    expect((await refunds(s)).map((x) => [x.source_id, x.amount])).toEqual(r.redemptions.map((x) => [x.redemption_id, 100]));
    expect(await s.balance('a@t.test')).toBe(1_000);
    expect(await s.codeStatuses('VOUCHER')).toEqual({ available: 5 });
    expect(await liveRows(s, r.event_id)).toBe(0);
  });

  it("by batch: the batch's rows of every member, and only those", async () => {
    const s = await create();
    const b1 = { sourceType: 'batch', sourceId: 'B1' };
    await s.redeem('a@t.test', 'VOUCHER', 2, b1);
    await s.redeem('b@t.test', 'MUG', 1, b1);
    const other = await s.redeem('b@t.test', 'VOUCHER', 1, { sourceType: 'batch', sourceId: 'B2' });
    const result = await cancelBy(s, 'batch', 'B1');
    expect(result).toMatchObject({ success: true, cancelled: 3, points_refunded: 250 });
    expect(await s.balance('a@t.test')).toBe(1_000);
    expect(await s.balance('b@t.test')).toBe(900);
    expect(await liveRows(s, other.event_id)).toBe(1);
    expect(await s.codeStatuses('VOUCHER')).toEqual({ available: 4, redeemed: 1 });
  });

  it('a released code is handed to the next member; a voided one never again', async () => {
    const s = await create();
    const released = await s.redeem('a@t.test', 'VOUCHER', 1);
    await cancelBy(s, 'event', released.event_id, { codes: 'release' });
    const reused = await s.redeem('b@t.test', 'VOUCHER', 1);
    expect(reused.redemptions.map((x) => x.promo_code)).toEqual(['V-000001']);

    const voided = await s.redeem('a@t.test', 'VOUCHER', 2);
    expect(await cancelBy(s, 'event', voided.event_id, { codes: 'void' })).toMatchObject({ success: true, codes_affected: 2,
      message: 'Cancelled 2 redemption(s), refunding 200 points, 2 code(s) voided' });
    expect(await codes(s)).toEqual({ 'V-000001': 'redeemed', 'V-000002': 'voided', 'V-000003': 'voided', 'V-000004': 'available', 'V-000005': 'available' });
    expect((await s.redeem('b@t.test', 'VOUCHER', 2)).redemptions.map((x) => x.promo_code)).toEqual(['V-000004', 'V-000005']);
    expect(await s.redeem('b@t.test', 'VOUCHER', 1)).toMatchObject({ success: false, error_code: 'INSUFFICIENT_CODES',
      message: 'Only 0 code(s) available, you requested 1' });
  });

  it('cancelling twice is a success no-op: ALREADY_CANCELLED, no second refund', async () => {
    const s = await create();
    const r = await s.redeem('a@t.test', 'VOUCHER', 2);
    await cancelBy(s, 'event', r.event_id);
    const again = await cancelBy(s, 'event', r.event_id);
    expect(again).toMatchObject({ success: true, error_code: null, info_code: 'ALREADY_CANCELLED', cancelled: 0, points_refunded: 0, already_cancelled: 2 });
    expect(await refunds(s)).toHaveLength(2);
    expect(await s.balance('a@t.test')).toBe(1_000);
  });

  it('a used redemption refuses ALREADY_USED and nothing changes, unless forced', async () => {
    const s = await create();
    const r = await s.redeem('a@t.test', 'VOUCHER', 2);
    const used = r.redemptions[1]!;
    expect(await setUsed(s.db, { merchantId: s.merchantId, by: 'code', value: used.redemption_code, used: true, actor: 'till-7' }))
      .toMatchObject({ success: true, redemption_id: used.redemption_id });
    const refused = await cancelBy(s, 'event', r.event_id);
    expect(refused).toMatchObject({ success: false, error_code: 'ALREADY_USED', used_codes: [used.redemption_code], cancelled: 0 });
    expect(await liveRows(s, r.event_id)).toBe(2);
    expect(await s.balance('a@t.test')).toBe(800);
    expect(await s.codeStatuses('VOUCHER')).toEqual({ available: 3, redeemed: 2 });
    expect(await refunds(s)).toEqual([]);

    expect(await cancelBy(s, 'event', r.event_id, { forceUsed: true })).toMatchObject({ success: true, cancelled: 2, points_refunded: 200 });
    expect(await s.balance('a@t.test')).toBe(1_000);
  });

  it('a dry run reports what would happen and changes nothing', async () => {
    const s = await create();
    const r = await s.redeem('a@t.test', 'VOUCHER', 2);
    const result = await cancelBy(s, 'event', r.event_id, { dryRun: true });
    expect(result).toMatchObject({ success: true, dry_run: true, cancelled: 0, points_refunded: 200, codes_affected: 2,
      message: 'Would cancel 2 redemption(s), refunding 200 points, 2 code(s) released' });
    expect(result.rows!.map((x) => x.redemption_id)).toEqual(r.redemptions.map((x) => x.redemption_id));
    expect(await liveRows(s, r.event_id)).toBe(2);
    expect(await s.balance('a@t.test')).toBe(800);
    expect(await s.codeStatuses('VOUCHER')).toEqual({ available: 3, redeemed: 2 });
    expect(await refunds(s)).toEqual([]);
    expect(await s.db.selectFrom('audit_log').select('id').where('merchant_id', '=', s.merchantId).execute()).toEqual([]);
  });

  it.each([
    ['DAILY', 'a@t.test', 'LIMIT_EXCEEDED'], // user scope: the same member again
    ['CAPPED', 'b@t.test', 'LIMIT_EXCEEDED'], // total scope: anyone
    ['MUG', 'b@t.test', 'OUT_OF_STOCK'],
  ])('cancelling frees the usage of %s: %s is refused before and served after', async (reward, next, refusal) => {
    const s = await create();
    const r = await s.redeem('a@t.test', reward);
    expect(await s.redeem(next, reward)).toMatchObject({ success: false, error_code: refusal });
    await cancelBy(s, 'event', r.event_id);
    expect(await s.redeem(next, reward)).toMatchObject({ success: true });
  });

  it('a failed request: NOT_REDEEMED, by event and by its failure row code', async () => {
    const s = await create();
    const r = await s.redeem('a@t.test', 'PRICEY');
    const [row] = await s.ledgerRows(r.event_id);
    expect(await cancelBy(s, 'event', r.event_id)).toMatchObject({ success: false, error_code: 'NOT_REDEEMED', cancelled: 0 });
    expect(await cancelBy(s, 'code', row!.code)).toMatchObject({ success: false, error_code: 'NOT_REDEEMED', cancelled: 0 });
  });

  it("unknown ids and another merchant's redemption are REDEMPTION_NOT_FOUND alike", async () => {
    const s = await create();
    const elsewhere = await create();
    const theirs = await elsewhere.redeem('a@t.test', 'VOUCHER', 1);
    const notFound = { success: false, error_code: 'REDEMPTION_NOT_FOUND', cancelled: 0 };
    expect(await cancelBy(s, 'redemption', randomUUID())).toMatchObject(notFound);
    expect(await cancelBy(s, 'code', 'RWD0000000000000000')).toMatchObject(notFound);
    expect(await cancelBy(s, 'event', randomUUID())).toMatchObject(notFound);
    expect(await cancelBy(s, 'batch', 'no-such-batch')).toMatchObject(notFound);
    expect(await cancelBy(s, 'redemption', theirs.redemptions[0]!.redemption_id)).toMatchObject(notFound);
    expect(await cancelBy(s, 'event', theirs.event_id)).toMatchObject({ ...notFound, message: `No redemption found for event ${theirs.event_id}` });
    expect(await liveRows(elsewhere, theirs.event_id)).toBe(1);
    expect(await elsewhere.balance('a@t.test')).toBe(900);
  });

  it('records who cancelled and why in the audit log; without them it raises RD002', async () => {
    const s = await create();
    const r = await s.redeem('a@t.test', 'VOUCHER', 1);
    await expect(cancelBy(s, 'event', r.event_id, { reason: ' ' })).rejects.toMatchObject({ code: 'RD002' });
    await cancelBy(s, 'event', r.event_id);
    const audit = await s.db.selectFrom('audit_log').select(['actor', 'action', 'target_type', 'target_id', 'reason']).where('merchant_id', '=', s.merchantId).execute();
    expect(audit).toEqual([{ actor: STAFF.actor, action: 'cancel', target_type: 'event', target_id: r.event_id, reason: STAFF.reason }]);
  });

  it('use and unuse: mark, ALREADY_USED, unmark, NOT_USED; refused on cancelled and failed rows', async () => {
    const s = await create();
    const mark = (value: string, used: boolean, by: 'code' | 'redemption' = 'redemption') =>
      setUsed(s.db, { merchantId: s.merchantId, by, value, used, actor: 'till-7', note: 'at the counter' });
    const r = await s.redeem('a@t.test', 'VOUCHER', 2);
    const [one, two] = r.redemptions;
    expect(await mark(one!.redemption_id, true)).toMatchObject({ success: true, redemption_code: one!.redemption_code });
    const [row] = (await s.ledgerRows(r.event_id)).filter((x) => x.id === one!.redemption_id);
    expect(row).toMatchObject({ used_by: 'till-7', used_note: 'at the counter' });
    expect(row!.used_at).toBeInstanceOf(Date);
    expect(await mark(one!.redemption_id, true)).toMatchObject({ success: false, error_code: 'ALREADY_USED' });
    expect(await mark(one!.redemption_id, false)).toMatchObject({ success: true, used_at: null });
    expect(await mark(one!.redemption_id, false)).toMatchObject({ success: false, error_code: 'NOT_USED' });

    await cancelBy(s, 'redemption', two!.redemption_id);
    expect(await mark(two!.redemption_code, true, 'code')).toMatchObject({ success: false, error_code: 'REDEMPTION_CANCELLED' });
    const failed = await s.redeem('a@t.test', 'PRICEY');
    const [failure] = await s.ledgerRows(failed.event_id);
    expect(await mark(failure!.code, true, 'code')).toMatchObject({ success: false, error_code: 'NOT_REDEEMED' });
    const actions = await s.db.selectFrom('audit_log').select('action').where('merchant_id', '=', s.merchantId).orderBy('id').execute();
    expect(actions.map((a) => a.action)).toEqual(['use', 'unuse', 'cancel']);
  });
});
