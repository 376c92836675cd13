// Authentication over HTTP: shared-secret and JWKS verification, and clear
// UNAUTHENTICATED answers for every kind of bad token.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, TEST_JWT_SECRET, TEST_METRICS_TOKEN, tokenFor, type TestServer } from '../support/test-server.js';
import { CreateRoom, MyRooms, ServerTime } from './operations.js';

// Token checks do not touch storage, so one engine is enough here.
describe('HTTP authentication (shared secret)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('pglite');
  });
  afterAll(() => server?.close());

  it('lets anonymous viewers read public data', async () => {
    const response = await server.request(ServerTime, {});
    expect(response.status).toBe(200);
    expect(Date.parse(response.body.data!.serverTime)).not.toBeNaN();
  });

  it('identifies the caller from a valid Bearer token', async () => {
    await server.request(CreateRoom, { input: { name: 'alices' } }, { as: 'alice' });
    const response = await server.request(MyRooms, {}, { as: 'alice' });
    expect(response.body.data?.rooms.edges.map((edge) => edge.node.name)).toEqual(['alices']);
  });

  it.each([
    ['a malformed token', async () => 'Bearer not-a-jwt', /Invalid token/],
    ['a token signed with another secret', async () => `Bearer ${await tokenFor('alice', { secret: 'another-secret-that-is-long-enough-for-hs256' })}`, /Invalid token/],
    ['an expired token', async () => `Bearer ${await tokenFor('alice', { expiresIn: '-1m' })}`, /expired/],
    ['a token without a subject', async () => `Bearer ${await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode('test-secret-that-is-long-enough-for-hs256'))}`, /subject/],
    ['an unsigned token (alg none)', async () => `Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"alice"}').toString('base64url')}.`, /Invalid token/],
    ['a non-Bearer scheme', async () => 'Basic YWxpY2U6c2VjcmV0', /Bearer/],
  ])('answers %s with 401 UNAUTHENTICATED and keeps serving', async (_case, authorization, message) => {
    const response = await server.request(ServerTime, {}, { authorization: await authorization() });
    expect(response.status).toBe(401);
    expect(response.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(response.body.errors?.[0]?.message).toMatch(message);
    expect(response.body.data).toBeUndefined();
    expect((await server.request(ServerTime, {})).status).toBe(200);
  });

  const nowSeconds = () => Math.floor(Date.now() / 1000);
  const signed = (claims: { exp?: number; iat?: number; nbf?: number }) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').sign(new TextEncoder().encode(TEST_JWT_SECRET));

  it.each([
    ['a token without exp', () => signed({ iat: nowSeconds() }), /no valid expiry/],
    ['a token issued ten years ahead', () => signed({ iat: nowSeconds() + 10 * 365 * 86_400, exp: nowSeconds() + 10 * 365 * 86_400 + 3600 }), /issued in the future/],
    ['a token not valid before a time beyond the skew', () => signed({ iat: nowSeconds(), nbf: nowSeconds() + 3600, exp: nowSeconds() + 7200 }), /"nbf"/],
    ['a token living longer than JWT_MAX_LIFETIME_SECONDS', () => signed({ iat: nowSeconds(), exp: nowSeconds() + 2 * 86_400 }), /lives longer/],
    ['a token expiring too far ahead, issued long ago', () => signed({ iat: nowSeconds() - 30 * 86_400, exp: nowSeconds() + 2 * 86_400 }), /lives longer/],
  ])('refuses %s with 401 UNAUTHENTICATED', async (_case, token, message) => {
    const response = await server.request(ServerTime, {}, { authorization: `Bearer ${await token()}` });
    expect(response.status).toBe(401);
    expect(response.body.errors?.[0]).toMatchObject({ message: expect.stringMatching(message), extensions: { code: 'UNAUTHENTICATED' } });
  });

  it('accepts iat slightly ahead, within JWT_CLOCK_SKEW_SECONDS', async () => {
    const response = await server.request(MyRooms, {}, { authorization: `Bearer ${await signed({ iat: nowSeconds() + 30, exp: nowSeconds() + 3600 })}` });
    expect(response.status).toBe(200);
  });

  it('serves /metrics only with the METRICS_TOKEN bearer', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-of-some-length' } })).status).toBe(401);
    const allowed = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` } });
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toMatch(/^# HELP roomcal_calendar_syncs_total/m);
  });

  it('never sends stack traces to clients', async () => {
    const response = await server.request(ServerTime, {}, { authorization: 'Bearer x.y.z' });
    expect(JSON.stringify(response.body)).not.toMatch(/at .*\.ts:\d+/);
  });
});

describe('/metrics without METRICS_TOKEN', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('pglite', { env: { METRICS_TOKEN: '' } });
  });
  afterAll(() => server?.close());

  it('is not served at all', async () => {
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` } })).status).toBe(404);
  });
});

describe('HTTP authentication (JWKS from an OIDC provider)', () => {
  let server: TestServer;
  let jwksServer: Server;
  let privateKey: CryptoKey;
  const issuer = 'https://id.example.com/';

  beforeAll(async () => {
    const keys = await generateKeyPair('RS256');
    privateKey = keys.privateKey;
    const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
    jwksServer = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const { port } = jwksServer.address() as AddressInfo;
    server = await startTestServer('pglite', {
      env: { JWT_SECRET: '', JWT_JWKS_URL: `http://127.0.0.1:${port}/jwks.json`, JWT_ISSUER: issuer, JWT_AUDIENCE: 'roomcal' },
    });
  });
  afterAll(async () => {
    await server?.close();
    jwksServer?.close();
  });

  const sign = (claims: { iss?: string; aud?: string }) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
      .setSubject('oidc-user')
      .setIssuer(claims.iss ?? issuer)
      .setAudience(claims.aud ?? 'roomcal')
      .setExpirationTime('5m')
      .sign(privateKey);

  it('accepts a token signed by a key from the JWKS URL', async () => {
    const response = await server.request(MyRooms, {}, { authorization: `Bearer ${await sign({})}` });
    expect(response.status).toBe(200);
    expect(response.body.data?.rooms.edges).toEqual([]);
  });

  it('refuses a token from another issuer or for another audience', async () => {
    for (const claims of [{ iss: 'https://evil.example.com/' }, { aud: 'someone-else' }]) {
      const response = await server.request(MyRooms, {}, { authorization: `Bearer ${await sign(claims)}` });
      expect(response.status).toBe(401);
      expect(response.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
  });

  it('refuses an HS256 token even when it is signed with a known string', async () => {
    const response = await server.request(MyRooms, {}, { as: 'alice' });
    expect(response.status).toBe(401);
  });
});
