import { SignJWT, base64url, type CryptoKey } from 'jose';

// Tokens for the API tests: the ones a member's app sends, and the forgeries it must refuse.

/** 48 bytes: above the 32-byte floor serve enforces for HS256. */
export const TEST_SECRET = 'redeemctl-test-secret-4f1c9a7e2b8d6035a1e4c7b9d2f0';

export interface TokenClaims {
  sub: string;
  merchant_id: string;
  [claim: string]: unknown;
}

export interface TokenOptions {
  /** Seconds since the epoch; default one hour ahead. null leaves exp out. */
  exp?: number | null;
  nbf?: number;
  alg?: 'HS256' | 'RS256' | 'ES256';
  key?: CryptoKey | Uint8Array;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export async function signToken(claims: TokenClaims, options: TokenOptions = {}): Promise<string> {
  const alg = options.alg ?? 'HS256';
  const jwt = new SignJWT({ ...claims }).setProtectedHeader({ alg, typ: 'JWT' }).setIssuedAt();
  const exp = options.exp === undefined ? nowSeconds() + 3600 : options.exp;
  if (exp !== null) jwt.setExpirationTime(exp);
  if (options.nbf !== undefined) jwt.setNotBefore(options.nbf);
  return jwt.sign(options.key ?? new TextEncoder().encode(TEST_SECRET));
}

/** `alg: none`, crafted by hand: header and payload, an empty signature. */
export function unsignedToken(claims: TokenClaims): string {
  const part = (value: unknown) => base64url.encode(JSON.stringify(value));
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ ...claims, exp: nowSeconds() + 3600 })}.`;
}

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
