import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, useApi } from '../support/apiHarness.js';
import { findViolations } from '../support/invariants.js';
import { bearer, signToken } from '../support/jwt.js';
import { Scenario, uniqueName } from '../support/scenario.js';
import { pollUntil, startTestWorker, type TestWorker } from '../support/workerHarness.js';

// The five cases of the original testing guide, end to end: POST /redemptions → Kafka → worker →
// redeem_reward_with_points, checked in the ledger a member's app reads. Plus: no quantity means 1,
// and another merchant's reward is refused.

const api = useApi({ topicPrefix: 'e2e-five' });
let worker: TestWorker;
let s: Scenario;
let other: Scenario;
let token: string;

beforeAll(async () => {
  const db = api().handle.database.db;
  s = await Scenario.create(db, {
    merchant: { name: uniqueName('E2E') },
    users: [{ email: 'member@e2e.test', points: 100_000 }],
    rewards: [
      { reward_code: 'MUG', name: 'Mug', fallback_points: 10 },
      { reward_code: 'VOUCHER', name: 'Voucher', assign_promocode: true, fallback_points: 20, codes: { generate: 12, prefix: 'E-' } },
    ],
  });
  other = await Scenario.create(db, {
    merchant: { name: uniqueName('E2E other') },
    users: [{ email: 'x@other.test', points: 10 }],
    rewards: [{ reward_code: 'THEIRS', name: 'Theirs', fallback_points: 1 }],
  });
  token = await signToken({ sub: s.user('member@e2e.test'), merchant_id: s.merchantId });
  worker = await startTestWorker({ database: api().handle.database, topic: api().tap.topic, group: `e2e-${Date.now()}` });
});

afterAll(async () => {
  await worker?.handle.stop();
});

async function post(body: unknown): Promise<{ status: number; body: Record<string, any> }> {
  return call(`${api().url}/redemptions`, {
    method: 'POST',
    headers: { ...bearer(token), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** POSTs, expects 202, and waits until the worker has written the outcome. */
async function redeemThroughApi(body: unknown) {
  const answer = await post(body);
  expect(answer.status).toBe(202);
  expect(answer.body).toMatchObject({ success: true, message: 'Redemption request received and processing' });
  const eventId = answer.body.event_id as string;
  const rows = await pollUntil(async () => {
    const found = await s.ledgerRows(eventId);
    return found.length > 0 ? found : null;
  }, { what: `the ledger rows of ${eventId}`, timeoutMs: 30_000 });
  return { eventId, rows, quantity: answer.body.quantity as number };
}

describe('HTTP → Kafka → worker → ledger', () => {
  it('case 1: quantity 1 on a reward without codes: one row of qty 1', async () => {
    const { rows, quantity } = await redeemThroughApi({ reward_id: s.reward('MUG'), quantity: 1 });
    expect(quantity).toBe(1);
    expect(rows).toMatchObject([{ success: true, qty: 1, points_deducted: 10, promo_code: null }]);
  });

  it('case 2: quantity 5 on a reward without codes: one row of qty 5', async () => {
    const { rows } = await redeemThroughApi({ reward_id: s.reward('MUG'), quantity: 5 });
    expect(rows).toMatchObject([{ success: true, qty: 5, points_deducted: 50 }]);
  });

  it('case 3: quantity 5 on a pool reward: five rows of qty 1 with five distinct codes', async () => {
    const { rows } = await redeemThroughApi({ reward_id: s.reward('VOUCHER'), quantity: 5 });
    expect(rows.map((r) => r.qty)).toEqual([1, 1, 1, 1, 1]);
    expect(new Set(rows.map((r) => r.promo_code)).size).toBe(5);
    expect(rows.every((r) => r.success && r.promo_code?.startsWith('E-'))).toBe(true);
  });

  it('case 4: quantity 100 on a pool holding fewer: one failure row, INSUFFICIENT_CODES with the exact message', async () => {
    const answer = await post({ reward_id: s.reward('VOUCHER'), quantity: 100 });
    expect(answer.status).toBe(202);
    const rows = await pollUntil(async () => {
      const found = await s.ledgerRows(answer.body.event_id);
      return found.length > 0 ? found : null;
    }, { what: 'the failure row', timeoutMs: 30_000 });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      success: false,
      qty: 100,
      error_code: 'INSUFFICIENT_CODES',
      error_message: 'Only 7 code(s) available, you requested 100',
    });
  });

  it('case 5: quantity 0 is refused with 400 and the exact message, and nothing reaches the ledger', async () => {
    const before = await s.db.selectFrom('redemption_requests').select((eb) => eb.fn.countAll<number>().as('n')).where('merchant_id', '=', s.merchantId).executeTakeFirstOrThrow();
    const answer = await post({ reward_id: s.reward('MUG'), quantity: 0 });
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ success: false, error: 'quantity must be a number between 1 and 100' });
    const after = await s.db.selectFrom('redemption_requests').select((eb) => eb.fn.countAll<number>().as('n')).where('merchant_id', '=', s.merchantId).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it('no quantity means 1', async () => {
    const { rows, quantity } = await redeemThroughApi({ reward_id: s.reward('MUG') });
    expect(quantity).toBe(1);
    expect(rows).toMatchObject([{ success: true, qty: 1 }]);
  });

  it("another merchant's reward is accepted by the API (it cannot know) and refused as REWARD_NOT_FOUND", async () => {
    const { rows } = await redeemThroughApi({ reward_id: other.reward('THEIRS'), quantity: 1 });
    expect(rows).toMatchObject([{ success: false, error_code: 'REWARD_NOT_FOUND', merchant_id: s.merchantId }]);
  });

  it('GET /redemptions/<event_id> reports the outcome the worker wrote, and the invariants hold', async () => {
    const { eventId } = await redeemThroughApi({ reward_id: s.reward('VOUCHER'), quantity: 2 });
    const status = await call(`${api().url}/redemptions/${eventId}`, { headers: bearer(token) });
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ event_id: eventId, status: 'succeeded' });
    expect(status.body.redemptions).toHaveLength(2);
    expect(worker.lines().some((l) => l.startsWith(`[RewardConsumer] Processing event ${eventId} for user=`))).toBe(true);
    expect(api().logs.some((l) => l === `[API] Published event ${eventId} for user ${s.user('member@e2e.test')}, quantity: 2`)).toBe(true);
    expect(await findViolations(s.db)).toEqual([]);
  });
});
