import { randomUUID } from 'node:crypto';
import { exportSPKI, generateKeyPair } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifierFromEnv } from '../../src/api/auth.js';
import { startApiServer } from '../../src/api/server.js';
import { createLogger } from '../../src/shared/logger.js';
import { call, useApi, type Answer } from '../support/apiHarness.js';
import { TEST_AUDIENCE, TEST_ISSUER, TEST_SECRET, bearer, nowSeconds, signToken, unsignedToken } from '../support/jwt.js';

// Tokens: every forgery and every stale or premature token is a 401 that publishes nothing and
// says nothing of the key; public-key verification (RS256, ES256) from JWT_PUBLIC_KEY.

const api = useApi({ topicPrefix: 'api-auth' });
const claims = { sub: randomUUID(), merchant_id: randomUUID() };
const body = JSON.stringify({ reward_id: randomUUID(), quantity: 1 });

function postWith(url: string, headers: Record<string, string>): Promise<Answer> {
  return call(`${url}/redemptions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

async function unauthorised(headers: Record<string, string>, expected: RegExp): Promise<void> {
  const before = await api().tap.highWatermark();
  const answer = await postWith(api().url, headers);
  expect(answer.status).toBe(401);
  expect(answer.body).toEqual({ success: false, error: expect.stringMatching(expected) });
  expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
  expect(JSON.stringify(answer.body)).not.toContain(TEST_SECRET);
  expect(await api().tap.highWatermark(), 'nothing published').toBe(before);
}

describe('401 for every token that is not a valid, current one of ours', () => {
  it('no Authorization header', () => unauthorised({}, /missing bearer token/));
  it('a scheme other than Bearer', () => unauthorised({ authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }, /malformed/));
  it('a token that is not a JWT', () => unauthorised(bearer('not-a-jwt'), /malformed/));
  it('a JWT with a garbled payload', async () => {
    const [header, , signature] = (await signToken(claims)).split('.');
    await unauthorised(bearer(`${header}.!!!.${signature}`), /malformed/);
  });
  it('an expired token (exp in the past, beyond the 5 s tolerance)', async () =>
    unauthorised(bearer(await signToken(claims, { exp: nowSeconds() - 60 })), /expired/));
  it('a token without exp', async () => unauthorised(bearer(await signToken(claims, { exp: null })), /exp/));
  it('a token not yet valid (nbf a minute ahead)', async () =>
    unauthorised(bearer(await signToken(claims, { nbf: nowSeconds() + 60 })), /not yet valid/));
  it('a token signed with another secret', async () =>
    unauthorised(bearer(await signToken(claims, { key: new TextEncoder().encode('another-secret-of-at-least-32-bytes!!') })), /signature/));
  it('alg: none, crafted by hand', () => unauthorised(bearer(unsignedToken(claims)), /algorithm is not accepted/));
  it('an RS256 token while HS256 is configured', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    await unauthorised(bearer(await signToken(claims, { alg: 'RS256', key: privateKey })), /algorithm/);
  });
  it('a token whose sub is not a uuid', async () =>
    unauthorised(bearer(await signToken({ ...claims, sub: 'alice@example.com' })), /sub/));
  it('a token without the merchant_id claim', async () =>
    unauthorised(bearer(await signToken({ sub: claims.sub } as never)), /merchant_id/));

  it('an nbf within the 5 s clock tolerance is accepted', async () => {
    const answer = await postWith(api().url, bearer(await signToken(claims, { nbf: nowSeconds() + 2 })));
    expect(answer.status).toBe(202);
  });

  it('the reads and the stream want a token too', async () => {
    expect((await call(`${api().url}/redemptions/${randomUUID()}`)).status).toBe(401);
    expect((await call(`${api().url}/redemptions/stream`)).status).toBe(401);
    const expired = bearer(await signToken(claims, { exp: nowSeconds() - 60 }));
    expect((await call(`${api().url}/redemptions/stream`, { headers: expired })).status).toBe(401);
  });

  it('never logs the secret or a token', () => {
    expect(api().logs.join('\n')).not.toContain(TEST_SECRET);
    expect(api().logs.join('\n')).not.toMatch(/eyJ/);
  });
});

describe('JWT_PUBLIC_KEY', () => {
  for (const alg of ['RS256', 'ES256'] as const) {
    describe(alg, () => {
      let url: string;
      let keys: Awaited<ReturnType<typeof generateKeyPair>>;
      let close: () => Promise<void>;
      beforeAll(async () => {
        keys = await generateKeyPair(alg, { extractable: true });
        const pem = await exportSPKI(keys.publicKey);
        // a one-line environment value with \n escapes, as secrets managers often hand it over
        const verifier = await verifierFromEnv({ JWT_PUBLIC_KEY: pem.replace(/\n/g, '\\n'), JWT_ISSUER: TEST_ISSUER, JWT_AUDIENCE: TEST_AUDIENCE });
        expect(verifier.algorithm).toBe(alg);
        const server = await startApiServer({
          port: 0,
          database: api().handle.database,
          publisher: api().publisher,
          verifier,
          logger: createLogger('text', { write: () => true }),
        });
        url = `http://127.0.0.1:${server.port}`;
        close = () => server.close();
        return () => close();
      });

      it(`accepts a token signed with the private key (202)`, async () => {
        const answer = await postWith(url, bearer(await signToken(claims, { alg, key: keys.privateKey })));
        expect(answer.status).toBe(202);
      });

      it('refuses another key pair, HS256 with the public key as the secret, and alg: none', async () => {
        const other = await generateKeyPair(alg);
        const pem = new TextEncoder().encode(await exportSPKI(keys.publicKey));
        const before = await api().tap.highWatermark();
        for (const token of [
          await signToken(claims, { alg, key: other.privateKey }),
          await signToken(claims, { alg: 'HS256', key: pem }),
          await signToken(claims, { alg: 'HS256', key: new TextEncoder().encode(TEST_SECRET) }),
          unsignedToken(claims),
        ]) {
          const answer = await postWith(url, bearer(token));
          expect(answer.status).toBe(401);
        }
        expect(await api().tap.highWatermark()).toBe(before);
      });
    });
  }

  it('refuses a private key, an unreadable key, an unsupported curve, a short secret and both settings at once, naming the setting only', async () => {
    const rsa = await generateKeyPair('RS256', { extractable: true });
    const p384 = await generateKeyPair('ES384', { extractable: true });
    const { exportPKCS8 } = await import('jose');
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ JWT_PUBLIC_KEY: await exportPKCS8(rsa.privateKey) }, /private key/],
      [{ JWT_PUBLIC_KEY: 'not a key' }, /not a readable PEM/],
      [{ JWT_PUBLIC_KEY: await exportSPKI(p384.publicKey) }, /RSA or P-256/],
      [{ JWT_SECRET: 'short-secret' }, /at least 32 bytes/],
      [{ JWT_SECRET: TEST_SECRET, JWT_PUBLIC_KEY: await exportSPKI(rsa.publicKey) }, /only one/],
      [{}, /JWT_SECRET.*JWT_PUBLIC_KEY/],
    ];
    for (const [env, message] of cases) {
      const error = await verifierFromEnv(env).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.message).toMatch(message);
      for (const value of Object.values(env)) expect(error?.message).not.toContain(value);
    }
  });
});
