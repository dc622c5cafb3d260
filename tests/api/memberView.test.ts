import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { MEMBER_REDEMPTION_FIELDS } from '../../src/api/memberView.js';
import { cancel, setUsed } from '../../src/engine/cancelAndUse.js';
import { call, openStream, useApi, type StreamClient } from '../support/apiHarness.js';
import { bearer, signToken } from '../support/jwt.js';
import { Scenario, uniqueName } from '../support/scenario.js';

// Members see their redemptions, not the staff's notes on them: GET /redemptions/<id> and the live
// stream answer one member-facing shape (an allow-list, docs/api.md), never whole ledger rows with
// actor, reason, cancel_reason, cancelled_by, used_by, used_note or source_id.

const api = useApi({ topicPrefix: 'api-member-view', server: { heartbeatMs: 200, feed: { refreshMs: 300 } } });
let s: Scenario;
let alice: string;
const open: StreamClient[] = [];

const STAFF_ONLY = ['actor', 'reason', 'cancel_reason', 'cancelled_by', 'used_by', 'used_note', 'source_id', 'source_type', 'mode', 'promo_code_id', 'merchant_id', 'user_id', 'id', 'code'];
const SECRETS = ['staff-actor-x', 'goodwill because the manager said so', 'clerk-y', 'handed over by Y, customer rude', 'canceller-z', 'fraud suspicion', 'kafka-topic/0/42'];

const EXPECTED_KEYS = [
  'redemption_id', 'redemption_code', 'event_id', 'reward_id', 'promo_code', 'qty', 'points_deducted', 'success', 'error_code',
  'error_message', 'status', 'redeemed_at', 'expires_at', 'fulfilment', 'fulfilment_status', 'used', 'used_at', 'cancelled',
  'cancelled_at', 'created_at',
].sort();

beforeAll(async () => {
  s = await Scenario.create(api().handle.database.db, {
    merchant: { name: uniqueName('MemberView') },
    users: [{ email: 'alice@mv.test', points: 10_000 }],
    rewards: [
      { reward_code: 'MUG', name: 'Mug', fallback_points: 100, default_promo_code: 'MUG-AT-DESK' },
      { reward_code: 'PRICEY', name: 'Pricey', fallback_points: 1_000_000 },
    ],
  });
  alice = await signToken({ sub: s.user('alice@mv.test'), merchant_id: s.merchantId });
});

afterEach(() => {
  for (const client of open.splice(0)) client.close();
});

const staffRedeem = (reward = 'MUG', quantity = 1) =>
  s.redeem('alice@mv.test', reward, quantity, { sourceType: 'kafka', sourceId: 'kafka-topic/0/42', actor: 'staff-actor-x', reason: 'goodwill because the manager said so' });

function expectMemberShape(row: Record<string, unknown>): void {
  expect(Object.keys(row).sort()).toEqual(EXPECTED_KEYS);
  for (const column of STAFF_ONLY) expect(row, column).not.toHaveProperty(column);
  for (const secret of SECRETS) expect(JSON.stringify(row)).not.toContain(secret);
}

describe('the member-facing redemption shape', () => {
  it('is one allow-list, the documented fields', () => {
    expect([...MEMBER_REDEMPTION_FIELDS].sort()).toEqual(EXPECTED_KEYS);
  });

  it('GET /redemptions/<id>: used and cancelled rows carry flags and times, never who or why', async () => {
    const used = await staffRedeem('MUG', 2);
    const usedRow = used.redemptions[0]!;
    expect((await setUsed(api().handle.database.db, { merchantId: s.merchantId, by: 'redemption', value: usedRow.redemption_id, used: true, actor: 'clerk-y', note: 'handed over by Y, customer rude' })).success).toBe(true);
    const cancelled = await staffRedeem();
    expect((await cancel(api().handle.database.db, { merchantId: s.merchantId, by: 'event', value: cancelled.event_id, actor: 'canceller-z', reason: 'fraud suspicion' })).success).toBe(true);

    const answer = await call(`${api().url}/redemptions/${used.event_id}`, { headers: bearer(alice) });
    expect(answer.status).toBe(200);
    expect(answer.body.redemptions).toHaveLength(1);
    const row = answer.body.redemptions[0];
    expectMemberShape(row);
    expect(row).toMatchObject({
      redemption_id: usedRow.redemption_id,
      redemption_code: usedRow.redemption_code,
      event_id: used.event_id,
      reward_id: s.reward('MUG'),
      promo_code: 'MUG-AT-DESK',
      qty: 2,
      points_deducted: 200,
      success: true,
      status: 'used',
      used: true,
      used_at: expect.any(String),
      cancelled: false,
      cancelled_at: null,
    });

    const gone = await call(`${api().url}/redemptions/${cancelled.event_id}`, { headers: bearer(alice) });
    expectMemberShape(gone.body.redemptions[0]);
    expect(gone.body.redemptions[0]).toMatchObject({ status: 'cancelled', cancelled: true, cancelled_at: expect.any(String), used: false });

    const refused = await staffRedeem('PRICEY');
    const failed = await call(`${api().url}/redemptions/${refused.event_id}`, { headers: bearer(alice) });
    expectMemberShape(failed.body.redemptions[0]);
    expect(failed.body.redemptions[0]).toMatchObject({ status: 'refused', success: false, error_code: 'INSUFFICIENT_POINTS' });
  });

  it('the live stream sends the same shape, with the row id as the SSE id', async () => {
    const client = await openStream(`${api().url}/redemptions/stream`, bearer(alice));
    open.push(client);
    expect(client.status).toBe(200);
    await vi.waitFor(() => expect(client.comments).toContain('listening'), { timeout: 5_000 });
    const written = await staffRedeem();
    await vi.waitFor(() => expect(client.data).toHaveLength(1), { timeout: 5_000 });
    expectMemberShape(client.data[0]!);
    expect(client.data[0]).toMatchObject({
      redemption_id: written.redemptions[0]!.redemption_id,
      redemption_code: written.redemptions[0]!.redemption_code,
      event_id: written.event_id,
      status: 'active',
      used: false,
      cancelled: false,
    });
  });
});
