import { sql, type Kysely } from 'kysely';
import type { Schema } from '../../src/db/schema.js';

/**
 * The five invariants of docs/domain.md, as queries that list violations. Run after every test
 * that writes; an empty list is the pass.
 */
const CHECKS: Array<{ name: string; query: ReturnType<typeof sql> }> = [
  {
    name: '1. balance equals the sum of the wallet ledger',
    query: sql`
      select w.user_id::text as subject, w.points_balance as balance, coalesce(sum(l.signed_amount), 0) as ledger_sum
      from user_wallet w left join wallet_ledger l on l.user_id = w.user_id
      group by w.user_id, w.points_balance
      having w.points_balance <> coalesce(sum(l.signed_amount), 0)`,
  },
  {
    name: "2a. a request's burn equals the points of its successful rows",
    query: sql`
      select r.event_id as subject, coalesce(b.amount, 0) as burn, coalesce(s.points, 0) as rows_points
      from redemption_requests r
      left join wallet_ledger b on b.merchant_id = r.merchant_id and b.source_type = 'redemption' and b.source_id = r.event_id
      left join (select merchant_id, event_id, sum(points_deducted) as points from reward_redemptions_ledger
                 where success group by merchant_id, event_id) s
        on s.merchant_id = r.merchant_id and s.event_id = r.event_id
      where coalesce(b.amount, 0) <> coalesce(s.points, 0)`,
  },
  {
    name: "2b. a cancelled row's refund equals its points",
    query: sql`
      select l.id::text as subject, l.points_deducted, coalesce(r.amount, 0) as refund
      from reward_redemptions_ledger l
      left join wallet_ledger r on r.source_type = 'redemption_cancellation' and r.source_id = l.id::text
      where (l.cancelled_at is not null and coalesce(r.amount, 0) <> l.points_deducted)
         or (l.cancelled_at is null and r.id is not null)`,
  },
  {
    name: '3a. no code held by two live rows',
    query: sql`
      select promo_code_id::text as subject, count(*) as holders
      from reward_redemptions_ledger
      where success and cancelled_at is null and promo_code_id is not null
      group by promo_code_id having count(*) > 1`,
  },
  {
    name: '3b. a code is redeemed if and only if a live row holds it',
    query: sql`
      select p.id::text as subject, p.status, l.id as live_row
      from reward_promo_code p
      left join reward_redemptions_ledger l
        on l.promo_code_id = p.id and l.success and l.cancelled_at is null
      where (p.status = 'redeemed') <> (l.id is not null)
         or (p.status = 'redeemed' and p.ledger_id is distinct from l.id)`,
  },
  {
    name: '4a. every event has exactly one request record (per merchant), and every row a request',
    query: sql`
      select l.event_id as subject from reward_redemptions_ledger l
      left join redemption_requests r on r.merchant_id = l.merchant_id and r.event_id = l.event_id where r.event_id is null`,
  },
  {
    name: '4b. a successful request has 1 row (no pool) or N rows (pool); a failed one 1 failure row',
    query: sql`
      select r.event_id as subject, r.status, r.quantity, count(l.id) filter (where l.success) as ok_rows,
             count(l.id) filter (where not l.success) as failure_rows, bool_or(m.assign_promocode) as pool
      from redemption_requests r
      left join reward_redemptions_ledger l on l.merchant_id = r.merchant_id and l.event_id = r.event_id
      left join reward_master m on m.id = r.reward_id
      group by r.merchant_id, r.event_id, r.status, r.quantity
      having not (
        (r.status = 'succeeded' and count(l.id) filter (where not l.success) = 0 and
           count(l.id) filter (where l.success) = case when bool_or(m.assign_promocode) then r.quantity else 1 end)
        or (r.status = 'failed' and count(l.id) filter (where not l.success) = 1 and count(l.id) filter (where l.success) = 0))`,
  },
  {
    name: '3c. pool counts (after folding their deltas) equal the codes by status',
    query: sql`
      select coalesce(c.reward_id, p.reward_id)::text as subject, p.total, c.total as actual_total,
             p.available, c.available as actual_available, p.redeemed, c.redeemed as actual_redeemed
      from (select reward_id, count(*) as total, count(*) filter (where status = 'available') as available,
                   count(*) filter (where status = 'redeemed') as redeemed, count(*) filter (where status = 'voided') as voided
            from reward_promo_code group by reward_id) c
      full join pool_counts p on p.reward_id = c.reward_id
      where (p.total, p.available, p.redeemed, p.voided) is distinct from (c.total, c.available, c.redeemed, c.voided)
        and not (c.reward_id is null and p.total = 0)`,
  },
  {
    name: '5a. no balance below zero',
    query: sql`select user_id::text as subject, points_balance from user_wallet where points_balance < 0`,
  },
  {
    name: '5b. no stock over-issued, in any mode (stock is physical supply)',
    query: sql`
      select m.id::text as subject, m.stock_total, sum(l.qty) as live_qty
      from reward_master m join reward_redemptions_ledger l on l.reward_id = m.id and l.success and l.cancelled_at is null
      where m.stock_total is not null and not m.assign_promocode
      group by m.id, m.stock_total having sum(l.qty) > m.stock_total`,
  },
  {
    name: '5c. stock counters match the live rows',
    query: sql`
      select m.id::text as subject, u.issued, coalesce(sum(l.qty), 0) as live_qty
      from reward_master m join reward_stock_usage u on u.reward_id = m.id
      left join reward_redemptions_ledger l on l.reward_id = m.id and l.success and l.cancelled_at is null
      group by m.id, u.issued having u.issued <> coalesce(sum(l.qty), 0)`,
  },
];

export interface Violation {
  invariant: string;
  rows: unknown[];
}

export async function findViolations(db: Kysely<Schema>): Promise<Violation[]> {
  const violations: Violation[] = [];
  await sql`select pool_counts_rollup()`.execute(db);
  for (const check of CHECKS) {
    const { rows } = await check.query.execute(db);
    if (rows.length > 0) violations.push({ invariant: check.name, rows: rows.slice(0, 5) });
  }
  return violations;
}
