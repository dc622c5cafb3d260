import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { redeem } from '../../src/engine/redeem.js';
import { call, useApi, type Answer } from '../support/apiHarness.js';
import { findViolations } from '../support/invariants.js';
import { bearer, signToken } from '../support/jwt.js';
import { Scenario, uniqueName } from '../support/scenario.js';

// GET /redemptions/<event_id>: pending until the worker wrote the request record, then succeeded
// or failed with the rows; another member's event reads exactly like an unknown one.

const api = useApi({ topicPrefix: 'api-status', consume: true });
let s: Scenario;
let alice: string;
let bob: string;

beforeAll(async () => {
  s = await Scenario.create(api().handle.database.db, {
    merchant: { name: uniqueName('Status') },
    users: [
      { email: 'alice@s.test', points: 1_000 },
      { email: 'bob@s.test', points: 1_000 },
    ],
    rewards: [
      { reward_code: 'MUG', name: 'Mug', fallback_points: 100, default_promo_code: 'MUG-AT-DESK' },
      { reward_code: 'PRICEY', name: 'Pricey', fallback_points: 5_000 },
      { reward_code: 'VOUCHER', name: 'Voucher', fallback_points: 10, assign_promocode: true, codes: ['V-1', 'V-2', 'V-3'] },
    ],
  });
  alice = await signToken({ sub: s.user('alice@s.test'), merchant_id: s.merchantId });
  bob = await signToken({ sub: s.user('bob@s.test'), merchant_id: s.merchantId });
});

const status = (eventId: string, token: string): Promise<Answer> =>
  call(`${api().url}/redemptions/${encodeURIComponent(eventId)}`, { headers: bearer(token) });

async function postAs(token: string, reward: string, quantity = 1): Promise<string> {
  const answer = await call(`${api().url}/redemptions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(token) },
    body: JSON.stringify({ reward_id: s.reward(reward), quantity }),
  });
  expect(answer.status).toBe(202);
  return answer.body.event_id as string;
}

/** What the worker does with a published event: the engine, with the event's own fields. */
async function work(eventId: string) {
  const { value } = await api().tap.message(eventId);
  return redeem(api().handle.database.db, {
    eventId: value.event_id as string,
    merchantId: value.merchant_id as string,
    userId: value.user_id as string,
    rewardId: value.reward_id as string,
    quantity: value.quantity as number,
    sourceType: 'kafka',
    eventTimestamp: value.timestamp as string,
  });
}

describe('GET /redemptions/<event_id>', () => {
  it('is pending before the worker processed the event, succeeded with the ledger rows after', async () => {
    const eventId = await postAs(alice, 'VOUCHER', 2);
    const before = await status(eventId, alice);
    expect(before.status).toBe(200);
    expect(before.body).toEqual({ success: true, event_id: eventId, status: 'pending', error_code: null, message: 'Not processed yet', redemptions: [] });

    const result = await work(eventId);
    expect(result.success).toBe(true);
    const after = await status(eventId, alice);
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ success: true, event_id: eventId, status: 'succeeded', error_code: null, message: result.message });
    expect(after.body.redemptions).toHaveLength(2);
    for (const row of after.body.redemptions) {
      expect(row).toMatchObject({
        event_id: eventId,
        reward_id: s.reward('VOUCHER'),
        qty: 1,
        points_deducted: 10,
        success: true,
        error_code: null,
        status: 'active',
        redemption_code: expect.stringMatching(/^RWD/),
        promo_code: expect.stringMatching(/^V-/),
      });
      expect(row).toHaveProperty('redemption_id');
      expect(row).toHaveProperty('created_at');
      for (const staff of ['user_id', 'merchant_id', 'source_type', 'source_id', 'actor', 'reason']) expect(row).not.toHaveProperty(staff);
    }
    expect(after.body.redemptions.map((r: { redemption_code: string }) => r.redemption_code).sort()).toEqual(result.redemptions.map((r) => r.redemption_code).sort());
  });

  it('a refused request reads failed, with the error code, the message and its failure row', async () => {
    const eventId = await postAs(alice, 'PRICEY');
    const result = await work(eventId);
    expect(result.error_code).toBe('INSUFFICIENT_POINTS');
    const answer = await status(eventId, alice);
    expect(answer.body).toMatchObject({
      success: true,
      status: 'failed',
      error_code: 'INSUFFICIENT_POINTS',
      message: 'Insufficient points. Required: 5000, Available: 980', // 1,000 less the two vouchers above
    });
    expect(answer.body.redemptions).toEqual([
      expect.objectContaining({ success: false, status: 'refused', error_code: 'INSUFFICIENT_POINTS', points_deducted: 0, promo_code: null, qty: 1 }),
    ]);
  });

  it("another member's event, or another merchant's, answers exactly like an unknown id", async () => {
    const eventId = await postAs(alice, 'MUG');
    await work(eventId);
    expect((await status(eventId, alice)).body.status).toBe('succeeded');

    const unknown = randomUUID();
    const expected = (id: string) => ({ status: 200, body: { success: true, event_id: id, status: 'pending', error_code: null, message: 'Not processed yet', redemptions: [] } });
    const strip = ({ status: code, body }: Answer) => ({ status: code, body });
    expect(strip(await status(eventId, bob))).toEqual(expected(eventId));
    expect(strip(await status(unknown, bob))).toEqual(expected(unknown));
    // a token of another merchant carrying alice's own user id
    const otherMerchant = await signToken({ sub: s.user('alice@s.test'), merchant_id: randomUUID() });
    expect(strip(await status(eventId, otherMerchant))).toEqual(expected(eventId));
  });

  it('an id longer than any event id is 400; a deeper path is 404; another method 405', async () => {
    expect((await status('x'.repeat(201), alice)).status).toBe(400);
    expect((await call(`${api().url}/redemptions/%E0%A4%A`, { headers: bearer(alice) })).status).toBe(400);
    const deeper = await call(`${api().url}/redemptions/a/b`, { headers: bearer(alice) });
    expect(deeper.status).toBe(404);
    expect(deeper.body).toEqual({ success: false, error: expect.any(String) });
    const wrong = await call(`${api().url}/redemptions/${randomUUID()}`, { method: 'DELETE', headers: bearer(alice) });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
    expect(wrong.body.success).toBe(false);
  });

  it('leaves the data consistent (domain invariants 1-5)', async () => {
    expect(await findViolations(api().handle.database.db)).toEqual([]);
  });
});
