import { createPublicKey } from 'node:crypto';
import { importSPKI, jwtVerify, type CryptoKey, type JWTPayload, type JWTVerifyOptions, type ProtectedHeaderParameters } from 'jose';
import { parseDuration } from '../shared/durations.js';
import { UsageError } from '../shared/errors.js';
import { isUuid } from '../shared/uuid.js';
import { createHs256Verifier } from './hs256.js';

/** Who is calling, from a verified token only: never from the body. */
export interface Principal {
  userId: string;
  merchantId: string;
  /** The token's `exp`, in seconds since the epoch: a stream ends when its token does. */
  expiresAt: number;
}

/**
 * A refusal to authenticate: 401 (src/api/errorStatus.ts), with a message that names neither the
 * token nor the key. What the caller sent was wrong, so it is a UsageError (never retried).
 */
export class AuthError extends UsageError {}

export interface TokenVerifier {
  readonly algorithm: 'HS256' | 'RS256' | 'ES256';
  verify(authorization: string | undefined): Promise<Principal>;
}

/** Seconds of clock skew forgiven on `exp`, `nbf` and `iat`. */
export const CLOCK_TOLERANCE_S = 5;
/** JWT_MAX_AGE's default: a token older than this, or valid for longer than this from now, is refused. */
export const DEFAULT_MAX_TOKEN_AGE_S = 3600;
/** HS256 with fewer bytes than the hash is guessable offline from any one token (RFC 7518 3.2). */
const MIN_SECRET_BYTES = 32;
/** Header `typ` values of a JWT access token (RFC 7519 5.1, RFC 9068 2.1), compared case-insensitively. */
const ACCEPTED_TYPES = new Set(['jwt', 'at+jwt', 'application/jwt', 'application/at+jwt']);

export interface TokenClaimChecks {
  issuer?: string | undefined;
  audience?: string | undefined;
  /** Oldest `iat` accepted, and furthest `exp` from now, in seconds; default DEFAULT_MAX_TOKEN_AGE_S. */
  maxAgeSeconds?: number | undefined;
}

export interface VerifierSettings {
  /** serve --allow-unscoped-tokens: start without JWT_ISSUER and JWT_AUDIENCE (not checked then). */
  allowUnscopedTokens?: boolean;
}

/**
 * JWT_SECRET (HS256) or JWT_PUBLIC_KEY (PEM; RS256 for an RSA key, ES256 for a P-256 key): exactly
 * one. Each verifier accepts its one algorithm only, so `alg: none` and algorithm confusion (an
 * HS256 token signed with the public key as the secret) are refused. JWT_ISSUER and JWT_AUDIENCE
 * are required (a token minted for another service must not work here) unless the caller opted
 * out; JWT_MAX_AGE caps a token's age and lifetime. Errors name the setting, never its value.
 */
export async function verifierFromEnv(env: Record<string, string | undefined>, settings: VerifierSettings = {}): Promise<TokenVerifier> {
  const secret = env.JWT_SECRET || undefined;
  const pem = env.JWT_PUBLIC_KEY || undefined;
  if (secret && pem) throw new UsageError('Set only one of JWT_SECRET (HS256) or JWT_PUBLIC_KEY (PEM, RS256 or ES256), not both');
  if (!secret && !pem) {
    throw new UsageError('The API needs a token key: set JWT_SECRET (HS256) or JWT_PUBLIC_KEY (PEM public key, RS256 or ES256)');
  }
  if (secret) {
    const key = new TextEncoder().encode(secret);
    if (key.length < MIN_SECRET_BYTES) throw new UsageError(`JWT_SECRET must be at least ${MIN_SECRET_BYTES} bytes long for HS256`);
    return createVerifier('HS256', key, claimChecksFromEnv(env, settings));
  }
  const text = pem!.includes('\\n') ? pem!.replace(/\\n/g, '\n') : pem!; // one-line env values
  const { algorithm, key } = await importPublicKey(text);
  return createVerifier(algorithm, key, claimChecksFromEnv(env, settings));
}

function claimChecksFromEnv(env: Record<string, string | undefined>, settings: VerifierSettings): TokenClaimChecks {
  const issuer = env.JWT_ISSUER || undefined;
  const audience = env.JWT_AUDIENCE || undefined;
  if ((!issuer || !audience) && !settings.allowUnscopedTokens) {
    const missing = [!audience && 'JWT_AUDIENCE', !issuer && 'JWT_ISSUER'].filter(Boolean).join(' and ');
    throw new UsageError(
      `Set JWT_AUDIENCE and JWT_ISSUER (missing: ${missing}): tokens are checked against them, so one minted for another ` +
        'service or by another issuer is refused; to accept any audience and issuer, pass --allow-unscoped-tokens',
    );
  }
  const maxAge = env.JWT_MAX_AGE ? Math.ceil(parseDuration('JWT_MAX_AGE', env.JWT_MAX_AGE) / 1000) : DEFAULT_MAX_TOKEN_AGE_S;
  return { issuer, audience, maxAgeSeconds: maxAge };
}

async function importPublicKey(pem: string): Promise<{ algorithm: 'RS256' | 'ES256'; key: CryptoKey }> {
  if (pem.includes('PRIVATE KEY')) throw new UsageError('JWT_PUBLIC_KEY holds a private key: give the public key only');
  let details;
  try {
    details = createPublicKey(pem);
  } catch {
    throw new UsageError('JWT_PUBLIC_KEY is not a readable PEM public key (expected "-----BEGIN PUBLIC KEY-----")');
  }
  const type = details.asymmetricKeyType;
  const curve = details.asymmetricKeyDetails?.namedCurve;
  const algorithm = type === 'rsa' ? 'RS256' : type === 'ec' && curve === 'prime256v1' ? 'ES256' : undefined;
  if (!algorithm) throw new UsageError(`JWT_PUBLIC_KEY must be an RSA or P-256 EC public key, got ${type}${curve ? ` ${curve}` : ''}`);
  const spki = details.export({ type: 'spki', format: 'pem' }).toString();
  return { algorithm, key: await importSPKI(spki, algorithm) };
}

export interface VerifierOptions {
  /**
   * Which code checks an HS256 token: node:crypto's HMAC (the default, src/api/hs256.ts) or
   * jose's `jwtVerify` (kept as the reference the HMAC path is tested against). RS256 and ES256
   * always go through jose.
   */
  hs256?: 'node-crypto' | 'jose';
}

/** The payload and header of a token whose signature and claims (iss, aud, exp, nbf, iat, max age) hold. */
type VerifiedToken = { payload: JWTPayload; protectedHeader: ProtectedHeaderParameters };

export function createVerifier(
  algorithm: TokenVerifier['algorithm'],
  key: CryptoKey | Uint8Array,
  claims: TokenClaimChecks = {},
  verifierOptions: VerifierOptions = {},
): TokenVerifier {
  const maxAge = claims.maxAgeSeconds ?? DEFAULT_MAX_TOKEN_AGE_S;
  const options: JWTVerifyOptions = {
    algorithms: [algorithm],
    clockTolerance: CLOCK_TOLERANCE_S,
    requiredClaims: ['exp', 'iat', 'sub', 'merchant_id'],
    maxTokenAge: maxAge,
    ...(claims.issuer !== undefined && { issuer: claims.issuer }),
    ...(claims.audience !== undefined && { audience: claims.audience }),
  };
  const check = signatureAndClaims(algorithm, key, options, verifierOptions);
  return {
    algorithm,
    async verify(authorization) {
      const token = bearerToken(authorization);
      let verified: VerifiedToken;
      try {
        verified = await check(token);
      } catch (error) {
        throw new AuthError(describeJoseError(error));
      }
      return principalOf(verified, maxAge);
    },
  };
}

/** The one check that differs by algorithm: everything before it (the header) and after it (the principal) is shared. */
function signatureAndClaims(
  algorithm: TokenVerifier['algorithm'],
  key: CryptoKey | Uint8Array,
  options: JWTVerifyOptions,
  verifierOptions: VerifierOptions,
): (token: string) => VerifiedToken | Promise<VerifiedToken> {
  if (algorithm !== 'HS256' || !(key instanceof Uint8Array)) return (token) => jwtVerify(token, key, options);
  if (key.length < MIN_SECRET_BYTES) throw new UsageError(`JWT_SECRET must be at least ${MIN_SECRET_BYTES} bytes long for HS256`);
  if ((verifierOptions.hs256 ?? 'node-crypto') === 'node-crypto') {
    const hs256 = createHs256Verifier(key, options);
    return (token) => hs256.verify(token);
  }
  // jose imports a raw HMAC secret on every call (240 µs against 45 µs per verify here): once.
  const ready = crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  ready.catch(() => {});
  return async (token) => jwtVerify(token, await ready, options);
}

/** The checks jose does not make: typ, the lifetime cap, and who the member and merchant are. */
function principalOf({ payload, protectedHeader }: VerifiedToken, maxAge: number): Principal {
  const typ = protectedHeader.typ;
  if (typ !== undefined && !ACCEPTED_TYPES.has(String(typ).toLowerCase())) throw new AuthError('token type (typ) is not accepted: expected JWT or at+jwt');
  if (payload.exp! - Date.now() / 1000 > maxAge + CLOCK_TOLERANCE_S) {
    throw new AuthError('token lives too long: exp is further ahead than JWT_MAX_AGE allows');
  }
  if (typeof payload.sub !== 'string' || !isUuid(payload.sub)) throw new AuthError('token sub must be the member id (a uuid)');
  const merchantId = payload.merchant_id;
  if (typeof merchantId !== 'string' || !isUuid(merchantId)) throw new AuthError('token claim merchant_id must be a uuid');
  return { userId: payload.sub.toLowerCase(), merchantId: merchantId.toLowerCase(), expiresAt: payload.exp! };
}

function bearerToken(authorization: string | undefined): string {
  if (!authorization) throw new AuthError('missing bearer token: send Authorization: Bearer <JWT>');
  const match = /^Bearer +([A-Za-z0-9_.~+/=-]+) *$/i.exec(authorization);
  if (!match) throw new AuthError('malformed Authorization header: expected Bearer <JWT>');
  return match[1]!;
}

/** jose's error codes to a message for the caller; jose's own text is not passed on. */
function describeJoseError(error: unknown): string {
  const { code, claim, reason } = (error ?? {}) as { code?: string; claim?: string; reason?: string };
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return claim === 'iat' ? 'token is too old: iat is further back than JWT_MAX_AGE allows' : 'token expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (claim === 'nbf') return 'token not yet valid (nbf)';
      if (claim === 'iat' && reason === 'check_failed') return 'token issued in the future (iat)';
      return `token claim ${claim ?? ''} is missing or invalid`.replace('  ', ' ');
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'token signature is invalid';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return 'token algorithm is not accepted';
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return 'token is malformed';
    default:
      return 'token is invalid';
  }
}
