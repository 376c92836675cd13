// Verifies `Authorization: Bearer <JWT>` tokens with jose: a shared HS256
// secret, or the signing keys an OIDC provider publishes at its JWKS URL.
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { Viewer } from './viewer.js';

export class AuthenticationError extends Error {
  override name = 'AuthenticationError';
}

export type TokenVerifier = (token: string) => Promise<Viewer>;

export interface TokenVerifierOptions {
  secret?: string;
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
}

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const key: Uint8Array | JWTVerifyGetKey = options.jwksUrl
    ? createRemoteJWKSet(new URL(options.jwksUrl))
    : new TextEncoder().encode(options.secret ?? '');
  if (!options.jwksUrl && !options.secret) throw new Error('A JWT secret or JWKS URL is required');
  const algorithms = options.jwksUrl ? ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'] : ['HS256'];

  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, key as Uint8Array, {
        algorithms,
        issuer: options.issuer,
        audience: options.audience,
      });
      if (typeof payload.sub !== 'string' || payload.sub === '') {
        throw new AuthenticationError('Token has no subject (sub)');
      }
      const name = typeof payload.name === 'string' ? payload.name : undefined;
      return { userId: payload.sub, name };
    } catch (error) {
      if (error instanceof AuthenticationError) throw error;
      if (error instanceof joseErrors.JWTExpired) throw new AuthenticationError('Token has expired');
      if (error instanceof joseErrors.JOSEError) throw new AuthenticationError(`Invalid token: ${error.code}`);
      throw error;
    }
  };
}

/** "Bearer abc" → "abc"; undefined when no credentials were sent. */
export function bearerToken(header: string | null | undefined): string | undefined {
  if (header === null || header === undefined || header.trim() === '') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) throw new AuthenticationError('Authorization must be "Bearer <token>"');
  return match[1];
}
