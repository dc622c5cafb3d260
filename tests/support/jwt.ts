import { SignJWT, base64url, type CryptoKey } from 'jose';

// Tokens for the API tests: the ones a member's app sends, and the forgeries it must refuse.

/** 48 bytes: above the 32-byte floor serve enforces for HS256. */
export const TEST_SECRET = 'redeemctl-test-secret-4f1c9a7e2b8d6035a1e4c7b9d2f0';
/** What the test servers require of `iss` and `aud` (serve refuses to start without them). */
export const TEST_ISSUER = 'https://auth.redeemctl.test/';
export const TEST_AUDIENCE = 'redeemctl-api';
/** The token settings of `redeemctl serve` in the tests' environments. */
export const TEST_TOKEN_ENV = { JWT_SECRET: TEST_SECRET, JWT_ISSUER: TEST_ISSUER, JWT_AUDIENCE: TEST_AUDIENCE } as const;

export interface TokenClaims {
  sub: string;
  merchant_id: string;
  [claim: string]: unknown;
}

export interface TokenOptions {
  /** Seconds since the epoch; default one hour ahead. null leaves exp out. */
  exp?: number | null;
  nbf?: number;
  /** Seconds since the epoch; default now. null leaves iat out. */
  iat?: number | null;
  /** Default TEST_ISSUER and TEST_AUDIENCE; null leaves the claim out. */
  iss?: string | null;
  aud?: string | string[] | null;
  /** The header's typ; default JWT; null leaves it out. */
  typ?: string | null;
  alg?: 'HS256' | 'RS256' | 'ES256';
  key?: CryptoKey | Uint8Array;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export async function signToken(claims: TokenClaims, options: TokenOptions = {}): Promise<string> {
  const alg = options.alg ?? 'HS256';
  const typ = options.typ === undefined ? 'JWT' : options.typ;
  const jwt = new SignJWT({ ...claims }).setProtectedHeader({ alg, ...(typ !== null && { typ }) });
  const iat = options.iat === undefined ? nowSeconds() : options.iat;
  if (iat !== null) jwt.setIssuedAt(iat);
  const iss = options.iss === undefined ? TEST_ISSUER : options.iss;
  if (iss !== null) jwt.setIssuer(iss);
  const aud = options.aud === undefined ? TEST_AUDIENCE : options.aud;
  if (aud !== null) jwt.setAudience(aud);
  const exp = options.exp === undefined ? nowSeconds() + 3600 : options.exp;
  if (exp !== null) jwt.setExpirationTime(exp);
  if (options.nbf !== undefined) jwt.setNotBefore(options.nbf);
  return jwt.sign(options.key ?? new TextEncoder().encode(TEST_SECRET));
}

/** `alg: none`, crafted by hand: header and payload, an empty signature. */
export function unsignedToken(claims: TokenClaims): string {
  const part = (value: unknown) => base64url.encode(JSON.stringify(value));
  const now = nowSeconds();
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ ...claims, iss: TEST_ISSUER, aud: TEST_AUDIENCE, iat: now, exp: now + 3600 })}.`;
}

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
