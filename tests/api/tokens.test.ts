import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { verifierFromEnv } from '../../src/api/auth.js';
import { startApiServer, type ApiServer } from '../../src/api/server.js';
import { createLogger } from '../../src/shared/logger.js';
import { brokerAddress, call, openStream, useApi, type Answer } from '../support/apiHarness.js';
import { runInProcess } from '../support/cliHarness.js';
import { TEST_AUDIENCE, TEST_ISSUER, TEST_SECRET, TEST_TOKEN_ENV, bearer, nowSeconds, signToken } from '../support/jwt.js';

// Tokens are scoped and short-lived: serve requires JWT_ISSUER and JWT_AUDIENCE (or an explicit
// opt-out), caps the token's age and lifetime (JWT_MAX_AGE, default 1 h), checks typ when present,
// and ends a live stream at its token's expiry or at the maximum stream lifetime, whichever first.

const api = useApi({ topicPrefix: 'api-tokens' });
const claims = { sub: randomUUID(), merchant_id: randomUUID() };
const body = JSON.stringify({ reward_id: randomUUID() });
let server: ApiServer;
let url: string;

beforeAll(async () => {
  // configured exactly as serve configures itself: from the environment
  const verifier = await verifierFromEnv({ ...TEST_TOKEN_ENV });
  server = await startApiServer({
    port: 0,
    database: api().handle.database,
    publisher: api().publisher,
    verifier,
    logger: createLogger('text', { write: () => true }),
    streamMaxMs: 1_500,
  });
  url = `http://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server?.close();
});

const post = (token: string): Promise<Answer> =>
  call(`${url}/redemptions`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(token) }, body });

async function refused(token: string, message: RegExp): Promise<void> {
  const before = await api().tap.highWatermark();
  const answer = await post(token);
  expect(answer.status).toBe(401);
  expect(answer.body).toEqual({ success: false, error: expect.stringMatching(message) });
  expect(await api().tap.highWatermark(), 'nothing published').toBe(before);
}

describe('audience, issuer, age and type', () => {
  const year = 365 * 24 * 3600;
  it('a token for another audience, from another issuer, or naming neither', async () => {
    await refused(await signToken(claims, { aud: 'some-other-service' }), /aud/);
    await refused(await signToken(claims, { iss: 'https://evil.example/' }), /iss/);
    await refused(await signToken(claims, { aud: null }), /aud/);
    await refused(await signToken(claims, { iss: null }), /iss/);
  });

  it('exp in 2200: a lifetime beyond JWT_MAX_AGE', () =>
    signToken(claims, { exp: Math.floor(Date.UTC(2200, 0, 1) / 1000) }).then((t) => refused(t, /JWT_MAX_AGE/)));

  it('iat a year ahead, iat missing, iat older than JWT_MAX_AGE', async () => {
    await refused(await signToken(claims, { iat: nowSeconds() + year }), /iat/);
    await refused(await signToken(claims, { iat: null }), /iat/);
    await refused(await signToken(claims, { iat: nowSeconds() - 2 * 3600, exp: nowSeconds() + 600 }), /too old|JWT_MAX_AGE/);
  });

  it('a typ that is not an access token', async () => {
    await refused(await signToken(claims, { typ: 'secevent+jwt' }), /typ/);
    await refused(await signToken(claims, { typ: 'JWE' }), /typ/);
  });

  it('accepts a current token: typ JWT, at+jwt, application/at+jwt or none; iat within the clock tolerance', async () => {
    for (const typ of ['JWT', 'at+jwt', 'application/at+jwt', null]) {
      expect((await post(await signToken(claims, { typ }))).status, String(typ)).toBe(202);
    }
    expect((await post(await signToken(claims, { iat: nowSeconds() + 2 }))).status).toBe(202);
    expect((await post(await signToken(claims, { aud: ['other', TEST_AUDIENCE] }))).status).toBe(202);
  });
});

describe('the live stream', () => {
  it('ends at the maximum stream lifetime even while its token is valid', async () => {
    const client = await openStream(`${url}/redemptions/stream`, bearer(await signToken(claims)));
    try {
      expect(client.status).toBe(200);
      await vi.waitFor(() => expect(client.comments).toContain('listening'), { timeout: 5_000 });
      await Promise.race([client.ended, new Promise((_, reject) => setTimeout(() => reject(new Error('stream still open after 20 s')), 20_000))]);
      expect(client.comments).toContain('stream lifetime reached');
    } finally {
      client.close();
    }
  });
});

describe('settings', () => {
  it('refuses to start without JWT_ISSUER and JWT_AUDIENCE, unless explicitly opted out', async () => {
    for (const env of [{ JWT_SECRET: TEST_SECRET }, { JWT_SECRET: TEST_SECRET, JWT_ISSUER: TEST_ISSUER }, { JWT_SECRET: TEST_SECRET, JWT_AUDIENCE: TEST_AUDIENCE }]) {
      await expect(verifierFromEnv(env)).rejects.toThrow(/JWT_AUDIENCE.*JWT_ISSUER|JWT_ISSUER.*JWT_AUDIENCE/);
    }
    await expect(verifierFromEnv({ JWT_SECRET: TEST_SECRET }, { allowUnscopedTokens: true })).resolves.toBeDefined();
    await expect(verifierFromEnv({ ...TEST_TOKEN_ENV, JWT_MAX_AGE: 'forever' })).rejects.toThrow(/JWT_MAX_AGE/);
  });

  it('redeemctl serve: exit 2 naming both settings; --allow-unscoped-tokens goes on (to Kafka: exit 3 without it)', async () => {
    const missing = await runInProcess(['serve', '--port', '0', '--brokers', brokerAddress()], { env: { JWT_SECRET: TEST_SECRET } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/JWT_ISSUER/);
    expect(missing.stderr).toMatch(/JWT_AUDIENCE/);
    expect(missing.stderr).toMatch(/--allow-unscoped-tokens/);
    const optedOut = await runInProcess(['serve', '--allow-unscoped-tokens'], { env: { JWT_SECRET: TEST_SECRET } });
    expect(optedOut.code, optedOut.stderr).toBe(3);
    expect(optedOut.stderr).toMatch(/KAFKA_BROKERS/);
  });
});
