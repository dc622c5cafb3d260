import pg from 'pg';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { quote } from '../../src/engine/quote.js';
import { redeem } from '../../src/engine/redeem.js';
import type { RedeemResult } from '../../src/engine/types.js';
import type { FixtureInput } from '../../src/demo/fixtureSchema.js';
import { BACKENDS } from '../support/databases.js';
import { Scenario, uniqueName, useTestDatabase } from '../support/scenario.js';
import { waitUntilWaitingOnLock } from '../support/locks.js';

// Issue 9, defects 4 and 6 (sql/0014_redeem_edges.sql): stock binds every mode, and the edges
// that used to raise (a lost race for a total limit, a bad event id, a price × quantity beyond
// bigint, a merchant time zone PostgreSQL does not know) are refusals a caller can read.

const STAFF = { actor: 'alice@staff', reason: 'goodwill for ticket 9' };
const MAX_BIGINT = '9223372036854775807';

function fixture(): FixtureInput {
  const reward = (reward_code: string, extra: object = {}) => ({ reward_code, name: reward_code, fallback_points: 10, ...extra });
  return {
    merchant: { name: uniqueName() },
    users: [
      { email: 'member@t.test', points: 10_000 },
      { email: 'other@t.test', points: 10_000 },
    ],
    rewards: [
      reward('TEN', { stock_total: 10 }),
      // Every rule a member request checks refuses here; only the stock of 2 binds staff.
      reward('GUARDED', { stock_total: 2, redeem_window_end: '2000-01-01T00:00:00Z', limits: [{ scope: 'user', max: 0, unit: 'all_time' }] }),
      reward('GIFT'),
      reward('DAILY', { limits: [{ scope: 'user', max: 5, unit: 'day' }] }),
      reward('CAPPED', { limits: [{ scope: 'total', max: 5, unit: 'month' }] }),
      reward('DEAR'),
      reward('DEAR-POOL', { assign_promocode: true, codes: ['D1', 'D2', 'D3'] }),
    ],
  };
}

async function stockIssued(s: Scenario, reward: string): Promise<number | null> {
  const { rows } = await sql<{ issued: string }>`select issued from reward_stock_usage where reward_id = ${s.reward(reward)}::uuid`.execute(s.db);
  return rows.length === 0 ? null : Number(rows[0]!.issued);
}

async function limitUsed(s: Scenario, reward: string): Promise<number[]> {
  const { rows } = await sql<{ used: string }>`
    select u.used from limit_usage u join transaction_limits l on l.id = u.limit_id
    where l.reward_id = ${s.reward(reward)}::uuid order by u.window_start`.execute(s.db);
  return rows.map((r) => Number(r.used));
}

async function requestRecords(s: Scenario, eventId: string): Promise<Array<{ status: string; error_code: string | null }>> {
  return s.db.selectFrom('redemption_requests').select(['status', 'error_code']).where('event_id', '=', eventId).execute();
}

/** The one failure row a refusal leaves, as a member app reads it. */
async function failureRow(s: Scenario, result: RedeemResult) {
  const rows = await s.ledgerRows(result.event_id);
  return rows.map((r) => ({ success: r.success, error_code: r.error_code, error_message: r.error_message, qty: r.qty, points: Number(r.points_deducted), mode: r.mode }));
}

describe.each(BACKENDS)('redemption edges on %s', (backend) => {
  const test = useTestDatabase(backend);
  const create = () => Scenario.create(test().database.db, fixture());

  describe('stock binds every mode (defect 4)', () => {
    it('direct 15 and force 3 on a stock of 10: both OUT_OF_STOCK with a failure row; nothing issued, nothing charged', async () => {
      const s = await create();
      const direct = await s.redeem('member@t.test', 'TEN', 15, { mode: 'direct', ...STAFF });
      expect(direct).toMatchObject({ success: false, error_code: 'OUT_OF_STOCK', message: 'Out of stock: 10 left, you requested 15', available: 10, requested: 15 });
      expect(await failureRow(s, direct)).toEqual([
        { success: false, error_code: 'OUT_OF_STOCK', error_message: 'Out of stock: 10 left, you requested 15', qty: 15, points: 0, mode: 'direct' },
      ]);
      expect(await requestRecords(s, direct.event_id)).toEqual([{ status: 'failed', error_code: 'OUT_OF_STOCK' }]);

      expect(await s.redeem('member@t.test', 'TEN', 8, { mode: 'force', ...STAFF })).toMatchObject({ success: true, total_points_deducted: 80 });
      const force = await s.redeem('member@t.test', 'TEN', 3, { mode: 'force', ...STAFF });
      expect(force).toMatchObject({ success: false, error_code: 'OUT_OF_STOCK', message: 'Out of stock: 2 left, you requested 3', available: 2, requested: 3, new_balance: 9_920 });
      expect(await failureRow(s, force)).toEqual([
        { success: false, error_code: 'OUT_OF_STOCK', error_message: 'Out of stock: 2 left, you requested 3', qty: 3, points: 0, mode: 'force' },
      ]);
      expect(await stockIssued(s, 'TEN')).toBe(8);
      expect(await s.balance('member@t.test')).toBe(9_920);
    });

    it('direct and force still count their usage, and bypass only limits and rules: up to the stock, never past it', async () => {
      const s = await create();
      expect(await s.redeem('member@t.test', 'GUARDED')).toMatchObject({ success: false, error_code: 'OUTSIDE_REDEMPTION_WINDOW' });
      expect(await s.redeem('member@t.test', 'GUARDED', 1, { mode: 'direct', ...STAFF })).toMatchObject({ success: true, total_points_deducted: 0 });
      expect(await s.redeem('member@t.test', 'GUARDED', 1, { mode: 'force', ...STAFF })).toMatchObject({ success: true, total_points_deducted: 10 });
      expect(await stockIssued(s, 'GUARDED')).toBe(2);
      for (const mode of ['direct', 'force'] as const) {
        expect(await s.redeem('other@t.test', 'GUARDED', 1, { mode, ...STAFF })).toMatchObject({
          success: false, error_code: 'OUT_OF_STOCK', message: 'Out of stock: 0 left, you requested 1', available: 0, requested: 1,
        });
      }
      expect(await stockIssued(s, 'GUARDED')).toBe(2);
      expect(await s.balance('other@t.test')).toBe(10_000);
    });
  });

  describe('event ids that cannot be stored are refused first (defect 6b)', () => {
    it.each([
      ['empty', ''],
      ['201 characters', 'e'.repeat(201)],
    ])('%s: INVALID_EVENT_ID, and nothing is written under it', async (_, eventId) => {
      const s = await create();
      const result = await s.redeem('member@t.test', 'TEN', 2, { eventId });
      expect(result).toMatchObject({
        success: false, error_code: 'INVALID_EVENT_ID', message: 'event_id must be 1 to 200 characters',
        event_id: eventId, idempotent: false, redemptions: [], total_quantity: 0, total_points_deducted: 0,
      });
      expect(await requestRecords(s, eventId)).toEqual([]);
      expect(await s.ledgerRows(eventId)).toEqual([]);
      expect(await stockIssued(s, 'TEN')).toBeNull();
      expect(await s.balance('member@t.test')).toBe(10_000);
    });

    it('200 characters is a valid event id', async () => {
      const s = await create();
      const eventId = `${s.merchantId}-`.padEnd(200, 'x');
      expect(await s.redeem('member@t.test', 'TEN', 2, { eventId })).toMatchObject({ success: true, event_id: eventId, total_points_deducted: 20 });
      expect(await requestRecords(s, eventId)).toEqual([{ status: 'succeeded', error_code: null }]);
    });
  });

  describe('a price × quantity beyond bigint is refused, not raised (defect 6c)', () => {
    const required = (2n * BigInt(MAX_BIGINT)).toString(); // 18446744073709551614, exact

    it('redeem, calc and force: INSUFFICIENT_POINTS with the exact figure and a failure row', async () => {
      const s = await create();
      await sql`update reward_master set fallback_points = ${MAX_BIGINT}::bigint where id in (${s.reward('DEAR')}::uuid, ${s.reward('DEAR-POOL')}::uuid)`.execute(s.db);
      const message = `Insufficient points. Required: ${required}, Available: 10000`;
      for (const [reward, extra] of [['DEAR', {}], ['DEAR', { mode: 'force' as const, ...STAFF }], ['DEAR-POOL', {}]] as const) {
        const result = await s.redeem('member@t.test', reward, 2, extra);
        expect(result).toMatchObject({ success: false, error_code: 'INSUFFICIENT_POINTS', message, available: 10_000 });
        expect(await failureRow(s, result)).toEqual([
          { success: false, error_code: 'INSUFFICIENT_POINTS', error_message: message, qty: 2, points: 0, mode: extra.mode ?? 'calc' },
        ]);
      }
      expect(await s.balance('member@t.test')).toBe(10_000);
      expect(await s.codeStatuses('DEAR-POOL')).toEqual({ available: 3 });
    });

    it('quote gives the same verdict and the exact total', async () => {
      const s = await create();
      await sql`update reward_master set fallback_points = ${MAX_BIGINT}::bigint where id = ${s.reward('DEAR')}::uuid`.execute(s.db);
      const q = await quote(s.db, { merchantId: s.merchantId, userId: s.user('member@t.test'), rewardId: s.reward('DEAR'), quantity: 2 });
      expect(q).toMatchObject({
        eligible: true, max_quantity: 0, binding: 'points', would_succeed: false,
        would_fail: { error_code: 'INSUFFICIENT_POINTS', message: `Insufficient points. Required: ${required}, Available: 10000` },
      });
      const { rows } = await sql<{ total: string }>`
        select (quote_reward(${s.reward('DEAR')}::uuid, ${s.user('member@t.test')}::uuid, ${s.merchantId}::uuid, 2)->>'total_points') as total`.execute(s.db);
      expect(rows[0]!.total).toBe(required);
    });
  });

  describe('a merchant time zone PostgreSQL does not recognise (defect 6d)', () => {
    // An existing row can hold one: nothing validated merchants.time_zone when it was set.
    const breakTimeZone = (s: Scenario) => sql`update merchants set time_zone = 'Mars/Olympus_Mons' where id = ${s.merchantId}::uuid`.execute(s.db);
    const message = 'The merchant\'s time zone "Mars/Olympus_Mons" is not recognised: limits cannot be counted until it is corrected';

    it('redeem refuses a limited reward with INVALID_TIME_ZONE in every mode, and a failure row; rewards without limits still redeem', async () => {
      const s = await create();
      await breakTimeZone(s);
      for (const [reward, extra] of [['DAILY', {}], ['CAPPED', {}], ['CAPPED', { mode: 'direct' as const, ...STAFF }]] as const) {
        const result = await s.redeem('member@t.test', reward, 1, extra);
        expect(result).toMatchObject({ success: false, error_code: 'INVALID_TIME_ZONE', message });
        expect(await failureRow(s, result)).toEqual([
          { success: false, error_code: 'INVALID_TIME_ZONE', error_message: message, qty: 1, points: 0, mode: extra.mode ?? 'calc' },
        ]);
        expect(await requestRecords(s, result.event_id)).toEqual([{ status: 'failed', error_code: 'INVALID_TIME_ZONE' }]);
      }
      expect(await limitUsed(s, 'CAPPED')).toEqual([]);
      expect(await s.balance('member@t.test')).toBe(10_000);
      expect(await s.redeem('member@t.test', 'GIFT')).toMatchObject({ success: true, total_points_deducted: 10 });
    });

    it('quote says the same for a limited reward, and quotes a reward without limits as usual', async () => {
      const s = await create();
      await breakTimeZone(s);
      const quoteOf = (reward: string) => quote(s.db, { merchantId: s.merchantId, userId: s.user('member@t.test'), rewardId: s.reward(reward), quantity: 1 });
      expect(await quoteOf('DAILY')).toMatchObject({
        eligible: false, error_code: 'INVALID_TIME_ZONE', message, max_quantity: 0, would_succeed: false,
        would_fail: { error_code: 'INVALID_TIME_ZONE', message },
      });
      expect(await quoteOf('GIFT')).toMatchObject({ eligible: true, max_quantity: 1000, would_succeed: true, would_fail: null });
    });
  });
});

describe('a lost race for the last unit of a total limit, on the server (defect 6a)', () => {
  const test = useTestDatabase('postgres');

  it('is LIMIT_EXCEEDED with a failure row, returned to an SQL caller, and undoes the stock it had taken', async () => {
    const s = await Scenario.create(test().database.db, {
      merchant: { name: uniqueName() },
      users: [
        { email: 'first@t.test', points: 1_000 },
        { email: 'second@t.test', points: 1_000 },
      ],
      rewards: [{ reward_code: 'LAST', name: 'Last one', fallback_points: 10, stock_total: 10, limits: [{ scope: 'total', max: 1, unit: 'all_time' }] }],
    });
    const call = `select redeem_reward_with_points(p_reward_id => $1::uuid, p_quantity => 1, p_user_id => $2::uuid,
                                                   p_merchant_id => $3::uuid, p_event_id => $4) as result`;
    const first = new pg.Client({ connectionString: test().url });
    const second = new pg.Client({ connectionString: test().url });
    await Promise.all([first.connect(), second.connect()]);
    try {
      // The first takes the last unit and holds the counters uncommitted; the second has passed its
      // checks (the committed usage is still 0) and waits on the counter rows; then the first commits.
      await first.query('begin');
      const won = await first.query<{ result: RedeemResult }>(call, [s.reward('LAST'), s.user('first@t.test'), s.merchantId, `won-${s.merchantId}`]);
      expect(won.rows[0]!.result).toMatchObject({ success: true });
      const secondPid = (await second.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
      const lost = second.query<{ result: RedeemResult }>(call, [s.reward('LAST'), s.user('second@t.test'), s.merchantId, `lost-${s.merchantId}`]);
      lost.catch(() => {}); // awaited below
      await waitUntilWaitingOnLock(first, secondPid);
      await first.query('commit');
      const result = (await lost).rows[0]!.result;
      expect(result).toMatchObject({
        success: false, error_code: 'LIMIT_EXCEEDED', message: 'Limit exceeded: 1 per all_time (total scope), used 1, remaining 0, requested 1',
        limit: 1, unit: 'all_time', scope: 'total', used: 1, remaining: 0, requested: 1, new_balance: 1_000,
      });
      expect(await failureRow(s, result)).toEqual([
        { success: false, error_code: 'LIMIT_EXCEEDED', error_message: result.message, qty: 1, points: 0, mode: 'calc' },
      ]);
      expect(await requestRecords(s, result.event_id)).toEqual([{ status: 'failed', error_code: 'LIMIT_EXCEEDED' }]);
    } finally {
      await Promise.all([first.end().catch(() => {}), second.end().catch(() => {})]);
    }
    expect(await stockIssued(s, 'LAST')).toBe(1);
    expect(await limitUsed(s, 'LAST')).toEqual([1]);
    expect(await s.balance('first@t.test')).toBe(990);
    expect(await s.balance('second@t.test')).toBe(1_000);
  });

  it('20 direct grants of 1 at once on a stock of 10: exactly 10 issued, the rest OUT_OF_STOCK', async () => {
    const s = await Scenario.create(test().database.db, {
      merchant: { name: uniqueName() },
      users: [{ email: 'member@t.test', points: 0 }],
      rewards: [{ reward_code: 'TEN', name: 'Ten', fallback_points: 10, stock_total: 10 }],
    });
    const results = await Promise.all(Array.from({ length: 20 }, () => redeem(s.db, {
      merchantId: s.merchantId, userId: s.user('member@t.test'), rewardId: s.reward('TEN'), quantity: 1, mode: 'direct', ...STAFF,
    })));
    expect(results.filter((r) => r.success)).toHaveLength(10);
    expect(results.filter((r) => !r.success).map((r) => r.error_code)).toEqual(Array(10).fill('OUT_OF_STOCK'));
    expect(await stockIssued(s, 'TEN')).toBe(10);
  });
});
