import { createHmac, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { base64url, exportSPKI, generateKeyPair } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuthError, createVerifier, type Principal, type TokenVerifier } from '../../src/api/auth.js';
import { UsageError } from '../../src/shared/errors.js';
import { TEST_AUDIENCE, TEST_ISSUER, TEST_SECRET, nowSeconds, signToken, unsignedToken } from '../support/jwt.js';

// HS256 through node:crypto's HMAC (src/api/hs256.ts) against jose's jwtVerify, the reference it
// replaces on the hot path: every token below, and random ones, must get the same answer from
// both, the same principal or the same 401 words. No server: the verifiers are called directly.

const secret = new TextEncoder().encode(TEST_SECRET);
const scope = { issuer: TEST_ISSUER, audience: TEST_AUDIENCE };
const fast = createVerifier('HS256', secret, scope);
const reference = createVerifier('HS256', secret, scope, { hs256: 'jose' });
const claims = { sub: randomUUID(), merchant_id: randomUUID() };

type Outcome = { accepted: Principal } | { refused: string };

async function outcome(verifier: TokenVerifier, token: string): Promise<Outcome> {
  try {
    return { accepted: await verifier.verify(`Bearer ${token}`) };
  } catch (error) {
    if (!(error instanceof AuthError)) throw error;
    return { refused: error.message };
  }
}

/** Both verifiers' answer, checked to be the same; returned for the test's own expectation. */
async function agreed(token: string): Promise<Outcome> {
  const [mine, jose] = await Promise.all([outcome(fast, token), outcome(reference, token)]);
  expect(mine, `node:crypto and jose disagree on ${token}`).toEqual(jose);
  return mine;
}

const refusal = async (token: string, message: RegExp) => expect(await agreed(token)).toEqual({ refused: expect.stringMatching(message) });

const encode = (value: unknown) => base64url.encode(typeof value === 'string' ? value : JSON.stringify(value));
const hmac = (input: string, key: Uint8Array = secret) => base64url.encode(createHmac('sha256', key).update(input).digest());
/** A token with this header and payload, signed with the test secret (or given the signature). */
function craft(header: unknown, payload: unknown, signature?: string): string {
  const input = `${encode(header)}.${encode(payload)}`;
  return `${input}.${signature ?? hmac(input)}`;
}
const current = () => ({ ...claims, iss: TEST_ISSUER, aud: TEST_AUDIENCE, iat: nowSeconds(), exp: nowSeconds() + 600 });

describe('HS256 with node:crypto', () => {
  it('accepts a current token, with the same principal as jose', async () => {
    expect(await agreed(await signToken(claims))).toEqual({ accepted: { userId: claims.sub, merchantId: claims.merchant_id, expiresAt: expect.any(Number) } });
    expect(await agreed(craft({ alg: 'HS256' }, current()))).toHaveProperty('accepted');
  });

  it('a bad signature: another secret, one character changed, cut short, or none', async () => {
    const token = await signToken(claims);
    await refusal(await signToken(claims, { key: new TextEncoder().encode('another-secret-of-at-least-32-bytes!!') }), /signature is invalid/);
    const last = token.at(-2) === 'A' ? 'B' : 'A';
    await refusal(`${token.slice(0, -2)}${last}${token.at(-1)}`, /signature is invalid/);
    await refusal(token.slice(0, -4), /signature is invalid|malformed/);
    await refusal(`${token.split('.').slice(0, 2).join('.')}.`, /signature is invalid/);
  });

  it('a signature of the wrong length (HS384-sized, 16 bytes, empty) is not equal, never an exception', async () => {
    const [h, p] = craft({ alg: 'HS256' }, current()).split('.');
    const input = `${h}.${p}`;
    const full = createHmac('sha256', secret).update(input).digest();
    for (const bytes of [createHmac('sha384', secret).update(input).digest(), full.subarray(0, 16), Buffer.concat([full, Buffer.from([0])]), Buffer.alloc(0)]) {
      await refusal(`${input}.${base64url.encode(bytes)}`, /signature is invalid/);
    }
  });

  it('alg none, and algorithm confusion: RS256 or ES256 claimed, or HS256 keyed with a public key', async () => {
    await refusal(unsignedToken(claims), /algorithm is not accepted/);
    await refusal(craft({ alg: 'none' }, current(), hmac(`${encode({ alg: 'none' })}.${encode(current())}`)), /algorithm is not accepted/);
    for (const alg of ['RS256', 'ES256'] as const) {
      const pair = await generateKeyPair(alg, { extractable: true });
      await refusal(await signToken(claims, { alg, key: pair.privateKey }), /algorithm is not accepted/);
      const pem = new TextEncoder().encode(await exportSPKI(pair.publicKey));
      await refusal(await signToken(claims, { alg: 'HS256', key: pem }), /signature is invalid/);
    }
    for (const alg of ['hs256', 'HS384', 'HS512', '', 42, null]) await refusal(craft({ alg }, current()), /algorithm is not accepted|malformed/);
    await refusal(craft({ typ: 'JWT' }, current()), /malformed/);
  });

  it('malformed segments: too few or too many, a header or payload that is not base64url, not UTF-8, not JSON, not an object', async () => {
    const good = craft({ alg: 'HS256' }, current());
    const [h, p, s] = good.split('.');
    for (const token of [`${h}.${p}`, `${h}.${p}.${s}.${s}`, `${h}`, `..`, `${h}.${p}.${s}.`]) await refusal(token, /malformed/);
    for (const header of ['~~', `${h}=`, 'a', encode('[1]'), encode('"HS256"'), encode('not json'), base64url.encode(Uint8Array.from([0xff, 0xfe])), '']) {
      await refusal(`${header}.${p}.${s}`, /malformed/);
    }
    // a payload that is not a JSON object, correctly signed: refused after the signature
    for (const payload of ['[]', 'null', '"x"', '{bad json', '']) await refusal(craft({ alg: 'HS256' }, payload), /malformed/);
    await refusal(`${h}.${p}~.${s}`, /malformed|signature/);
    await refusal(`${h}.${p}.${s}+`, /malformed/);
    await refusal(`${h}.${p}.${s!.replace(/-|_/g, '+')}/`, /malformed/);
  });

  it('the crit header as jose reads it: b64 false is refused, an unknown extension too', async () => {
    await refusal(craft({ alg: 'HS256', crit: ['b64'], b64: false }, current()), /malformed/);
    await refusal(craft({ alg: 'HS256', crit: ['exp'], exp: 1 }, current()), /not accepted|malformed/);
    await refusal(craft({ alg: 'HS256', crit: [] }, current()), /malformed/);
    await refusal(craft({ alg: 'HS256', crit: ['b64'] }, current()), /malformed/);
    expect(await agreed(craft({ alg: 'HS256', crit: ['b64'], b64: true }, current()))).toHaveProperty('accepted');
  });

  it('a secret shorter than 32 bytes is refused when the verifier is built', () => {
    expect(() => createVerifier('HS256', new Uint8Array(31), scope)).toThrow(UsageError);
    expect(() => createVerifier('HS256', new Uint8Array(31), scope)).toThrow(/at least 32 bytes/);
    expect(() => createVerifier('HS256', new Uint8Array(32), scope)).not.toThrow();
  });
});

describe('node:crypto and jose agree on random claims sets (fast-check)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const NOW = 1_790_000_000; // a fixed clock, so both verifiers judge the same second
  // Mostly what a real token holds, so that most runs reach the later checks; then the edges of
  // every rule (the 5 s tolerance, the hour of JWT_MAX_AGE), then values of the wrong type.
  const weighted = <T>(usual: fc.Arbitrary<T>, ...unusual: Array<fc.Arbitrary<unknown>>) =>
    fc.oneof({ arbitrary: usual as fc.Arbitrary<unknown>, weight: 3 * unusual.length }, ...unusual.map((arbitrary) => ({ arbitrary, weight: 1 })));
  const absent = fc.constant(undefined);
  const edges = fc.constantFrom(...[0, 4, 5, 6, 3_594, 3_595, 3_600, 3_605, 3_606, 7_200].flatMap((d) => [NOW + d, NOW - d]));
  const odd = fc.constantFrom('soon', null, true, [], {}, 1e308, NOW + 0.5, -1);
  const near = fc.integer({ min: -8_000, max: 8_000 }).map((d) => NOW + d);
  const payload = fc.record({
    sub: weighted(fc.uuid(), fc.constantFrom('alice@example.com', '', 42, '00000000-0000-0000-0000-000000000000'), absent),
    merchant_id: weighted(fc.uuid(), fc.constantFrom('m-1', null), absent),
    iss: weighted(fc.constant(TEST_ISSUER), fc.constantFrom('https://evil.example/', TEST_ISSUER.toUpperCase(), 7, [TEST_ISSUER]), absent),
    aud: weighted(fc.constantFrom(TEST_AUDIENCE, ['other', TEST_AUDIENCE]), fc.constantFrom('other', [], ['other'], 3), absent),
    exp: weighted(fc.integer({ min: 1, max: 3_600 }).map((d) => NOW + d), edges, near, odd, absent),
    iat: weighted(fc.integer({ min: 0, max: 3_600 }).map((d) => NOW - d), edges, near, odd, absent),
    nbf: fc.oneof({ arbitrary: absent, weight: 4 }, edges, near, odd),
    jti: fc.option(fc.string({ maxLength: 8 }), { nil: undefined }),
  });
  const header = fc.record({
    alg: weighted(fc.constant('HS256'), fc.constantFrom('none', 'RS256', 'ES256', 'HS512', 'hs256', '', 5), absent),
    typ: weighted(fc.constantFrom(undefined, 'JWT', 'at+jwt'), fc.constantFrom('jwt', 'application/at+jwt', 'secevent+jwt', 'JWE', 1)),
    crit: fc.oneof({ arbitrary: absent, weight: 40 }, fc.constantFrom(['b64'], ['x'], [], 'b64', [''])),
    b64: fc.oneof({ arbitrary: absent, weight: 12 }, fc.constantFrom(true, false, 'yes')),
  });
  const signature = weighted(fc.constant('right'), fc.constant('other-key'), fc.constant('truncated'), fc.constant('empty'));

  it('the same principal or the same 401 words, token after token', async () => {
    // the seed from the real clock, before the clock is frozen
    const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
    console.log(`hs256.test.ts fast-check seed: ${seed} (rerun with FC_SEED=${seed})`);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW * 1000 + 400);
    const other = new TextEncoder().encode('another-secret-of-at-least-32-bytes!!');
    await fc.assert(
      fc.asyncProperty(header, payload, signature, async (h, p, how) => {
        const input = `${encode(h)}.${encode(p)}`;
        const sig = how === 'right' ? hmac(input) : how === 'other-key' ? hmac(input, other) : how === 'truncated' ? hmac(input).slice(0, 20) : '';
        await agreed(`${input}.${sig}`);
      }),
      { seed, numRuns: Number(process.env.FC_RUNS ?? 1_500), endOnFailure: true },
    );
  });
});
