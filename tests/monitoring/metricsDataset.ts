import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Schema } from '../../src/db/schema.js';
import { Scenario, uniqueName } from '../support/scenario.js';

// Redemption metrics with known numbers. 21 requests go through the engine (so results, patterns
// and points are the engine's own), then each request record is moved to a fixed time in the
// window ending at NOW, with a fixed processing time and, for five, an event timestamp.
//
//   index i = 0..20, created_at = NOW - (i + 1) minutes, processing_ms = 30 * i (0..600)
//   i = 1..5: event_timestamp = created_at - 100 * i ms, so end to end = 130 * i ms
//   plus 3 requests a day and more before NOW, outside a 24h window.

export const NOW = new Date('2025-06-01T12:00:00Z');
export const SINCE_24H = new Date(NOW.getTime() - 24 * 3_600_000);

type Planned = { user: string; reward: string; quantity: number; ok: boolean };
const A = (quantity: number): Planned => ({ user: 'rich@t.test', reward: 'PLAIN', quantity, ok: true });
const B = (quantity: number): Planned => ({ user: 'rich@t.test', reward: 'POOL', quantity, ok: true });

/** The window's requests, in index order. */
export const PLAN: Planned[] = [
  A(1), A(1), A(1), A(1), A(1), A(1), A(3), A(7), A(20), A(60), A(150), // pattern A: 11, 246 units x 10 points
  B(1), B(1), B(1), B(2), B(5), // pattern B: 5, 10 units x 5 points
  { user: 'poor@t.test', reward: 'PLAIN', quantity: 1, ok: false }, // INSUFFICIENT_POINTS
  { user: 'poor@t.test', reward: 'PLAIN', quantity: 2, ok: false }, // INSUFFICIENT_POINTS
  { user: 'rich@t.test', reward: 'SMALL', quantity: 3, ok: false }, // INSUFFICIENT_CODES (1 code)
  { user: 'rich@t.test', reward: 'PLAIN', quantity: 0, ok: false }, // INVALID_QUANTITY: no quantity to count
  { user: 'rich@t.test', reward: 'MISSING', quantity: 1, ok: false }, // REWARD_NOT_FOUND
];

export interface MetricsDataset {
  scenario: Scenario;
  /** Event ids in PLAN order. */
  eventIds: string[];
}

export async function buildMetricsDataset(db: Kysely<Schema>): Promise<MetricsDataset> {
  const s = await Scenario.create(db, {
    merchant: { name: uniqueName('Metrics') },
    users: [{ email: 'rich@t.test', points: 1_000_000 }, { email: 'poor@t.test', points: 0 }],
    rewards: [
      { reward_code: 'PLAIN', name: 'Plain', fallback_points: 10 },
      { reward_code: 'POOL', name: 'Pool', fallback_points: 5, assign_promocode: true, codes: { generate: 50 } },
      { reward_code: 'SMALL', name: 'Small pool', fallback_points: 5, assign_promocode: true, codes: { generate: 1 } },
    ],
  });
  const prefix = s.merchantId.slice(0, 8);
  const missing = randomUUID();
  const eventIds: string[] = [];
  const send = async (p: Planned, eventId: string) => {
    const rewardId = p.reward === 'MISSING' ? missing : s.reward(p.reward);
    const result = await s.redeem(p.user, p.reward === 'MISSING' ? 'PLAIN' : p.reward, p.quantity, { eventId, rewardId });
    if (result.success !== p.ok) throw new Error(`${eventId}: ${JSON.stringify(result)}`);
  };
  for (const [i, p] of PLAN.entries()) {
    const eventId = `${prefix}-m-${i}`;
    eventIds.push(eventId);
    await send(p, eventId);
    await sql`update redemption_requests set
        created_at = ${NOW.toISOString()}::timestamptz - make_interval(mins => ${i + 1}::int),
        processing_ms = ${30 * i}::float8,
        event_timestamp = case when ${i}::int between 1 and 5
          then ${NOW.toISOString()}::timestamptz - make_interval(mins => ${i + 1}::int) - make_interval(secs => ${i / 10}::float8) end
      where event_id = ${eventId}`.execute(db);
  }
  // Outside the 24h window: a day and a minute, two days, a week before NOW.
  for (const [j, minutes] of [24 * 60 + 1, 2 * 24 * 60, 7 * 24 * 60].entries()) {
    const eventId = `${prefix}-old-${j}`;
    await send(A(4), eventId);
    await sql`update redemption_requests set created_at = ${NOW.toISOString()}::timestamptz - make_interval(mins => ${minutes}::int),
        processing_ms = 9000 where event_id = ${eventId}`.execute(db);
  }
  return { scenario: s, eventIds };
}
