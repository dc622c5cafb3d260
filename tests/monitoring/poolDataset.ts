import { sql, type Kysely } from 'kysely';
import type { Schema } from '../../src/db/schema.js';
import { cancel } from '../../src/engine/cancelAndUse.js';
import { Scenario, uniqueName } from '../support/scenario.js';

// Pool health with known numbers. Redemptions go through the engine; then their ledger rows and
// request records are moved to fixed times relative to NOW, which the queries take as `now`.
// Every figure below is derived by hand in docs/monitoring.md's terms:
//   per hour = max(last hour, last day / 24); hours to empty = available / per hour.

export const NOW = new Date('2025-06-01T12:00:00Z');
const at = (minutesAgo: number): string => new Date(NOW.getTime() - minutesAgo * 60_000).toISOString();

/** What pool health must report for this dataset, in its sort order, with the default threshold. */
export const EXPECTED = [
  // all 5 redeemed two days ago: no recent pace, already empty.
  { reward_code: 'DRY', total: 5, available: 0, redeemed: 5, voided: 0, expired: 0, redeemed_last_hour: 0, redeemed_last_day: 0, depletion_per_hour: 0, hours_to_empty: 0, status: 'EMPTY', insufficient_codes_last_day: 1 },
  // a pool reward with no codes at all: empty; ties with DRY on time and available, so by code.
  { reward_code: 'NOCODES', total: 0, available: 0, redeemed: 0, voided: 0, expired: 0, redeemed_last_hour: 0, redeemed_last_day: 0, depletion_per_hour: 0, hours_to_empty: 0, status: 'EMPTY', insufficient_codes_last_day: 0 },
  // 10 of 20 in the last 20 minutes: 10 per hour, 10 left, 1 hour; two shortages today, one older.
  { reward_code: 'LOWPOOL', total: 20, available: 10, redeemed: 10, voided: 0, expired: 0, redeemed_last_hour: 10, redeemed_last_day: 10, depletion_per_hour: 10, hours_to_empty: 1, status: 'LOW', insufficient_codes_last_day: 2 },
  // 100 codes: 30 live (12 in the last hour, 12 six hours ago, 6 thirty hours ago), one cancelled
  // with void, one cancelled with release (back in the pool), 9 expired: 60 claimable at 12/h.
  { reward_code: 'HOT', total: 100, available: 60, redeemed: 30, voided: 1, expired: 9, redeemed_last_hour: 12, redeemed_last_day: 24, depletion_per_hour: 12, hours_to_empty: 5, status: 'OK', insufficient_codes_last_day: 0 },
  // 200 codes: 46 twelve hours ago and 2 exactly one hour ago (outside the last hour), 1 exactly a
  // day ago (outside the day): last day 48, so 2 per hour; 151 left, 75.5 hours.
  { reward_code: 'STEADY', total: 200, available: 151, redeemed: 49, voided: 0, expired: 0, redeemed_last_hour: 0, redeemed_last_day: 48, depletion_per_hour: 2, hours_to_empty: 75.5, status: 'OK', insufficient_codes_last_day: 0 },
  // untouched: never empties at a rate of 0.
  { reward_code: 'IDLE', total: 80, available: 80, redeemed: 0, voided: 0, expired: 0, redeemed_last_hour: 0, redeemed_last_day: 0, depletion_per_hour: 0, hours_to_empty: null, status: 'OK', insufficient_codes_last_day: 0 },
] as const;

const pool = (reward_code: string, codes: number, active = true) => ({
  reward_code,
  name: `Pool ${reward_code}`,
  assign_promocode: true,
  fallback_points: 10,
  active,
  codes: { generate: codes, prefix: `${reward_code}-` },
});

export async function buildPoolDataset(db: Kysely<Schema>, options: { idleOnly?: boolean } = {}): Promise<Scenario> {
  const s = await Scenario.create(db, {
    merchant: { name: uniqueName('Pool Health') },
    users: [{ email: 'a@t.test', points: 1_000_000 }, { email: 'b@t.test', points: 1_000_000 }],
    rewards: options.idleOnly
      ? [pool('IDLE', 80)]
      : [
          pool('HOT', 100), pool('STEADY', 200), pool('LOWPOOL', 20), pool('DRY', 5), pool('IDLE', 80), pool('NOCODES', 0),
          // Neither appears: an inactive pool, and a reward without a pool (its rows are pattern A).
          pool('RETIRED', 3),
          { reward_code: 'MUG', name: 'Mug', fallback_points: 10 },
        ],
  });
  if (options.idleOnly) return s;

  // Event ids are unique across merchants: prefix them with this one's.
  const ev = (name: string) => `${s.merchantId.slice(0, 8)}-${name}`;
  const redeemAt = async (reward: string, quantity: number, name: string, minutesAgo: number) => {
    const eventId = ev(name);
    const result = await s.redeem('a@t.test', reward, quantity, { eventId });
    if (result.success === name.startsWith('short')) throw new Error(`${name}: ${JSON.stringify(result)}`);
    await sql`update reward_redemptions_ledger set created_at = ${at(minutesAgo)}::timestamptz where event_id = ${eventId}`.execute(db);
    await sql`update redemption_requests set created_at = ${at(minutesAgo)}::timestamptz where event_id = ${eventId}`.execute(db);
  };

  // HOT: 9 newest codes expired before anything is claimed (the claim skips them).
  await sql`update reward_promo_code set expires_at = ${at(24 * 60)}::timestamptz
    where id in (select id from reward_promo_code where reward_id = ${s.reward('HOT')}::uuid order by id desc limit 9)`.execute(db);
  await redeemAt('HOT', 12, 'hot-1', 30);
  await redeemAt('HOT', 12, 'hot-2', 6 * 60);
  await redeemAt('HOT', 6, 'hot-3', 30 * 60);
  await redeemAt('HOT', 1, 'hot-void', 10);
  await redeemAt('HOT', 1, 'hot-release', 10);
  for (const [event, codes] of [['hot-void', 'void'], ['hot-release', 'release']] as const) {
    const c = await cancel(db, { merchantId: s.merchantId, by: 'event', value: ev(event), actor: 'tester', reason: 'dataset', codes });
    if (!c.success) throw new Error(JSON.stringify(c));
  }

  await redeemAt('STEADY', 46, 'steady-1', 12 * 60);
  await redeemAt('STEADY', 2, 'steady-edge-hour', 60);
  await redeemAt('STEADY', 1, 'steady-edge-day', 24 * 60);

  await redeemAt('LOWPOOL', 10, 'low-1', 20);
  await redeemAt('LOWPOOL', 15, 'short-low-1', 2 * 60);
  await redeemAt('LOWPOOL', 11, 'short-low-2', 3 * 60);
  await redeemAt('LOWPOOL', 12, 'short-low-old', 2 * 24 * 60);

  await redeemAt('DRY', 5, 'dry-1', 2 * 24 * 60);
  await redeemAt('DRY', 1, 'short-dry', 5);

  await redeemAt('RETIRED', 1, 'retired-1', 5);
  await redeemAt('MUG', 4, 'mug-1', 5);
  await db.updateTable('reward_master').set({ active: false }).where('id', '=', s.reward('RETIRED')).execute();
  return s;
}
