import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, useApi, type Answer } from '../support/apiHarness.js';
import { bearer, signToken } from '../support/jwt.js';

// POST /redemptions against the real broker: every refusal of docs/domain.md with its exact
// message and nothing published, then the accepted path with the event as the worker reads it.

const api = useApi({ topicPrefix: 'api-post', consume: true });
const userId = randomUUID();
const merchantId = randomUUID();
const rewardId = randomUUID();
let token: string;

beforeAll(async () => {
  token = await signToken({ sub: userId, merchant_id: merchantId });
});

function post(body: string | object, headers: Record<string, string> = {}): Promise<Answer> {
  return call(`${api().url}/redemptions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(token), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Sends, then checks the topic's high watermark did not move and the answer is not a 500. */
async function refused(send: () => Promise<Answer>): Promise<Answer> {
  const before = await api().tap.highWatermark();
  const answer = await send();
  expect(answer.status).toBeGreaterThanOrEqual(400);
  expect(answer.status).toBeLessThan(500);
  expect(answer.body.success).toBe(false);
  expect(await api().tap.highWatermark(), 'nothing published').toBe(before);
  return answer;
}

describe('POST /redemptions refuses bad input with 4xx and publishes nothing', () => {
  it.each([
    ['no reward_id', {}],
    ['a numeric reward_id', { reward_id: 42 }],
    ['a null reward_id', { reward_id: null }],
    ['an empty reward_id', { reward_id: '' }],
    ['an array reward_id', { reward_id: [rewardId] }],
  ])('%s: 400 "reward_id is required"', async (_, body) => {
    const answer = await refused(() => post(body));
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ success: false, error: 'reward_id is required' });
  });

  it('a reward_id that is not a uuid: 400 naming reward_id', async () => {
    const answer = await refused(() => post({ reward_id: 'COFFEE-MUG' }));
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ success: false, error: 'reward_id must be a uuid' });
  });

  // Ids shaped like a uuid that the worker's event schema refuses (one isUuid, src/shared/uuid.ts):
  // accepted here they would be published, answered 202, then dead-lettered as INVALID_EVENT.
  it.each([
    ['a non-RFC variant', 'b0f3c2a1-5d6e-4f70-ca9b-0c1d2e3f4a5b'],
    ['the NCS variant', '11111111-1111-1111-1111-111111111111'],
    ['version 0', 'b0f3c2a1-5d6e-0f70-8a9b-0c1d2e3f4a5b'],
    ['the nil uuid', '00000000-0000-0000-0000-000000000000'],
  ])('a reward_id the worker would refuse (%s): 400 naming reward_id', async (_, id) => {
    const answer = await refused(() => post({ reward_id: id }));
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ success: false, error: 'reward_id must be a uuid' });
  });

  it.each([
    ['sub', { sub: '11111111-1111-1111-1111-111111111111', merchant_id: merchantId }, 'token sub must be the member id (a uuid)'],
    ['merchant_id', { sub: userId, merchant_id: 'b0f3c2a1-5d6e-4f70-ca9b-0c1d2e3f4a5b' }, 'token claim merchant_id must be a uuid'],
  ])('a token whose %s the worker would refuse: 401, nothing published', async (_, claims, error) => {
    const token = await signToken(claims);
    const answer = await refused(() => post({ reward_id: rewardId }, bearer(token)));
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ success: false, error });
  });

  it.each([0, -1, 101, 2.5, '5', null, true, [2], { n: 2 }, 1e21])(
    'quantity %j: 400 "quantity must be a number between 1 and 100"',
    async (quantity) => {
      const answer = await refused(() => post({ reward_id: rewardId, quantity }));
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({ success: false, error: 'quantity must be a number between 1 and 100' });
    },
  );

  it('a content type other than application/json: 415', async () => {
    const answer = await refused(() => post(JSON.stringify({ reward_id: rewardId }), { 'content-type': 'text/plain' }));
    expect(answer.status).toBe(415);
    expect(answer.body.error).toMatch(/application\/json/);
  });

  it('no content type at all: 415', async () => {
    const answer = await refused(() =>
      call(`${api().url}/redemptions`, { method: 'POST', headers: bearer(token), body: new Blob([JSON.stringify({ reward_id: rewardId })]) }),
    );
    expect(answer.status).toBe(415);
  });

  it.each([
    ['bad JSON', '{"reward_id": '],
    ['an empty body', ''],
  ])('%s: 400 "body is not valid JSON"', async (_, body) => {
    const answer = await refused(() => post(body));
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ success: false, error: 'body is not valid JSON' });
  });

  it.each([
    ['an array', `[{"reward_id":"${rewardId}"}]`],
    ['a string', '"hello"'],
    ['null', 'null'],
    ['a number', '7'],
  ])('a JSON body that is %s: 400 "body must be a JSON object"', async (_, body) => {
    const answer = await refused(() => post(body));
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ success: false, error: 'body must be a JSON object' });
  });

  it('a body over 16 KiB: 413', async () => {
    const answer = await refused(() => post({ reward_id: rewardId, padding: 'x'.repeat(17 * 1024) }));
    expect(answer.status).toBe(413);
    expect(answer.body.error).toMatch(/larger than 16384 bytes/);
  });

  it('a declared length of 10 GB: 413 at once, before any of the body is sent', async () => {
    const before = await api().tap.highWatermark();
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${api().url}/redemptions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(10 * 1024 ** 3), ...bearer(token) },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(status).toBe(413);
    expect(await api().tap.highWatermark()).toBe(before);
  });

  it('a chunked body that never ends: 413 once it passes the limit, the rest is not read', async () => {
    const before = await api().tap.highWatermark();
    let written = 0;
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${api().url}/redemptions`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(token) } });
      const chunk = Buffer.alloc(4096, 0x20);
      const timer = setInterval(() => {
        if (written < 64 * 1024 * 1024) written += req.write(chunk) ? chunk.length : 0;
      }, 1);
      req.on('response', (res) => {
        clearInterval(timer);
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', (error) => {
        clearInterval(timer);
        reject(error);
      });
    });
    expect(status).toBe(413);
    expect(written).toBeLessThan(64 * 1024 * 1024);
    expect(await api().tap.highWatermark()).toBe(before);
  });

  it('a malformed Idempotency-Key: 400', async () => {
    const answer = await refused(() => post({ reward_id: rewardId }, { 'idempotency-key': 'x'.repeat(201) }));
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatch(/Idempotency-Key/);
  });
});

describe('POST /redemptions accepted', () => {
  it('answers 202 after Kafka acked, with the event as the worker reads it, keyed by the member', async () => {
    const before = await api().tap.highWatermark();
    const answer = await post({ reward_id: rewardId, quantity: 3 });
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({
      success: true,
      event_id: expect.any(String),
      message: 'Redemption request received and processing',
      quantity: 3,
    });
    // acked before the answer: the message is already on the topic
    expect(await api().tap.highWatermark()).toBe(before + 1);
    const message = await api().tap.message(answer.body.event_id);
    expect(message.key).toBe(userId);
    expect(message.value).toEqual({
      event_id: answer.body.event_id,
      user_id: userId,
      reward_id: rewardId,
      quantity: 3,
      merchant_id: merchantId,
      timestamp: expect.any(String),
    });
    expect(new Date(message.value.timestamp as string).toISOString()).toBe(message.value.timestamp);
    expect(api().logs).toContain(`[API] Published event ${answer.body.event_id} for user ${userId}, quantity: 3`);
  });

  it('takes the member and the merchant from the token, never from the body; an absent quantity is 1', async () => {
    const answer = await post({ reward_id: rewardId, user_id: randomUUID(), merchant_id: randomUUID(), event_id: 'mine', extra: true });
    expect(answer.status).toBe(202);
    expect(answer.body.quantity).toBe(1);
    expect(answer.body.event_id).not.toBe('mine');
    const message = await api().tap.message(answer.body.event_id);
    expect(message.value).toMatchObject({ user_id: userId, merchant_id: merchantId, reward_id: rewardId, quantity: 1 });
    expect(message.value).not.toHaveProperty('extra');
    expect(api().logs).toContain(`[API] Published event ${answer.body.event_id} for user ${userId}, quantity: 1`);
  });

  it('accepts quantity 100 and a charset parameter on the content type', async () => {
    const answer = await post({ reward_id: rewardId, quantity: 100 }, { 'content-type': 'application/json; charset=utf-8' });
    expect(answer.status).toBe(202);
    expect(answer.body.quantity).toBe(100);
  });

  it('derives the event id from an Idempotency-Key, so a retried POST cannot redeem twice', async () => {
    const first = await post({ reward_id: rewardId }, { 'idempotency-key': 'order-1234' });
    const retry = await post({ reward_id: rewardId }, { 'idempotency-key': 'order-1234' });
    const other = await post({ reward_id: rewardId }, { 'idempotency-key': 'order-1235' });
    expect([first.status, retry.status, other.status]).toEqual([202, 202, 202]);
    expect(retry.body.event_id).toBe(first.body.event_id);
    expect(other.body.event_id).not.toBe(first.body.event_id);
    // another member's same key is another event
    const theirs = await post({ reward_id: rewardId }, { ...bearer(await signToken({ sub: randomUUID(), merchant_id: merchantId })), 'idempotency-key': 'order-1234' });
    expect(theirs.body.event_id).not.toBe(first.body.event_id);
  });

  it('under concurrent load every request is acked and on the topic once, each member in order', async () => {
    const members = await Promise.all(
      [1, 2, 3].map(async () => {
        const id = randomUUID();
        return { id, token: await signToken({ sub: id, merchant_id: merchantId }) };
      }),
    );
    const before = await api().tap.highWatermark();
    // a burst of 30 at once, and each member sending 10 one after the other, all together
    const burst = Promise.all(Array.from({ length: 30 }, () => post({ reward_id: rewardId })));
    const sequences = members.map(async (member) => {
      const answers = [];
      for (let quantity = 1; quantity <= 10; quantity++) answers.push(await post({ reward_id: rewardId, quantity }, bearer(member.token)));
      return answers;
    });
    const answers = [...(await burst), ...(await Promise.all(sequences)).flat()];
    expect(answers.map((a) => a.status)).toEqual(Array(60).fill(202));
    expect(await api().tap.highWatermark()).toBe(before + 60);
    await Promise.all(answers.map((a) => api().tap.message(a.body.event_id as string)));
    for (const member of members) {
      const quantities = api().tap.messages.filter((m) => m.key === member.id).map((m) => m.value.quantity);
      expect(quantities).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    }
  });

  it('counts published events in its metrics', async () => {
    const metrics = await api().server.metrics.registry.getSingleMetricAsString('redeemctl_api_events_published_total');
    expect(metrics).toMatch(/redeemctl_api_events_published_total \d+/);
    expect(Number(/total (\d+)/.exec(metrics)![1])).toBeGreaterThanOrEqual(5);
  });
});
