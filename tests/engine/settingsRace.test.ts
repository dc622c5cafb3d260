import pg from 'pg';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { RedeemResult } from '../../src/engine/types.js';
import { backendPid, waitUntilWaitingOnLock } from '../support/locks.js';
import { Scenario, uniqueName, useTestDatabase } from '../support/scenario.js';

// A reward's settings changed while a redemption of it is in flight (found by the randomised
// model test with MODEL_CONCURRENT_CONFIG=1; sql/0017_events_per_merchant_and_settings_lock.sql).
// The redemption must run under the settings in force when it commits: a stock lowered or a
// limit added binds it, and a counter started then counts it. Server only: two connections.

const STAFF = { actor: 'bob@staff', reason: 'customer called' };
const REDEEM = `select redeem_reward_with_points(p_reward_id => $1::uuid, p_quantity => $2, p_user_id => $3::uuid,
                  p_merchant_id => $4::uuid, p_mode => $5, p_actor => $6, p_reason => $7) as result`;

describe('settings changed while a redemption is in flight, on the server', () => {
  const test = useTestDatabase('postgres');
  const create = () =>
    Scenario.create(test().database.db, {
      merchant: { name: uniqueName() },
      users: [{ email: 'member@t.test', points: 10_000 }],
      rewards: [{ reward_code: 'GIFT', name: 'Gift', fallback_points: 10 }],
    });

  /**
   * Runs `change` in an open transaction, then a redemption of 5 GIFT on another connection; when
   * that redemption waits on a lock or has answered, the change commits. Returns the redemption.
   */
  async function redeemDuring(s: Scenario, change: string, mode: 'calc' | 'direct' = 'calc'): Promise<RedeemResult> {
    const admin = new pg.Client({ connectionString: test().url });
    const member = new pg.Client({ connectionString: test().url });
    await Promise.all([admin.connect(), member.connect()]);
    try {
      await admin.query('begin');
      await admin.query(change, [s.reward('GIFT'), s.merchantId]);
      const memberPid = await backendPid(member);
      const staff = mode === 'calc' ? [null, null] : [STAFF.actor, STAFF.reason];
      const redemption = member.query<{ result: RedeemResult }>(REDEEM, [s.reward('GIFT'), 5, s.user('member@t.test'), s.merchantId, mode, ...staff]);
      let answered = false;
      redemption.then(() => (answered = true), () => (answered = true));
      await waitUntilWaitingOnLock(admin, memberPid, () => answered);
      await admin.query('commit');
      return (await redemption).rows[0]!.result;
    } finally {
      await Promise.all([admin.end().catch(() => {}), member.end().catch(() => {})]);
    }
  }
  const liveUnits = async (s: Scenario) =>
    Number((await sql<{ n: string }>`select coalesce(sum(qty), 0) as n from reward_redemptions_ledger
      where reward_id = ${s.reward('GIFT')}::uuid and success and cancelled_at is null`.execute(s.db)).rows[0]!.n);
  const stockIssued = async (s: Scenario) =>
    (await sql<{ issued: string }>`select issued from reward_stock_usage where reward_id = ${s.reward('GIFT')}::uuid`.execute(s.db)).rows.map((r) => Number(r.issued));
  const limitUsed = async (s: Scenario) =>
    (await sql<{ used: string }>`select u.used from limit_usage u join transaction_limits l on l.id = u.limit_id
      where l.reward_id = ${s.reward('GIFT')}::uuid`.execute(s.db)).rows.map((r) => Number(r.used));

  it('a stock lowered meanwhile binds it: OUT_OF_STOCK, never more live units than the stock', async () => {
    const s = await create();
    await sql`update reward_master set stock_total = 10 where id = ${s.reward('GIFT')}::uuid`.execute(s.db);
    const result = await redeemDuring(s, 'update reward_master set stock_total = 3 where id = $1::uuid and merchant_id = $2::uuid');
    expect(result).toMatchObject({ success: false, error_code: 'OUT_OF_STOCK', available: 3, requested: 5 });
    expect(await liveUnits(s)).toBe(0);
    expect(await stockIssued(s)).toEqual([]); // nothing live, so no counter row yet
  });

  it('a stock set meanwhile counts a direct grant that was in flight', async () => {
    const s = await create();
    const result = await redeemDuring(s, 'update reward_master set stock_total = 20 where id = $1::uuid and merchant_id = $2::uuid', 'direct');
    expect(result).toMatchObject({ success: true });
    expect(await liveUnits(s)).toBe(5);
    expect(await stockIssued(s)).toEqual([5]);
  });

  it('a total limit added meanwhile binds a calc redemption: LIMIT_EXCEEDED', async () => {
    const s = await create();
    const result = await redeemDuring(s, `insert into transaction_limits (reward_id, merchant_id, scope, max_count, time_unit)
                                          values ($1::uuid, $2::uuid, 'total', 2, 'all_time')`);
    expect(result).toMatchObject({ success: false, error_code: 'LIMIT_EXCEEDED', limit: 2, requested: 5 });
    expect(await liveUnits(s)).toBe(0);
  });

  it('a total limit added meanwhile counts a direct grant that was in flight', async () => {
    const s = await create();
    const result = await redeemDuring(s, `insert into transaction_limits (reward_id, merchant_id, scope, max_count, time_unit)
                                          values ($1::uuid, $2::uuid, 'total', 100, 'all_time')`, 'direct');
    expect(result).toMatchObject({ success: true });
    expect(await limitUsed(s)).toEqual([5]);
  });

  it('a total limit lowered meanwhile binds a calc redemption', async () => {
    const s = await create();
    await sql`insert into transaction_limits (reward_id, merchant_id, scope, max_count, time_unit)
              values (${s.reward('GIFT')}::uuid, ${s.merchantId}::uuid, 'total', 100, 'all_time')`.execute(s.db);
    const result = await redeemDuring(s, 'update transaction_limits set max_count = 4 where reward_id = $1::uuid and merchant_id = $2::uuid');
    expect(result).toMatchObject({ success: false, error_code: 'LIMIT_EXCEEDED', limit: 4 });
    expect(await liveUnits(s)).toBe(0);
  });
});
