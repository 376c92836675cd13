// Verifies `Authorization: Bearer <JWT>` tokens with jose: a shared HS256
// secret, or the signing keys an OIDC provider publishes at its JWKS URL.
// Every token must expire: `exp` is required and at most maxLifetimeSeconds
// away, and `iat`/`nbf` may lie in the future by clockSkewSeconds only.
// A verified token is remembered until it expires: a page polled with one
// token is verified once, not on every request (WebCrypto's HMAC was 8 % of
// an owner's request).
import { createSecretKey, type KeyObject } from 'node:crypto';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { LRUCache } from 'lru-cache';
import type { Clock } from '../clock.js';
import type { Viewer } from './viewer.js';

export class AuthenticationError extends Error {
  override name = 'AuthenticationError';
}

export interface VerifiedToken {
  viewer: Viewer;
  /** When the token stops being valid; a WebSocket authenticated with it is closed then. */
  expiresAt: Date;
}

export type TokenVerifier = (token: string) => Promise<VerifiedToken>;

export interface TokenVerifierOptions {
  secret?: string;
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  maxLifetimeSeconds: number;
  clockSkewSeconds: number;
}

/** Distinct tokens remembered as verified; a token past its expiry is verified again (and refused). */
const VERIFIED_TOKENS_KEPT = 10_000;

export function createTokenVerifier(options: TokenVerifierOptions, clock: Clock): TokenVerifier {
  if (!options.jwksUrl && !options.secret) throw new Error('A JWT secret or JWKS URL is required');
  // A KeyObject, not raw bytes: jose would import raw bytes into a new key on every verification.
  const key: KeyObject | JWTVerifyGetKey = options.jwksUrl
    ? createRemoteJWKSet(new URL(options.jwksUrl))
    : createSecretKey(Buffer.from(options.secret!, 'utf8'));
  const algorithms = options.jwksUrl ? ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'] : ['HS256'];
  const verified = new LRUCache<string, VerifiedToken>({ max: VERIFIED_TOKENS_KEPT });

  return async (token) => {
    const known = verified.get(token);
    // exp is checked on the server's clock, as jwtVerify checks it, skew included.
    if (known && clock.now().getTime() < known.expiresAt.getTime() + options.clockSkewSeconds * 1000) return known;
    const result = await verifyToken(token);
    verified.set(token, result);
    return result;
  };

  async function verifyToken(token: string): Promise<VerifiedToken> {
    const now = clock.now();
    try {
      const { payload } = await jwtVerify(token, key as KeyObject, {
        algorithms,
        issuer: options.issuer,
        audience: options.audience,
        requiredClaims: ['exp'],
        clockTolerance: options.clockSkewSeconds,
        currentDate: now,
      });
      if (typeof payload.sub !== 'string' || payload.sub === '') {
        throw new AuthenticationError('Token has no subject (sub)');
      }
      const nowSeconds = Math.floor(now.getTime() / 1000);
      const exp = payload.exp!; // required above
      if (payload.iat !== undefined && payload.iat > nowSeconds + options.clockSkewSeconds) {
        throw new AuthenticationError('Token is issued in the future (iat)');
      }
      const lifetime = exp - Math.min(payload.iat ?? nowSeconds, nowSeconds);
      if (lifetime > options.maxLifetimeSeconds) {
        throw new AuthenticationError(`Token lives longer than the ${options.maxLifetimeSeconds} s this server accepts (exp)`);
      }
      const name = typeof payload.name === 'string' ? payload.name : undefined;
      return { viewer: { userId: payload.sub, name }, expiresAt: new Date(exp * 1000) };
    } catch (error) {
      if (error instanceof AuthenticationError) throw error;
      if (error instanceof joseErrors.JWTExpired) throw new AuthenticationError('Token has expired');
      if (error instanceof joseErrors.JWTClaimValidationFailed) {
        throw new AuthenticationError(error.claim === 'exp' ? 'Token has no valid expiry (exp)' : `Token claim "${error.claim}" is not acceptable`);
      }
      if (error instanceof joseErrors.JOSEError) throw new AuthenticationError(`Invalid token: ${error.code}`);
      throw error;
    }
  }
}

/** "Bearer abc" → "abc"; undefined when no credentials were sent. */
export function bearerToken(header: string | null | undefined): string | undefined {
  if (header === null || header === undefined || header.trim() === '') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) throw new AuthenticationError('Authorization must be "Bearer <token>"');
  return match[1];
}

/** Verifies the token of an Authorization value (null: anonymous); throws AuthenticationError for a bad one. */
export async function tokenFromAuthorization(verifyToken: TokenVerifier, authorization: string | null | undefined): Promise<VerifiedToken | null> {
  const token = bearerToken(authorization);
  return token === undefined ? null : verifyToken(token);
}
