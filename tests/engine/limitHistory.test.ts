import pg from 'pg';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { cancel } from '../../src/engine/cancelAndUse.js';
import type { FixtureInput } from '../../src/demo/fixtureSchema.js';
import { BACKENDS } from '../support/databases.js';
import { Scenario, uniqueName, useTestDatabase } from '../support/scenario.js';
import { waitUntilWaitingOnLock } from '../support/locks.js';

// Issue 9, defect 1 (sql/0016_limit_history.sql; docs/engine.md "Limits and stock: what counts"):
// a total limit or a stock set after redemptions counts the live units already in its current
// window, and stays exact through cancels, reactivation, and window changes.

const STAFF = { actor: 'bob@staff', reason: 'customer called' };

function fixture(): FixtureInput {
  return {
    merchant: { name: uniqueName() },
    users: [
      { email: 'a@t.test', points: 100_000 },
      { email: 'b@t.test', points: 100_000 },
    ],
    rewards: [
      { reward_code: 'GIFT', name: 'Gift', fallback_points: 10 },
      { reward_code: 'DAILY', name: 'Daily', fallback_points: 10, limits: [{ scope: 'total', max: 12, unit: 'day' }] },
    ],
  };
}

describe.each(BACKENDS)('limits and stock set after redemptions on %s', (backend) => {
  const test = useTestDatabase(backend);
  const create = () => Scenario.create(test().database.db, fixture());
  const cancelEvent = (s: Scenario, eventId: string) =>
    cancel(s.db, { merchantId: s.merchantId, by: 'event', value: eventId, ...STAFF });

  async function addLimit(s: Scenario, reward: string, max: number, unit: string): Promise<string> {
    const { rows } = await sql<{ id: string }>`
      insert into transaction_limits (merchant_id, reward_id, scope, max_count, time_unit)
      values (${s.merchantId}::uuid, ${s.reward(reward)}::uuid, 'total', ${max}, ${unit})
      returning id::text`.execute(s.db);
    return rows[0]!.id;
  }
  const setLimit = (limitId: string, column: 'active' | 'time_unit', value: boolean | string) =>
    column === 'active'
      ? sql`update transaction_limits set active = ${value} where id = ${limitId}::uuid`
      : sql`update transaction_limits set time_unit = ${value} where id = ${limitId}::uuid`;
  /** The counter the engine reads: the row for the limit's current window. */
  async function used(s: Scenario, limitId: string): Promise<number> {
    const { rows } = await sql<{ used: string }>`
      select coalesce(max(u.used), 0) as used
      from transaction_limits l join merchants m on m.id = l.merchant_id
      left join limit_usage u on u.limit_id = l.id and u.window_start = rd_window_start(l.time_unit, m.time_zone)
      where l.id = ${limitId}::uuid`.execute(s.db);
    return Number(rows[0]!.used);
  }
  async function stockIssued(s: Scenario, reward: string): Promise<number | null> {
    const { rows } = await sql<{ issued: string }>`select issued from reward_stock_usage where reward_id = ${s.reward(reward)}::uuid`.execute(s.db);
    return rows.length === 0 ? null : Number(rows[0]!.issued);
  }
  async function liveUnits(s: Scenario, reward: string): Promise<number> {
    const { rows } = await sql<{ n: string }>`
      select coalesce(sum(qty), 0) as n from reward_redemptions_ledger
      where reward_id = ${s.reward(reward)}::uuid and success and cancelled_at is null`.execute(s.db);
    return Number(rows[0]!.n);
  }
  const setStock = (s: Scenario, reward: string, stock: number | null) =>
    sql`update reward_master set stock_total = ${stock} where id = ${s.reward(reward)}::uuid`.execute(s.db);

  it('the reported sequence: 5 + 5, a total limit of 12, 5, cancel the first, 12: both refused; then 7 fits and 1 does not', async () => {
    const s = await create();
    const first = await s.redeem('a@t.test', 'GIFT', 5);
    expect(first).toMatchObject({ success: true });
    expect(await s.redeem('b@t.test', 'GIFT', 5)).toMatchObject({ success: true });

    const limit = await addLimit(s, 'GIFT', 12, 'all_time');
    expect(await used(s, limit)).toBe(10);
    // 10 live + 5 > 12.
    expect(await s.redeem('a@t.test', 'GIFT', 5)).toMatchObject({ success: false, error_code: 'LIMIT_EXCEEDED', used: 10, remaining: 2 });
    expect(await cancelEvent(s, first.event_id)).toMatchObject({ success: true, cancelled: 1 });
    expect(await used(s, limit)).toBe(5);
    // 5 live + 12 > 12.
    expect(await s.redeem('b@t.test', 'GIFT', 12)).toMatchObject({ success: false, error_code: 'LIMIT_EXCEEDED', used: 5, remaining: 7 });
    expect(await s.redeem('b@t.test', 'GIFT', 7)).toMatchObject({ success: true });
    expect(await s.redeem('a@t.test', 'GIFT', 1)).toMatchObject({ success: false, error_code: 'LIMIT_EXCEEDED', used: 12, remaining: 0 });
    expect(await liveUnits(s, 'GIFT')).toBe(12);
    expect(await used(s, limit)).toBe(12);
  });

  it('a stock set after redemptions counts them: 5 + 5, stock 12, 5 is OUT_OF_STOCK, cancel one, 7 fits, 1 does not', async () => {
    const s = await create();
    const first = await s.redeem('a@t.test', 'GIFT', 5);
    expect(first).toMatchObject({ success: true });
    expect(await s.redeem('b@t.test', 'GIFT', 5)).toMatchObject({ success: true });

    await setStock(s, 'GIFT', 12);
    expect(await stockIssued(s, 'GIFT')).toBe(10);
    expect(await s.redeem('a@t.test', 'GIFT', 5)).toMatchObject({ success: false, error_code: 'OUT_OF_STOCK', available: 2, requested: 5 });
    expect(await cancelEvent(s, first.event_id)).toMatchObject({ success: true, cancelled: 1 });
    expect(await stockIssued(s, 'GIFT')).toBe(5);
    expect(await s.redeem('a@t.test', 'GIFT', 7)).toMatchObject({ success: true });
    expect(await s.redeem('b@t.test', 'GIFT', 1)).toMatchObject({ success: false, error_code: 'OUT_OF_STOCK', available: 0 });
    expect(await liveUnits(s, 'GIFT')).toBe(12);
    expect(await stockIssued(s, 'GIFT')).toBe(12);
  });

  it('a stock removed and set again recounts what was redeemed and cancelled in between; a restock keeps the count', async () => {
    const s = await create();
    const first = await s.redeem('a@t.test', 'GIFT', 4);
    await setStock(s, 'GIFT', 10);
    expect(await stockIssued(s, 'GIFT')).toBe(4);
    await setStock(s, 'GIFT', null);
    // No stock, no counter to keep: it would only go stale.
    expect(await stockIssued(s, 'GIFT')).toBeNull();
    expect(await s.redeem('b@t.test', 'GIFT', 6)).toMatchObject({ success: true });
    await cancelEvent(s, first.event_id);
    await setStock(s, 'GIFT', 8);
    expect(await stockIssued(s, 'GIFT')).toBe(6);
    expect(await s.redeem('a@t.test', 'GIFT', 3)).toMatchObject({ success: false, error_code: 'OUT_OF_STOCK', available: 2 });
    await setStock(s, 'GIFT', 9);
    expect(await stockIssued(s, 'GIFT')).toBe(6);
    expect(await s.redeem('a@t.test', 'GIFT', 3)).toMatchObject({ success: true });
    expect(await stockIssued(s, 'GIFT')).toBe(9);
  });

  it('a reactivated limit counts what was redeemed, and not what was cancelled, while it was off', async () => {
    const s = await create();
    const limit = await addLimit(s, 'GIFT', 12, 'all_time');
    const first = await s.redeem('a@t.test', 'GIFT', 5);
    expect(await used(s, limit)).toBe(5);

    await setLimit(limit, 'active', false).execute(s.db);
    expect(await s.redeem('b@t.test', 'GIFT', 6)).toMatchObject({ success: true });
    await cancelEvent(s, first.event_id);
    expect(await s.redeem('b@t.test', 'GIFT', 4)).toMatchObject({ success: true });

    await setLimit(limit, 'active', true).execute(s.db);
    expect(await used(s, limit)).toBe(10);
    expect(await s.redeem('a@t.test', 'GIFT', 3)).toMatchObject({ success: false, error_code: 'LIMIT_EXCEEDED', used: 10, remaining: 2 });
    expect(await s.redeem('a@t.test', 'GIFT', 2)).toMatchObject({ success: true });
    expect(await liveUnits(s, 'GIFT')).toBe(12);
  });

  it('a window change counts the live units of the new window, both ways', async () => {
    const s = await create();
    const { rows } = await sql<{ id: string }>`select id::text from transaction_limits where reward_id = ${s.reward('DAILY')}::uuid`.execute(s.db);
    const limit = rows[0]!.id;
    expect(await s.redeem('a@t.test', 'DAILY', 5)).toMatchObject({ success: true });
    expect(await used(s, limit)).toBe(5);

    await setLimit(limit, 'time_unit', 'all_time').execute(s.db);
    expect(await used(s, limit)).toBe(5);
    expect(await s.redeem('a@t.test', 'DAILY', 12)).toMatchObject({ success: false, error_code: 'LIMIT_EXCEEDED', used: 5 });
    const seven = await s.redeem('a@t.test', 'DAILY', 7);
    expect(seven).toMatchObject({ success: true });

    await setLimit(limit, 'time_unit', 'month').execute(s.db);
    expect(await used(s, limit)).toBe(12);
    await cancelEvent(s, seven.event_id);
    expect(await used(s, limit)).toBe(5);
    // Back to all_time: its old counter (12) is stale; the change recounts it.
    await setLimit(limit, 'time_unit', 'all_time').execute(s.db);
    expect(await used(s, limit)).toBe(5);
    expect(await s.redeem('b@t.test', 'DAILY', 8)).toMatchObject({ success: false, error_code: 'LIMIT_EXCEEDED', used: 5, remaining: 7 });
  });

  it('a change of the merchant time zone recounts the windows it moves', async () => {
    const s = await create();
    const { rows } = await sql<{ id: string }>`select id::text from transaction_limits where reward_id = ${s.reward('DAILY')}::uuid`.execute(s.db);
    const limit = rows[0]!.id;
    expect(await s.redeem('a@t.test', 'DAILY', 5)).toMatchObject({ success: true });
    // UTC+14: its day never starts at UTC midnight, so the current window is another row.
    await sql`update merchants set time_zone = 'Pacific/Kiritimati' where id = ${s.merchantId}::uuid`.execute(s.db);
    expect(await used(s, limit)).toBe(5);
    expect(await s.redeem('a@t.test', 'DAILY', 8)).toMatchObject({ success: false, error_code: 'LIMIT_EXCEEDED', used: 5 });
  });

  it('a limit added to a reward nobody redeemed writes no counter; a merchant with an unknown zone can still add one', async () => {
    const s = await create();
    const limit = await addLimit(s, 'GIFT', 3, 'week');
    const { rows } = await sql`select 1 from limit_usage where limit_id = ${limit}::uuid`.execute(s.db);
    expect(rows).toEqual([]);
    await sql`update merchants set time_zone = 'Mars/Olympus_Mons' where id = ${s.merchantId}::uuid`.execute(s.db);
    await addLimit(s, 'GIFT', 3, 'day');
  });
});

describe('a restock while a redemption holds the stock counter, on the server', () => {
  const test = useTestDatabase('postgres');

  it('waits for it and counts its units: the recount never loses a concurrent redemption', async () => {
    const s = await Scenario.create(test().database.db, fixture());
    expect(await s.redeem('a@t.test', 'GIFT', 4)).toMatchObject({ success: true });
    await sql`update reward_master set stock_total = 10 where id = ${s.reward('GIFT')}::uuid`.execute(s.db);
    const first = new pg.Client({ connectionString: test().url });
    const second = new pg.Client({ connectionString: test().url });
    await Promise.all([first.connect(), second.connect()]);
    try {
      // The redemption takes 3 more and holds the counter uncommitted; the restock's recount
      // waits on the counter row, and after the commit must count 4 + 3.
      await first.query('begin');
      const won = await first.query<{ result: { success: boolean } }>(
        `select redeem_reward_with_points(p_reward_id => $1::uuid, p_quantity => 3, p_user_id => $2::uuid,
                                          p_merchant_id => $3::uuid) as result`,
        [s.reward('GIFT'), s.user('b@t.test'), s.merchantId]);
      expect(won.rows[0]!.result).toMatchObject({ success: true });
      const secondPid = (await second.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
      const restock = second.query('update reward_master set stock_total = 8 where id = $1::uuid', [s.reward('GIFT')]);
      restock.catch(() => {}); // awaited below
      await waitUntilWaitingOnLock(first, secondPid);
      await first.query('commit');
      await restock;
    } finally {
      await Promise.all([first.end().catch(() => {}), second.end().catch(() => {})]);
    }
    const { rows } = await sql<{ issued: string }>`select issued from reward_stock_usage where reward_id = ${s.reward('GIFT')}::uuid`.execute(s.db);
    expect(rows.map((r) => Number(r.issued))).toEqual([7]);
    expect(await s.redeem('a@t.test', 'GIFT', 2)).toMatchObject({ success: false, error_code: 'OUT_OF_STOCK', available: 1 });
  });
});
