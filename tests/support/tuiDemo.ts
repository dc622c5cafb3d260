import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Schema } from '../../src/db/schema.js';
import { Scenario, uniqueName } from './scenario.js';

// A busier merchant for the screenshot (docs/dash.png): a day of redemptions through the engine,
// moved to their times, with a campaign surge in the last quarter hour. Deterministic: the same
// numbers every time, relative to `now`.

const pool = (reward_code: string, name: string, codes: number) => ({ reward_code, name, assign_promocode: true, fallback_points: 20, codes: { generate: codes, prefix: `${reward_code}-` } });

interface Request {
  reward: string;
  quantity: number;
  minutesAgo: number;
  user?: string;
}

/** Requests per minute in the last hour: a slow wave, and the campaign from 14 minutes ago. */
function perMinute(m: number): number {
  return 3 + Math.round(2 * Math.sin(m / 7)) + (m < 14 ? 5 + (m % 3) : 0);
}

function plan(): Request[] {
  const requests: Request[] = [];
  // The day before the last hour: bulk history, so rates and 12-hour sparklines have a shape.
  for (let h = 2; h <= 23; h++) {
    requests.push({ reward: 'SPRING-10', quantity: h <= 12 ? 10 : 2, minutesAgo: h * 60 + 5 });
    requests.push({ reward: 'LATTE-FREE', quantity: 8 + (h % 4), minutesAgo: h * 60 + 20 });
    if (h % 3 === 0) requests.push({ reward: 'BOOK-VOUCHER', quantity: 4, minutesAgo: h * 60 + 35 });
    if (h % 5 === 0) requests.push({ reward: 'SPA-DAY', quantity: 1, minutesAgo: h * 60 + 40 });
  }
  const rotation = ['CINEMA-2FOR1', 'LATTE-FREE', 'MUG', 'CINEMA-2FOR1', 'TOTE', 'BOOK-VOUCHER', 'CINEMA-2FOR1', 'MUG'];
  let i = 0;
  for (let m = 59; m >= 0; m--) {
    for (let k = 0; k < perMinute(m); k++, i++) {
      const reward = rotation[i % rotation.length]!;
      const quantity = reward === 'TOTE' ? [1, 5, 12, 60, 150][i % 5]! : reward === 'MUG' ? 1 + (i % 3) : reward === 'CINEMA-2FOR1' ? 1 + (i % 2) : 1;
      requests.push({ reward, quantity, minutesAgo: m + (k + 1) / (perMinute(m) + 1) });
    }
  }
  // Refusals in the hour: members short of points, the empty pool, a reward that is gone, a zero.
  for (const m of [3, 9, 17, 26, 41, 52]) requests.push({ reward: 'MUG', quantity: 2, minutesAgo: m + 0.5, user: 'poor' });
  for (const m of [1, 4, 6, 11]) requests.push({ reward: 'SPRING-10', quantity: 1, minutesAgo: m + 0.3 });
  requests.push({ reward: 'GONE', quantity: 1, minutesAgo: 22.4 });
  requests.push({ reward: 'TOTE', quantity: 0, minutesAgo: 35.2 });
  return requests.sort((a, b) => b.minutesAgo - a.minutesAgo);
}

export async function buildTuiDemo(db: Kysely<Schema>, now: Date): Promise<Scenario> {
  const s = await Scenario.create(db, {
    merchant: { name: uniqueName('Northwind Coffee') },
    users: [
      ...Array.from({ length: 12 }, (_, i) => ({ email: `member${i + 1}@northwind.test`, points: 5_000_000 })),
      { email: 'poor@northwind.test', points: 10 },
    ],
    rewards: [
      pool('SPRING-10', 'Spring 10% voucher', 132),
      pool('LATTE-FREE', 'Free latte', 280),
      pool('CINEMA-2FOR1', 'Cinema two for one', 900),
      pool('BOOK-VOUCHER', 'Bookshop voucher', 400),
      pool('SPA-DAY', 'Spa day', 60),
      pool('GIFT-25', 'Gift card 25', 200),
      { reward_code: 'MUG', name: 'Branded mug', fallback_points: 15 },
      { reward_code: 'TOTE', name: 'Tote bag', fallback_points: 5 },
    ],
  });
  const prefix = s.merchantId.slice(0, 8);
  const at = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * 60_000).toISOString();
  for (const [i, r] of plan().entries()) {
    const eventId = `${prefix}-demo-${String(i).padStart(4, '0')}`;
    const user = r.user === 'poor' ? 'poor@northwind.test' : `member${(i % 12) + 1}@northwind.test`;
    const extra = r.reward === 'GONE' ? { eventId, rewardId: randomUUID() } : { eventId };
    await s.redeem(user, r.reward === 'GONE' ? 'MUG' : r.reward, r.quantity, extra);
    // Processing times: mostly a few milliseconds, a slower one now and then.
    const ms = 3 + ((i * 7919) % 17) + (i % 23 === 0 ? 140 : 0) + (i % 97 === 0 ? 260 : 0);
    await sql`update redemption_requests set created_at = ${at(r.minutesAgo)}::timestamptz, processing_ms = ${ms}::float8,
        event_timestamp = ${at(r.minutesAgo)}::timestamptz - make_interval(secs => ${0.02 + (i % 5) / 100}::float8)
      where event_id = ${eventId}`.execute(db);
    await sql`update reward_redemptions_ledger set created_at = ${at(r.minutesAgo)}::timestamptz where event_id = ${eventId}`.execute(db);
  }
  // LATTE-FREE's codes came in two lots; a few of those left expire soon.
  await sql`update reward_promo_code set lot = case when promo_code <= 'LATTE-FREE-000200' then 'MAR-A' else 'MAR-B' end
    where reward_id = ${s.reward('LATTE-FREE')}::uuid`.execute(db);
  await sql`update reward_promo_code set expires_at = ${at(-9 * 60)}::timestamptz
    where id in (select id from reward_promo_code where reward_id = ${s.reward('LATTE-FREE')}::uuid and status = 'available' order by id desc limit 6)`.execute(db);
  return s;
}
