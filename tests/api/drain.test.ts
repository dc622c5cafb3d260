import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startApiServer, type ApiServer } from '../../src/api/server.js';
import type { Publisher } from '../../src/api/publish.js';
import type { RedemptionEvent } from '../../src/kafka/redemptionEvent.js';
import { createVerifier } from '../../src/api/auth.js';
import { createLogger } from '../../src/shared/logger.js';
import { call, useApi } from '../support/apiHarness.js';
import { TEST_AUDIENCE, TEST_ISSUER, TEST_SECRET, bearer, signToken } from '../support/jwt.js';

// Stopping the API while POSTs wait for Kafka: each gets an answer (its 202 if Kafka acknowledges
// during the drain, 503 if not), never a cut connection; new requests are refused; the stop ends.

const api = useApi({ topicPrefix: 'api-drain', consume: true });
const verifier = createVerifier('HS256', new TextEncoder().encode(TEST_SECRET), { issuer: TEST_ISSUER, audience: TEST_AUDIENCE });
const servers: ApiServer[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) await server.close({ drainMs: 0 });
});

/** The real producer behind a gate: sends only once the gate opens (a slow or stalled broker). */
function gatedPublisher(): { publisher: Publisher; open(): void } {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  return {
    publisher: { publish: async (events: RedemptionEvent[]) => (await gate, api().publisher.publish(events)) },
    open: () => open(),
  };
}

async function serverWith(publisher: Publisher): Promise<{ server: ApiServer; url: string; arrived: () => number }> {
  let arrived = 0;
  // counts the POSTs the server has started on (verifying the token is its first step)
  const counting = { ...verifier, verify: (authorization: string | undefined) => (arrived++, verifier.verify(authorization)) };
  // a publish timeout far beyond the test: only the drain can answer a stalled POST
  const server = await startApiServer({ port: 0, database: api().handle.database, publisher, verifier: counting, logger: createLogger('text', { write: () => true }), publishTimeoutMs: 120_000 });
  servers.push(server);
  return { server, url: `http://127.0.0.1:${server.port}`, arrived: () => arrived };
}

/** Until the server has started on `n` requests, and a moment for them to reach the publisher. */
async function inFlight(arrived: () => number, n: number): Promise<void> {
  await vi.waitFor(() => expect(arrived()).toBe(n), { timeout: 20_000, interval: 20 });
  await new Promise((resolve) => setTimeout(resolve, 200));
}

const post = async (url: string) =>
  call(`${url}/redemptions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(await signToken({ sub: randomUUID(), merchant_id: randomUUID() })) },
    body: JSON.stringify({ reward_id: randomUUID() }),
  });

const settled = <T>(promise: Promise<T>) => promise.then((value) => ({ value }), (error: Error) => ({ error: error.message }));

describe('stopping with POSTs waiting for Kafka', () => {
  it('Kafka never acknowledges: every waiting POST gets a 503 JSON answer, not a cut connection, and the stop ends', async () => {
    const { publisher } = gatedPublisher();
    const { server, url, arrived } = await serverWith(publisher);
    const waiting = [settled(post(url)), settled(post(url)), settled(post(url))];
    await inFlight(arrived, 3); // the POSTs are in, waiting for Kafka
    const started = Date.now();
    await server.close({ drainMs: 1_000 });
    expect(Date.now() - started, 'the stop is bounded').toBeLessThan(15_000);
    for (const answer of await Promise.all(waiting)) {
      expect(answer).toMatchObject({ value: { status: 503, body: { success: false, error: expect.stringMatching(/could not be queued/) } } });
      if ('value' in answer) expect(answer.value.headers.get('retry-after')).toBe('1');
    }
    await expect(fetch(`${url}/healthz`)).rejects.toThrow(); // no longer accepting
  });

  it('Kafka acknowledges during the drain: the POST gets its 202 and the event is on the topic', async () => {
    const gated = gatedPublisher();
    const { server, url, arrived } = await serverWith(gated.publisher);
    const waiting = settled(post(url));
    await inFlight(arrived, 1);
    const closing = server.close({ drainMs: 20_000 });
    setTimeout(() => gated.open(), 500);
    await closing;
    const answer = await waiting;
    expect(answer).toMatchObject({ value: { status: 202 } });
    if (!('value' in answer)) throw new Error(answer.error);
    const eventId = answer.value.body.event_id as string;
    expect((await api().tap.message(eventId)).value.event_id).toBe(eventId);
  });
});
