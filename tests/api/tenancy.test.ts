import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { redeem } from '../../src/engine/redeem.js';
import type { RedeemResult } from '../../src/engine/types.js';
import { call, openStream, useApi, type StreamClient } from '../support/apiHarness.js';
import { findViolations } from '../support/invariants.js';
import { bearer, signToken } from '../support/jwt.js';
import { Scenario, uniqueName } from '../support/scenario.js';

// Two merchants in one database. A token of merchant B reaches only merchant B: the API cannot
// know whose a reward id is (202), but the engine refuses it as not found, and no read or stream
// ever shows merchant A's rows to B.

const api = useApi({ topicPrefix: 'api-tenancy', consume: true });
let a: Scenario;
let b: Scenario;
let aliceOfA: string;
let bobOfB: string;
/** Signed correctly, but pairs merchant B with a member of merchant A. */
let aliceUnderB: string;
const streams: StreamClient[] = [];

beforeAll(async () => {
  const db = api().handle.database.db;
  a = await Scenario.create(db, {
    merchant: { name: uniqueName('Tenant A') },
    users: [{ email: 'alice@a.test', points: 1_000 }],
    rewards: [{ reward_code: 'MUG', name: 'Mug of A', fallback_points: 100 }],
  });
  b = await Scenario.create(db, {
    merchant: { name: uniqueName('Tenant B') },
    users: [{ email: 'bob@b.test', points: 1_000 }],
    rewards: [{ reward_code: 'MUG', name: 'Mug of B', fallback_points: 100 }],
  });
  aliceOfA = await signToken({ sub: a.user('alice@a.test'), merchant_id: a.merchantId });
  bobOfB = await signToken({ sub: b.user('bob@b.test'), merchant_id: b.merchantId });
  aliceUnderB = await signToken({ sub: a.user('alice@a.test'), merchant_id: b.merchantId });
});
afterEach(() => {
  for (const s of streams.splice(0)) s.close();
});

async function post(token: string, rewardId: string): Promise<string> {
  const answer = await call(`${api().url}/redemptions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(token) },
    body: JSON.stringify({ reward_id: rewardId }),
  });
  expect(answer.status).toBe(202);
  return answer.body.event_id as string;
}

/** The worker's part, with the published event's own fields. */
async function work(eventId: string): Promise<RedeemResult> {
  const { value } = await api().tap.message(eventId);
  return redeem(api().handle.database.db, {
    eventId,
    merchantId: value.merchant_id as string,
    userId: value.user_id as string,
    rewardId: value.reward_id as string,
    quantity: value.quantity as number,
    sourceType: 'kafka',
  });
}

const status = (eventId: string, token: string) => call(`${api().url}/redemptions/${eventId}`, { headers: bearer(token) });

describe('tenancy through the API', () => {
  it("merchant B posting merchant A's reward: 202, then the engine refuses REWARD_NOT_FOUND, and A's balance is untouched", async () => {
    const eventId = await post(bobOfB, a.reward('MUG'));
    const { value } = await api().tap.message(eventId);
    expect(value).toMatchObject({ merchant_id: b.merchantId, user_id: b.user('bob@b.test'), reward_id: a.reward('MUG') });
    const result = await work(eventId);
    expect(result).toMatchObject({ success: false, error_code: 'REWARD_NOT_FOUND' });
    const answer = await status(eventId, bobOfB);
    expect(answer.body).toMatchObject({ status: 'failed', error_code: 'REWARD_NOT_FOUND' });
    // the row is B's (it was found under B's token); the member shape does not repeat the merchant
    expect(answer.body.redemptions).toEqual([expect.objectContaining({ event_id: eventId, success: false, status: 'refused', error_code: 'REWARD_NOT_FOUND' })]);
    expect(await b.balance('bob@b.test')).toBe(1_000);
  });

  it("a token pairing merchant B with A's member: the engine refuses USER_NOT_FOUND", async () => {
    const eventId = await post(aliceUnderB, b.reward('MUG'));
    expect(await work(eventId)).toMatchObject({ success: false, error_code: 'USER_NOT_FOUND' });
    expect(await a.balance('alice@a.test')).toBe(1_000);
  });

  it("GET with merchant B's tokens never shows merchant A's rows", async () => {
    const eventId = await post(aliceOfA, a.reward('MUG'));
    expect((await work(eventId)).success).toBe(true);
    const own = await status(eventId, aliceOfA);
    expect(own.body).toMatchObject({ status: 'succeeded' });
    expect(own.body.redemptions).toHaveLength(1);
    for (const token of [bobOfB, aliceUnderB]) {
      const answer = await status(eventId, token);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ success: true, event_id: eventId, status: 'pending', error_code: null, message: 'Not processed yet', redemptions: [] });
    }
  });

  it("the stream of a merchant B token never carries merchant A's rows, even for A's member id", async () => {
    const crossed = await openStream(`${api().url}/redemptions/stream`, bearer(aliceUnderB));
    const own = await openStream(`${api().url}/redemptions/stream`, bearer(aliceOfA));
    streams.push(crossed, own);
    await vi.waitFor(() => expect([crossed.comments, own.comments]).toEqual([expect.arrayContaining(['listening']), expect.arrayContaining(['listening'])]));
    const written = await a.redeem('alice@a.test', 'MUG');
    await vi.waitFor(() => expect(own.data.map((r) => r.event_id)).toContain(written.event_id), { timeout: 5_000 });
    expect(crossed.data).toEqual([]);
  });

  it('leaves the data consistent (domain invariants 1-5)', async () => {
    expect(await findViolations(api().handle.database.db)).toEqual([]);
  });
});
