import pg from 'pg';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { cancel, CANCEL_CHUNK_ROWS, setUsed } from '../../src/engine/cancelAndUse.js';
import type { CancelResult } from '../../src/engine/types.js';
import type { FixtureInput } from '../../src/demo/fixtureSchema.js';
import { BACKENDS } from '../support/databases.js';
import { backendPid, waitUntilWaitingOnLock } from '../support/locks.js';
import { Scenario, uniqueName, useTestDatabase } from '../support/scenario.js';

// Batch cancel: lock order and chunks (issue 9, defect 5; docs/engine.md, "Concurrency and lock
// order" and "Cancel"). A cancel takes its locks in the order redeem does (member wallets before
// any shared counter), holds each counter for one statement at the end of its transaction, and
// cancels a large selection in chunks, one transaction each, resumable by running it again.

const STAFF = { actor: 'bob@staff', reason: 'bad batch' };
const START = 1_000_000;
const HOT_PRICE = 10;
const POOL_PRICE = 20;

/** Members, a hot reward with a stock and a total limit (two shared counters), and a pool reward. */
function fixture(members: number): FixtureInput {
  return {
    merchant: { name: uniqueName() },
    users: Array.from({ length: members }, (_, i) => ({ email: memberEmail(i), points: START })),
    rewards: [
      { reward_code: 'HOT', name: 'Hot', fallback_points: HOT_PRICE, stock_total: 1_000_000, limits: [{ scope: 'total', max: 1_000_000, unit: 'all_time' }] },
      { reward_code: 'POOL', name: 'Pool', fallback_points: POOL_PRICE, assign_promocode: true, codes: { generate: 2_000, prefix: 'P-' } },
    ],
  };
}

function memberEmail(i: number): string {
  return `k${String(i).padStart(3, '0')}@locks.test`;
}

/** A batch's rows: per member `hot` rows of HOT (qty 1) and one POOL request of `pool` codes. */
async function grantBatch(s: Scenario, batchId: string, members: number, hot: number, pool: number, concurrency: number): Promise<number> {
  const calls: Array<() => Promise<unknown>> = [];
  for (let m = 0; m < members; m++) {
    for (let h = 0; h < hot; h++) calls.push(() => s.redeem(memberEmail(m), 'HOT', 1, { sourceType: 'batch', sourceId: batchId }));
    if (pool > 0) calls.push(() => s.redeem(memberEmail(m), 'POOL', pool, { sourceType: 'batch', sourceId: batchId }));
  }
  const queue = [...calls];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const r = (await next()) as { success: boolean; message: string };
        if (!r.success) throw new Error(`batch grant refused: ${r.message}`);
      }
    }),
  );
  return members * (hot + pool);
}

async function batchRows(s: Scenario, batchId: string) {
  return s.db.selectFrom('reward_redemptions_ledger').select(['id', 'user_id', 'cancelled_at', 'qty', 'points_deducted'])
    .where('merchant_id', '=', s.merchantId).where('source_type', '=', 'batch').where('source_id', '=', batchId).execute();
}

/** Refund entries per cancelled row of the batch: exactly one each. */
async function refundsPerRow(s: Scenario, batchId: string): Promise<number[]> {
  const { rows } = await sql<{ n: number }>`
    select count(w.id)::int as n from reward_redemptions_ledger l
    left join wallet_ledger w on w.source_type = 'redemption_cancellation' and w.source_id = l.id::text
    where l.merchant_id = ${s.merchantId}::uuid and l.source_type = 'batch' and l.source_id = ${batchId}
    group by l.id`.execute(s.db);
  return rows.map((r) => r.n);
}

/** Members whose balance is not what they started with minus the points of their live rows. */
async function balanceMismatches(s: Scenario): Promise<unknown[]> {
  const { rows } = await sql`
    select u.email, w.points_balance, ${START}::bigint - coalesce(sum(l.points_deducted) filter (where l.success and l.cancelled_at is null), 0) as expected
    from user_accounts u join user_wallet w on w.user_id = u.id
    left join reward_redemptions_ledger l on l.user_id = u.id
    where u.merchant_id = ${s.merchantId}::uuid
    group by u.email, w.points_balance
    having w.points_balance <> ${START}::bigint - coalesce(sum(l.points_deducted) filter (where l.success and l.cancelled_at is null), 0)`.execute(s.db);
  return rows;
}

/** The HOT total limit's counter against its live units (the stock counter is invariant 5c). */
async function limitCounterAndLive(s: Scenario): Promise<{ used: number; live: number }> {
  const { rows } = await sql<{ used: number; live: number }>`
    select (select coalesce(sum(u.used), 0) from limit_usage u join transaction_limits t on t.id = u.limit_id
            where t.reward_id = ${s.reward('HOT')}::uuid)::int as used,
           (select coalesce(sum(qty), 0) from reward_redemptions_ledger
            where reward_id = ${s.reward('HOT')}::uuid and success and cancelled_at is null)::int as live`.execute(s.db);
  return rows[0]!;
}

const CANCEL_SQL = `select cancel_redemptions(p_merchant_id => $1::uuid, p_by => 'batch', p_value => $2,
  p_actor => $3, p_reason => $4) as result`;
const CANCEL_CHUNK_SQL = `select cancel_redemptions(p_merchant_id => $1::uuid, p_by => 'batch', p_value => $2,
  p_actor => $3, p_reason => $4, p_limit => $5) as result`;

describe.each(BACKENDS)('batch cancel in chunks on %s', (backend) => {
  const test = useTestDatabase(backend);
  const create = () => Scenario.create(test().database.db, fixture(3));
  const cancelBatch = (s: Scenario, batchId: string, options: Parameters<typeof cancel>[2] = {}, extra: { dryRun?: boolean } = {}) =>
    cancel(s.db, { merchantId: s.merchantId, by: 'batch', value: batchId, ...STAFF, ...extra }, options);

  it(`the default chunk is ${CANCEL_CHUNK_ROWS} rows`, () => {
    expect(CANCEL_CHUNK_ROWS).toBe(500);
  });

  it('a cancel of more rows than the chunk commits in several transactions, every row once, every refund once', async () => {
    const s = await create();
    // 3 members × (2 HOT rows + 2 POOL rows) = 12 rows, 3 × 60 points.
    expect(await grantBatch(s, 'B', 3, 2, 2, 1)).toBe(12);
    const result = await cancelBatch(s, 'B', { chunkRows: 5 });
    expect(result).toMatchObject({ success: true, cancelled: 12, chunks: 3, points_refunded: 180, codes_affected: 6,
      codes_released: 6, codes_voided: 0, already_cancelled: 0,
      message: 'Cancelled 12 redemption(s), refunding 180 points, 6 code(s) released, in 3 chunks of at most 5' });
    expect(result.more).toBeFalsy();
    expect(new Set(result.rows!.map((r) => r.redemption_id)).size).toBe(12);
    // Rows are reported member by member, as an unchunked cancel lists them.
    const users = result.rows!.map((r) => r.user_id);
    expect(users).toEqual([...users].sort());

    // now() is the transaction's start: one cancelled_at per chunk, 5 + 5 + 2 rows.
    const rows = await batchRows(s, 'B');
    const perChunk = new Map<number, number>();
    for (const r of rows) perChunk.set(r.cancelled_at!.getTime(), (perChunk.get(r.cancelled_at!.getTime()) ?? 0) + 1);
    expect([...perChunk.values()].sort((a, b) => b - a)).toEqual([5, 5, 2]);
    expect(await refundsPerRow(s, 'B')).toEqual(Array(12).fill(1));
    expect(await balanceMismatches(s)).toEqual([]);
    for (let m = 0; m < 3; m++) expect(await s.balance(memberEmail(m))).toBe(START);
    expect(await limitCounterAndLive(s)).toEqual({ used: 0, live: 0 });
    expect(await s.codeStatuses('POOL')).toEqual({ available: 2_000 });
    // One audit row per committed chunk.
    const audit = await s.db.selectFrom('audit_log').select('details').where('merchant_id', '=', s.merchantId).where('action', '=', 'cancel').execute();
    expect(audit.map((a) => (a.details as { rows: number }).rows).sort()).toEqual([2, 5, 5]);
  });

  it('a chunked cancel stopped after its first chunk finishes when run again; nothing is refunded twice', async () => {
    const s = await create();
    await grantBatch(s, 'B', 3, 2, 2, 1);
    // The first chunk only, as a run interrupted between chunks leaves it.
    const first = await sql<{ result: CancelResult }>`
      select cancel_redemptions(p_merchant_id => ${s.merchantId}::uuid, p_by => 'batch', p_value => 'B',
        p_actor => ${STAFF.actor}, p_reason => ${STAFF.reason}, p_limit => 5) as result`.execute(s.db);
    expect(first.rows[0]!.result).toMatchObject({ success: true, cancelled: 5, more: true });
    expect((await batchRows(s, 'B')).filter((r) => r.cancelled_at !== null)).toHaveLength(5);

    const rest = await cancelBatch(s, 'B');
    expect(rest).toMatchObject({ success: true, cancelled: 7, already_cancelled: 5, chunks: 1 });
    expect(rest.more).toBeFalsy();
    const again = await cancelBatch(s, 'B', { chunkRows: 5 });
    expect(again).toMatchObject({ success: true, info_code: 'ALREADY_CANCELLED', cancelled: 0, already_cancelled: 12, points_refunded: 0 });

    expect(await refundsPerRow(s, 'B')).toEqual(Array(12).fill(1));
    for (let m = 0; m < 3; m++) expect(await s.balance(memberEmail(m))).toBe(START);
    expect(await limitCounterAndLive(s)).toEqual({ used: 0, live: 0 });
  });

  it('the engine stops between chunks when asked, and reports what is left', async () => {
    const s = await create();
    await grantBatch(s, 'B', 3, 2, 2, 1);
    const stop = new AbortController();
    const partial = await cancelBatch(s, 'B', { chunkRows: 5, signal: stop.signal, onChunk: () => stop.abort('SIGINT') });
    expect(partial).toMatchObject({ success: true, cancelled: 5, chunks: 1, more: true });
    const rest = await cancelBatch(s, 'B', { chunkRows: 5 });
    expect(rest).toMatchObject({ success: true, cancelled: 7, already_cancelled: 5, chunks: 2 });
    expect(await refundsPerRow(s, 'B')).toEqual(Array(12).fill(1));
    expect(await balanceMismatches(s)).toEqual([]);
  });

  it('a row marked used between two chunks refuses the rest; the chunks before stay cancelled, and a forced run finishes', async () => {
    const s = await create();
    await grantBatch(s, 'B', 3, 2, 2, 1);
    let marked = '';
    const partial = await cancelBatch(s, 'B', {
      chunkRows: 5,
      onChunk: async () => {
        if (marked) return;
        const row = await s.db.selectFrom('reward_redemptions_ledger').select('code').where('source_id', '=', 'B')
          .where('merchant_id', '=', s.merchantId).where('cancelled_at', 'is', null).orderBy('id').executeTakeFirstOrThrow();
        marked = row.code;
        expect(await setUsed(s.db, { merchantId: s.merchantId, by: 'code', value: marked, used: true, actor: 'till' })).toMatchObject({ success: true });
      },
    });
    expect(partial).toMatchObject({ success: false, error_code: 'ALREADY_USED', used_codes: [marked], cancelled: 5, more: true });
    expect(partial.message).toContain('the 5 redemption(s) cancelled before it stay cancelled');
    expect((await batchRows(s, 'B')).filter((r) => r.cancelled_at !== null)).toHaveLength(5);

    expect(await cancelBatch(s, 'B', { chunkRows: 5 })).toMatchObject({ success: false, error_code: 'ALREADY_USED', cancelled: 0 });
    const forced = await cancel(s.db, { merchantId: s.merchantId, by: 'batch', value: 'B', ...STAFF, forceUsed: true }, { chunkRows: 5 });
    expect(forced).toMatchObject({ success: true, cancelled: 7, already_cancelled: 5, chunks: 2 });
    expect(await refundsPerRow(s, 'B')).toEqual(Array(12).fill(1));
    expect(await balanceMismatches(s)).toEqual([]);
  });

  it('a dry run previews every row in one go and writes nothing, whatever the chunk size', async () => {
    const s = await create();
    await grantBatch(s, 'B', 3, 2, 2, 1);
    const dry = await cancelBatch(s, 'B', { chunkRows: 5 }, { dryRun: true });
    expect(dry).toMatchObject({ success: true, dry_run: true, cancelled: 0, points_refunded: 180, codes_affected: 6,
      message: 'Would cancel 12 redemption(s), refunding 180 points, 6 code(s) released' });
    expect(dry.rows).toHaveLength(12);
    expect((await batchRows(s, 'B')).every((r) => r.cancelled_at === null)).toBe(true);
    expect(await s.db.selectFrom('audit_log').select('id').where('merchant_id', '=', s.merchantId).execute()).toEqual([]);
    expect(await limitCounterAndLive(s)).toEqual({ used: 6, live: 6 });
  });
});

describe('batch cancel against live redemptions on the server', () => {
  const test = useTestDatabase('postgres', { poolSize: 12 });

  const client = async () => {
    const c = new pg.Client({ connectionString: test().url, application_name: 'redeemctl-cancel-locks' });
    await c.connect();
    return c;
  };

  it('a cancel waiting for a member wallet holds no shared counter: other members redeem the hot reward meanwhile', async () => {
    const s = await Scenario.create(test().database.db, fixture(6));
    await grantBatch(s, 'W', 5, 3, 0, 4);
    // The batch member with the highest user id: a cancel in the old order (per row, by user)
    // took the stock and limit counters on the first rows, then waited here holding them.
    const members = [...Array(5).keys()].map((m) => s.user(memberEmail(m))).sort();
    const last = members[members.length - 1]!;
    const [holder, canceller, outsider] = [await client(), await client(), await client()];
    try {
      await holder.query('begin');
      await holder.query('select 1 from user_wallet where user_id = $1 for update', [last]);
      const pid = await backendPid(canceller);
      const cancelling = canceller.query<{ result: CancelResult }>(CANCEL_SQL, [s.merchantId, 'W', STAFF.actor, STAFF.reason]);
      cancelling.catch(() => {});
      await waitUntilWaitingOnLock(outsider, pid);

      // A member outside the batch takes the stock and limit counters while the cancel waits.
      await outsider.query(`set lock_timeout = '10s'`);
      const { rows } = await outsider.query<{ result: { success: boolean } }>(
        `select redeem_reward_with_points(p_reward_id => $1::uuid, p_quantity => 1, p_user_id => $2::uuid,
                                          p_merchant_id => $3::uuid, p_event_id => $4) as result`,
        [s.reward('HOT'), s.user(memberEmail(5)), s.merchantId, `outsider-${s.merchantId}`],
      );
      expect(rows[0]!.result).toMatchObject({ success: true });

      await holder.query('commit');
      expect((await cancelling).rows[0]!.result).toMatchObject({ success: true, cancelled: 15 });
    } finally {
      await Promise.all([holder, canceller, outsider].map((c) => c.end().catch(() => {})));
    }
    expect(await limitCounterAndLive(s)).toEqual({ used: 1, live: 1 });
    expect(await balanceMismatches(s)).toEqual([]);
  });

  it('batch cancels racing redemptions of the same members and the same rewards never deadlock; balances and counters stay exact', async () => {
    const MEMBERS = 24;
    const REDEEMERS = 8;
    const ROUNDS = 2; // the old code deadlocked in round 0; one whole and one chunked round
    const s = await Scenario.create(test().database.db, fixture(MEMBERS));
    const redeemers = await Promise.all(Array.from({ length: REDEEMERS }, () => client()));
    const canceller = await client();
    const errors: string[] = [];
    const record = (who: string) => (e: unknown) => {
      errors.push(`${who}: ${(e as { code?: string }).code ?? ''} ${(e as Error).message}`);
    };
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const batchId = `R${round}`;
        const rows = await grantBatch(s, batchId, MEMBERS, 12, 2, 8);
        let stop = false;
        const started: number[] = Array(REDEEMERS).fill(0);
        // Each redeemer walks the batch's members, mostly the hot reward, now and then the pool.
        const live = redeemers.map(async (c, k) => {
          for (let j = 0; !stop; j++) {
            const member = s.user(memberEmail((k * 7 + j * 5) % MEMBERS));
            const reward = j % 4 === 3 ? 'POOL' : 'HOT';
            await c.query(
              `select redeem_reward_with_points(p_reward_id => $1::uuid, p_quantity => 1, p_user_id => $2::uuid,
                                                p_merchant_id => $3::uuid, p_event_id => $4) as result`,
              [s.reward(reward), member, s.merchantId, `live-${s.merchantId}-${round}-${k}-${j}`],
            ).catch(record(`redeem ${k}`));
            started[k]! += 1;
          }
        });
        while (started.some((n) => n === 0)) await new Promise((resolve) => setTimeout(resolve, 5));
        // Even rounds: the whole batch in one call (the worst case); odd rounds: chunks of 50.
        const cancelled = await (async () => {
          let total = 0;
          for (;;) {
            const { rows: [r] } = await canceller.query<{ result: CancelResult }>(
              round % 2 === 0 ? CANCEL_SQL : CANCEL_CHUNK_SQL,
              round % 2 === 0 ? [s.merchantId, batchId, STAFF.actor, STAFF.reason] : [s.merchantId, batchId, STAFF.actor, STAFF.reason, 50],
            );
            total += r!.result.cancelled;
            if (!r!.result.success) throw new Error(`cancel refused: ${r!.result.message}`);
            if (!r!.result.more) return total;
          }
        })().catch((e) => {
          record(`cancel ${batchId}`)(e);
          return -1;
        });
        stop = true;
        await Promise.all(live);
        expect(errors).toEqual([]);
        expect(cancelled).toBe(rows);
        expect((await batchRows(s, batchId)).filter((r) => r.cancelled_at === null)).toEqual([]);
      }
    } finally {
      await Promise.all([...redeemers, canceller].map((c) => c.end().catch(() => {})));
    }
    const counter = await limitCounterAndLive(s);
    expect(counter.used).toBe(counter.live);
    expect(await balanceMismatches(s)).toEqual([]);
  });
});
