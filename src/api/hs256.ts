import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { UnsecuredJWT, base64url, errors, type JWTPayload, type JWTVerifyOptions, type ProtectedHeaderParameters } from 'jose';

/**
 * HS256 JWT verification with node:crypto's HMAC, for the API's hot path: jose's `jwtVerify` goes
 * through WebCrypto, whose HMAC verify cost about 66 µs of CPU per token here against a few µs for
 * `createHmac` (docs/benchmarks.md, "api", "Where the time goes").
 *
 * It is a drop-in for `jwtVerify(token, key, options)` with `algorithms: ['HS256']`: the same
 * checks in the same order, failing with the same jose error classes, so the API's one mapping
 * from jose's error codes to a 401's words (src/api/auth.ts) serves both, and
 * tests/api/hs256.test.ts checks, on random tokens, that the two accept and refuse alike:
 * 1. three segments; the header base64url (jose's own decoder), UTF-8 and a JSON object;
 * 2. `crit` as jose reads it (only `b64` is understood);
 * 3. `alg` a non-empty string, and HS256 (anything else: `alg: none`, RS256, algorithm confusion
 *    is refused before any key is used); the payload segment ASCII;
 * 4. the signature: HMAC-SHA256 of `<header>.<payload>` compared in constant time with the
 *    decoded signature (a signature of another length is simply not equal);
 * 5. a payload that is not base64url-encoded (`b64: false`) is refused, as jose refuses it;
 * 6. the claims, by jose itself: once the signature holds, the payload segment is handed to
 *    `UnsecuredJWT.decode`, which runs exactly the claim checks `jwtVerify` runs (iss, aud, exp,
 *    nbf, iat, maxTokenAge, required claims, clock tolerance) without verifying anything again.
 */
export interface Hs256Verifier {
  verify(token: string): { payload: JWTPayload; protectedHeader: ProtectedHeaderParameters };
}

/** What `UnsecuredJWT.decode` wants in front of the payload: `{"alg":"none"}`, encoded once. */
const UNSECURED_HEADER = base64url.encode(JSON.stringify({ alg: 'none' }));
const utf8 = new TextDecoder('utf-8', { fatal: true });
const SHA256_BYTES = 32;
const NON_ASCII = /[^\x00-\x7f]/;

export function createHs256Verifier(secret: Uint8Array, options: JWTVerifyOptions): Hs256Verifier {
  const key: KeyObject = createSecretKey(secret);
  const claimOptions: JWTVerifyOptions = { ...options };
  delete claimOptions.algorithms;
  return {
    verify(token) {
      const { 0: encodedHeader, 1: encodedPayload, 2: encodedSignature, length } = token.split('.');
      if (length !== 3) throw new errors.JWSInvalid('Invalid Compact JWS');
      const header = protectedHeader(encodedHeader!);
      const b64 = payloadEncoded(header);
      if (typeof header.alg !== 'string' || !header.alg) throw new errors.JWSInvalid('JWS "alg" (Algorithm) Header Parameter missing or invalid');
      if (header.alg !== 'HS256') throw new errors.JOSEAlgNotAllowed('"alg" (Algorithm) Header Parameter value not allowed');
      if (NON_ASCII.test(encodedPayload!)) throw new errors.JWSInvalid('The payload is not a valid base64url string');
      if (!signatureHolds(key, `${encodedHeader}.${encodedPayload}`, encodedSignature!)) throw new errors.JWSSignatureVerificationFailed();
      if (!b64) throw new errors.JWTInvalid('JWTs MUST NOT use unencoded payload');
      const { payload } = UnsecuredJWT.decode(`${UNSECURED_HEADER}.${encodedPayload}.`, claimOptions);
      return { payload, protectedHeader: header };
    },
  };
}

/** The decoded protected header: a JSON object, else JWSInvalid (as jose's parseJoseHeader). */
function protectedHeader(encoded: string): ProtectedHeaderParameters {
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(base64url.decode(encoded)));
  } catch (cause) {
    throw new errors.JWSInvalid('JWS Protected Header is invalid', { cause });
  }
  if (!isPlainObject(parsed)) throw new errors.JWSInvalid('JWS Protected Header is invalid');
  return parsed as ProtectedHeaderParameters;
}

/**
 * jose's `crit` rules for a compact JWS, whose only understood extension is `b64`: false when the
 * header declares an unencoded payload.
 */
function payloadEncoded(header: ProtectedHeaderParameters): boolean {
  const { crit } = header;
  if (crit === undefined) return true;
  if (!Array.isArray(crit) || crit.length === 0 || crit.some((name) => typeof name !== 'string' || name.length === 0)) {
    throw new errors.JWSInvalid('"crit" (Critical) Header Parameter MUST be an array of non-empty strings when present');
  }
  for (const name of crit) {
    if (name !== 'b64') throw new errors.JOSENotSupported(`Extension Header Parameter "${name}" is not recognized`);
    if (!Object.hasOwn(header, name) || header.b64 === undefined) throw new errors.JWSInvalid(`Extension Header Parameter "${name}" is missing`);
  }
  if (typeof header.b64 !== 'boolean') throw new errors.JWSInvalid('The "b64" (base64url-encode payload) Header Parameter must be a boolean');
  return header.b64;
}

function signatureHolds(key: KeyObject, signingInput: string, encodedSignature: string): boolean {
  let signature: Uint8Array;
  try {
    signature = base64url.decode(encodedSignature);
  } catch (cause) {
    throw new errors.JWSInvalid('Failed to base64url decode the signature', { cause });
  }
  const expected = createHmac('sha256', key).update(signingInput, 'latin1').digest();
  return signature.length === SHA256_BYTES && timingSafeEqual(expected, signature);
}

/** JSON.parse gives plain objects, arrays or primitives: an object here is what jose's isObject accepts. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
