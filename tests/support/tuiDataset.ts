import { sql, type Kysely } from 'kysely';
import type { Schema } from '../../src/db/schema.js';
import { Scenario, uniqueName } from './scenario.js';

// A merchant for the console's tests, with known numbers in the hour before `now`. Redemptions go
// through the engine; then their request records and ledger rows are moved to fixed minutes
// before `now` (the console's tests pass the same instant as its clock, or build at the real time
// for the binary). Pools and what pool health must say of them, soonest empty first:
//   FLASH     5 codes, all redeemed 90 min ago: EMPTY, empty now
//   VOUCHER  40 codes, 30 redeemed one a minute over the last 30 min: 10 left at 30/h, LOW, 20 min
//   COFFEE  200 codes, 10 × 2 every 5 minutes (5..50 min ago): 180 left at 20/h, OK, 9 h
//   GIFTCARD 100 codes, untouched: OK, never empties
// and PLAIN, a reward without a pool, for the quantity distribution.

export interface Planned {
  user: 'rich' | 'poor';
  reward: string;
  quantity: number;
  minutesAgo: number;
  ok: boolean;
  /** processing_ms recorded for it */
  ms: number;
}

export const PLAN: Planned[] = [
  { user: 'rich', reward: 'FLASH', quantity: 5, minutesAgo: 90, ok: true, ms: 12 },
  ...Array.from({ length: 30 }, (_, i): Planned => ({ user: 'rich', reward: 'VOUCHER', quantity: 1, minutesAgo: i + 1, ok: true, ms: 10 + i })),
  ...Array.from({ length: 10 }, (_, i): Planned => ({ user: 'rich', reward: 'COFFEE', quantity: 2, minutesAgo: 5 * (i + 1), ok: true, ms: 20 })),
  ...[3, 7, 12, 60, 150].map((quantity, i): Planned => ({ user: 'rich', reward: 'PLAIN', quantity, minutesAgo: 33 + i, ok: true, ms: 40 })),
  { user: 'poor', reward: 'PLAIN', quantity: 1, minutesAgo: 2, ok: false, ms: 5 }, // INSUFFICIENT_POINTS
  { user: 'poor', reward: 'PLAIN', quantity: 2, minutesAgo: 4, ok: false, ms: 5 }, // INSUFFICIENT_POINTS
  { user: 'rich', reward: 'FLASH', quantity: 1, minutesAgo: 6, ok: false, ms: 5 }, // INSUFFICIENT_CODES
];

export const EXPECTED_POOLS = [
  { reward_code: 'FLASH', status: 'EMPTY', available: 0, hours_to_empty: 0 },
  { reward_code: 'VOUCHER', status: 'LOW', available: 10, hours_to_empty: 1 / 3 },
  { reward_code: 'COFFEE', status: 'OK', available: 180, hours_to_empty: 9 },
  { reward_code: 'GIFTCARD', status: 'OK', available: 100, hours_to_empty: null },
];

/** Succeeded requests per minute over the hour before `now`, oldest first, from PLAN. */
export function expectedPerMinute(): number[] {
  const perMinute = new Array<number>(60).fill(0);
  // Minutes are (start, end]: a request exactly m minutes ago ends the minute (now − m − 1, now − m],
  // index 59 − m; the last index is the minute ending now.
  for (const p of PLAN) if (p.ok && p.minutesAgo < 60) perMinute[59 - p.minutesAgo]! += 1;
  return perMinute;
}

export async function buildTuiDataset(db: Kysely<Schema>, now: Date): Promise<Scenario> {
  const pool = (reward_code: string, codes: number) => ({
    reward_code,
    name: `${reward_code[0]}${reward_code.slice(1).toLowerCase()} pool`,
    assign_promocode: true,
    fallback_points: 10,
    codes: { generate: codes, prefix: `${reward_code}-` },
  });
  const s = await Scenario.create(db, {
    merchant: { name: uniqueName('Dash') },
    users: [{ email: 'rich@t.test', points: 10_000_000 }, { email: 'poor@t.test', points: 0 }],
    rewards: [pool('FLASH', 5), pool('VOUCHER', 40), pool('COFFEE', 200), pool('GIFTCARD', 100), { reward_code: 'PLAIN', name: 'Plain reward', fallback_points: 10 }],
  });
  const prefix = s.merchantId.slice(0, 8);
  const at = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * 60_000).toISOString();
  for (const [i, p] of PLAN.entries()) {
    const eventId = `${prefix}-dash-${String(i).padStart(3, '0')}`;
    const result = await s.redeem(`${p.user}@t.test`, p.reward, p.quantity, { eventId });
    if (result.success !== p.ok) throw new Error(`${eventId}: ${JSON.stringify(result)}`);
    await sql`update redemption_requests set created_at = ${at(p.minutesAgo)}::timestamptz, processing_ms = ${p.ms}::float8
      where event_id = ${eventId}`.execute(db);
    await sql`update reward_redemptions_ledger set created_at = ${at(p.minutesAgo)}::timestamptz where event_id = ${eventId}`.execute(db);
  }
  // VOUCHER's codes in two lots; of the 10 left, 3 expire within a day and 2 more within the week.
  await sql`update reward_promo_code set lot = case when promo_code <= 'VOUCHER-000020' then 'A' else 'B' end
    where reward_id = ${s.reward('VOUCHER')}::uuid`.execute(db);
  await sql`update reward_promo_code set expires_at = ${at(-6 * 60)}::timestamptz
    where id in (select id from reward_promo_code where reward_id = ${s.reward('VOUCHER')}::uuid and status = 'available' order by id limit 3)`.execute(db);
  await sql`update reward_promo_code set expires_at = ${at(-3 * 24 * 60)}::timestamptz
    where id in (select id from reward_promo_code where reward_id = ${s.reward('VOUCHER')}::uuid and status = 'available' and expires_at is null order by id limit 2)`.execute(db);
  return s;
}
