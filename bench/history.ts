import { sql, type Kysely } from 'kysely';
import type { Schema } from '../src/db/schema.js';
import type { BenchWorld } from './workload.js';

/**
 * History for the `scale` benchmark: 1,000,000 ledger rows and 1,000,000 more codes, written in
 * bulk by SQL. Half the rows are past pool redemptions (each holding a redeemed code), half past
 * single-row redemptions of plain rewards; the other half of the codes wait, available, in the
 * pools ahead of nothing (they are newer, so the oldest-first claim reaches them last).
 */
export async function fillHistory(db: Kysely<Schema>, world: BenchWorld, ledgerRows = 1_000_000, codes = 1_000_000): Promise<void> {
  const poolRows = Math.floor(ledgerRows / 2);
  const poolRequests = Math.floor(poolRows / 4);
  const plainRows = ledgerRows - poolRows;
  const users = world.userIds;
  const pools = world.poolRewardIds;
  const plains = world.plainRewardIds;
  const m = world.merchantId;

  // Past pool requests: 4 rows each, one redeemed code per row.
  await sql`
    insert into redemption_requests (event_id, merchant_id, user_id, reward_id, quantity, mode, source_type, status, result, created_at)
    select 'hist-pool-' || g, ${m}::uuid, (${users}::uuid[])[1 + g % ${users.length}], (${pools}::uuid[])[1 + g % ${pools.length}],
           4, 'calc', 'history', 'succeeded', '{}'::jsonb, now() - interval '400 days'
    from generate_series(1, ${poolRequests}::int) g`.execute(db);
  await sql`
    insert into reward_promo_code (merchant_id, reward_id, promo_code, lot, status, redeemed_at, ledger_id, created_at)
    select ${m}::uuid, (${pools}::uuid[])[1 + (g / 4) % ${pools.length}], 'HIST-R-' || g, 'history', 'redeemed',
           now() - interval '400 days', gen_random_uuid(), now() - interval '500 days'
    from generate_series(4, ${poolRequests * 4 + 3}::int) g`.execute(db);
  await sql`
    insert into reward_redemptions_ledger (id, code, merchant_id, user_id, reward_id, event_id, qty, promo_code, promo_code_id,
        points_deducted, success, mode, source_type, redeemed_at, created_at)
    select p.ledger_id, 'RWDHIST' || p.id, ${m}::uuid, r.user_id, p.reward_id, r.event_id, 1, p.promo_code, p.id, 60, true,
           'calc', 'history', p.redeemed_at, p.redeemed_at
    from reward_promo_code p
    join redemption_requests r on r.event_id = 'hist-pool-' || (substr(p.promo_code, 8)::int / 4)
    where p.lot = 'history' and p.status = 'redeemed'`.execute(db);

  // Past single-row requests on plain rewards.
  await sql`
    insert into redemption_requests (event_id, merchant_id, user_id, reward_id, quantity, mode, source_type, status, result, created_at)
    select 'hist-plain-' || g, ${m}::uuid, (${users}::uuid[])[1 + g % ${users.length}], (${plains}::uuid[])[1 + g % ${plains.length}],
           3, 'calc', 'history', 'succeeded', '{}'::jsonb, now() - interval '400 days'
    from generate_series(1, ${plainRows}::int) g`.execute(db);
  await sql`
    insert into reward_redemptions_ledger (code, merchant_id, user_id, reward_id, event_id, qty, points_deducted, success, mode,
        source_type, redeemed_at, created_at)
    select 'RWDHISTP' || substr(r.event_id, 12), ${m}::uuid, r.user_id, r.reward_id, r.event_id, 3, 180, true, 'calc', 'history',
           r.created_at, r.created_at
    from redemption_requests r where r.event_id like 'hist-plain-%'`.execute(db);

  // The rest of the codes: available, in the pools, after the run's own codes.
  const available = codes - poolRequests * 4;
  await sql`
    insert into reward_promo_code (merchant_id, reward_id, promo_code, lot)
    select ${m}::uuid, (${pools}::uuid[])[1 + g % ${pools.length}], 'HIST-A-' || g, 'history-available'
    from generate_series(1, ${available}::int) g`.execute(db);
  // The one VACUUM ANALYZE of the benchmarks, kept on purpose: this history stands for 400 days of
  // redemptions, which autovacuum would have visited many times; a user never meets it unanalysed.
  // The empty database it is compared with gets none.
  await sql`vacuum analyze`.execute(db);
}
