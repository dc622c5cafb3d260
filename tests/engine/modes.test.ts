import { describe, expect, it } from 'vitest';
import type { FixtureInput } from '../../src/demo/fixtureSchema.js';
import { BACKENDS } from '../support/databases.js';
import { Scenario, uniqueName, useTestDatabase } from '../support/scenario.js';

// Modes (docs/domain.md, "Modes"), use expiry and fulfilment of the written rows.

const STAFF = { actor: 'alice@staff', reason: 'compensation for ticket 4711' };
const DAY_MS = 86_400_000;

function fixture(): FixtureInput {
  // Every rule a member request checks refuses here: tier, window, a zero limit.
  const guarded = { allowed_tiers: ['Gold'], redeem_window_end: '2000-01-01T00:00:00Z', limits: [{ scope: 'user' as const, max: 0, unit: 'all_time' as const }] };
  const pool = (reward_code: string, extra: object) =>
    ({ reward_code, name: reward_code, fallback_points: 10, assign_promocode: true, codes: { generate: 3, prefix: `${reward_code}-` }, ...extra });
  return {
    merchant: { name: uniqueName() },
    tiers: ['Bronze', 'Gold'],
    users: [
      { email: 'bronze@t.test', tier: 'Bronze', points: 100 },
      { email: 'broke@t.test', tier: 'Bronze', points: 0 },
    ],
    rewards: [
      { reward_code: 'GUARDED-POOL', name: 'Guarded pool', fallback_points: 500, assign_promocode: true, codes: ['G1', 'G2', 'G3'], ...guarded },
      { reward_code: 'GUARDED', name: 'Guarded goods', fallback_points: 40, ...guarded },
      { reward_code: 'ONE-LEFT', name: 'Last mug', fallback_points: 10, stock_total: 1 },
      pool('DAYS', { use_expire_mode: 'relative_days', use_expire_ttl: 30 }),
      pool('MINS', { use_expire_mode: 'relative_mins', use_expire_ttl: 15 }),
      pool('DATE', { use_expire_mode: 'absolute_date', use_expire_date: '2031-06-30T12:00:00Z' }),
      pool('SHIP', { fulfilment: 'shipping' }),
      { reward_code: 'SHIP-GOODS', name: 'Parcel', fallback_points: 10, fulfilment: 'shipping' },
      pool('CODE', { fulfilment: 'digital' }),
    ],
  };
}

describe.each(BACKENDS)('modes, expiry and fulfilment on %s', (backend) => {
  const test = useTestDatabase(backend);
  const create = () => Scenario.create(test().database.db, fixture());
  const walletRows = (s: Scenario, user: string) =>
    s.db.selectFrom('wallet_ledger').selectAll().where('user_id', '=', s.user(user)).where('source_type', '=', 'redemption').execute();
  const auditRows = (s: Scenario, target: string) =>
    s.db.selectFrom('audit_log').select(['actor', 'action', 'target_type', 'reason']).where('target_id', '=', target).execute();

  it('calc refuses what direct and force are about to grant', async () => {
    const s = await create();
    expect(await s.redeem('bronze@t.test', 'GUARDED-POOL')).toMatchObject({ success: false, error_code: 'NOT_ELIGIBLE', dimension: 'tier' });
    expect(await s.redeem('bronze@t.test', 'GUARDED')).toMatchObject({ success: false, error_code: 'NOT_ELIGIBLE', dimension: 'tier' });
  });

  it('direct skips eligibility, window, limits and points, charges 0, burns nothing, and audits', async () => {
    const s = await create();
    const result = await s.redeem('broke@t.test', 'GUARDED-POOL', 2, { mode: 'direct', ...STAFF });
    expect(result).toMatchObject({ success: true, mode: 'direct', total_quantity: 2, total_points_deducted: 0, new_balance: 0, points_per_unit: 0 });
    expect(result.redemptions.map((r) => [r.promo_code, r.points_deducted])).toEqual([['G1', 0], ['G2', 0]]);
    const rows = await s.ledgerRows(result.event_id);
    expect(rows.map((r) => ({ mode: r.mode, actor: r.actor, reason: r.reason, success: r.success, points: r.points_deducted })))
      .toEqual(Array(2).fill({ mode: 'direct', actor: STAFF.actor, reason: STAFF.reason, success: true, points: 0 }));
    expect(await walletRows(s, 'broke@t.test')).toEqual([]);
    expect(await s.codeStatuses('GUARDED-POOL')).toEqual({ available: 1, redeemed: 2 });
    expect(await auditRows(s, result.event_id)).toEqual([
      { actor: STAFF.actor, action: 'redeem_direct', target_type: 'redemption_request', reason: STAFF.reason },
    ]);
  });

  it('direct still draws from the pool: more than it holds is INSUFFICIENT_CODES', async () => {
    const s = await create();
    expect(await s.redeem('broke@t.test', 'GUARDED-POOL', 2, { mode: 'direct', ...STAFF })).toMatchObject({ success: true });
    const result = await s.redeem('broke@t.test', 'GUARDED-POOL', 2, { mode: 'direct', ...STAFF });
    expect(result).toMatchObject({ success: false, error_code: 'INSUFFICIENT_CODES', message: 'Only 1 code(s) available, you requested 2' });
    expect(await s.codeStatuses('GUARDED-POOL')).toEqual({ available: 1, redeemed: 2 });
    expect(await auditRows(s, result.event_id)).toEqual([]);
  });

  it('a direct grant counts as stock usage: the next member request is OUT_OF_STOCK', async () => {
    const s = await create();
    expect(await s.redeem('broke@t.test', 'ONE-LEFT', 1, { mode: 'direct', ...STAFF })).toMatchObject({ success: true, total_points_deducted: 0 });
    expect(await s.redeem('bronze@t.test', 'ONE-LEFT')).toMatchObject({ success: false, error_code: 'OUT_OF_STOCK', available: 0, requested: 1 });
  });

  it('force skips the checks but charges the points, with one burn and an audit row', async () => {
    const s = await create();
    const result = await s.redeem('bronze@t.test', 'GUARDED', 2, { mode: 'force', ...STAFF });
    expect(result).toMatchObject({ success: true, mode: 'force', total_quantity: 2, total_points_deducted: 80, new_balance: 20, points_per_unit: 40 });
    const rows = await s.ledgerRows(result.event_id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ qty: 2, points_deducted: 80, mode: 'force', actor: STAFF.actor, reason: STAFF.reason });
    const burns = await walletRows(s, 'bronze@t.test');
    expect(burns.map((b) => [b.direction, b.amount, b.balance_before, b.balance_after, b.source_id]))
      .toEqual([['burn', 80, 100, 20, result.event_id]]);
    expect(await s.balance('bronze@t.test')).toBe(20);
    expect(await auditRows(s, result.event_id)).toEqual([
      { actor: STAFF.actor, action: 'redeem_force', target_type: 'redemption_request', reason: STAFF.reason },
    ]);
  });

  it('force still refuses INSUFFICIENT_POINTS', async () => {
    const s = await create();
    const result = await s.redeem('broke@t.test', 'GUARDED', 1, { mode: 'force', ...STAFF });
    expect(result).toMatchObject({ success: false, error_code: 'INSUFFICIENT_POINTS',
      message: 'Insufficient points. Required: 40, Available: 0', required: 40, available: 0 });
    expect(await s.balance('broke@t.test')).toBe(0);
    expect(await auditRows(s, result.event_id)).toEqual([]);
  });

  it.each([
    ['DAYS', 30 * DAY_MS],
    ['MINS', 15 * 60_000],
  ])('use_expire_date for %s is redeemed_at plus the ttl, the same on every row', async (reward, ttlMs) => {
    const s = await create();
    const result = await s.redeem('bronze@t.test', reward, 3);
    const rows = await s.ledgerRows(result.event_id);
    expect(rows).toHaveLength(3);
    const expiries = rows.map((r) => r.use_expire_date!.getTime());
    expect(new Set(expiries).size).toBe(1);
    expect(expiries[0]! - rows[0]!.redeemed_at.getTime()).toBe(ttlMs);
  });

  it('use_expire_date for absolute_date is the reward date on every row', async () => {
    const s = await create();
    const result = await s.redeem('bronze@t.test', 'DATE', 3);
    const rows = await s.ledgerRows(result.event_id);
    expect(rows.map((r) => r.use_expire_date?.toISOString())).toEqual(Array(3).fill('2031-06-30T12:00:00.000Z'));
  });

  it('no use_expire_mode: no use_expire_date', async () => {
    const s = await create();
    const result = await s.redeem('bronze@t.test', 'CODE', 2);
    expect((await s.ledgerRows(result.event_id)).map((r) => r.use_expire_date)).toEqual([null, null]);
  });

  it('shipping rows start pending; digital rows carry no fulfilment status', async () => {
    const s = await create();
    const fulfilment = async (reward: string, quantity: number) =>
      (await s.ledgerRows((await s.redeem('bronze@t.test', reward, quantity)).event_id)).map((r) => [r.fulfilment, r.fulfilment_status]);
    expect(await fulfilment('SHIP', 2)).toEqual([['shipping', 'pending'], ['shipping', 'pending']]);
    expect(await fulfilment('SHIP-GOODS', 2)).toEqual([['shipping', 'pending']]);
    expect(await fulfilment('CODE', 1)).toEqual([['digital', null]]);
  });
});
