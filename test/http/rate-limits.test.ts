// Per-client rate limits (README "Limits"), in memory and through Redis:
// mutations per user or per address, the stricter bucket for expensive
// mutations, WebSocket connections per address and operations per connection.
// Each refusal says RATE_LIMITED with retryAfterSeconds, over HTTP with 429
// and Retry-After. Limits do not touch storage, so one engine is enough.
import { randomUUID } from 'node:crypto';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { CreateRoom, DeleteRoom, ServerTime, UpdateRoom } from '../api/operations.js';
import { startTestServer, tokenFor, wsExecute, type TestServer } from '../support/test-server.js';

const WINDOW_SECONDS = 60;
const redisUrl = inject('redisUrl');
const stores = redisUrl ? (['memory', 'redis'] as const) : (['memory'] as const);

describe.each(stores)('rate limits (%s)', (store) => {
  let server: TestServer;
  // Counters in Redis outlive a run: each run counts under keys of its own.
  const run = randomUUID();
  const user = (name: string) => `${name}-${run}`;

  beforeAll(async () => {
    server = await startTestServer('pglite', {
      env: {
        RATE_LIMIT_MUTATIONS: '4',
        RATE_LIMIT_EXPENSIVE_MUTATIONS: '2',
        RATE_LIMIT_SUBSCRIPTIONS: '2',
        RATE_LIMIT_WINDOW_SECONDS: String(WINDOW_SECONDS),
        ...(store === 'redis' ? { REDIS_URL: redisUrl!, RATE_LIMIT_REDIS_PREFIX: `roomcal-test:${run}` } : {}),
      },
    });
  });
  afterAll(() => server?.close());

  /** A raw POST, to read the status and Retry-After header. */
  async function mutate(query: string, variables: Record<string, unknown>, as?: string) {
    const response = await fetch(server.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(as ? { authorization: `Bearer ${await tokenFor(as)}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: unknown; errors?: Array<{ extensions?: Record<string, unknown> }> };
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body };
  }

  const expectRateLimited = (response: Awaited<ReturnType<typeof mutate>>) => {
    expect(response.status).toBe(429);
    const extensions = response.body.errors?.[0]?.extensions;
    expect(extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
    expect(extensions?.http).toBeUndefined();
    const seconds = extensions?.retryAfterSeconds as number;
    expect(seconds).toBeGreaterThanOrEqual(1);
    expect(seconds).toBeLessThanOrEqual(WINDOW_SECONDS);
    expect(response.retryAfter).toBe(String(seconds));
    expect(response.body.data).toBeUndefined();
  };

  // Mutations answer a union (README "GraphQL API"): select the member's typename.
  const updateRoom = 'mutation ($name: String!) { updateRoom(name: $name, input: {}) { __typename } }';
  const createRoom = 'mutation ($name: String!) { createRoom(input: { name: $name }) { __typename } }';

  it('limits mutations per signed-in user, each user on their own', async () => {
    const alice = user('alice');
    for (let i = 0; i < 4; i++) expect((await mutate(updateRoom, { name: 'nowhere' }, alice)).status).not.toBe(429);
    expectRateLimited(await mutate(updateRoom, { name: 'nowhere' }, alice));
    // Queries are not counted, and another user has a bucket of their own.
    expect((await server.request(ServerTime, {}, { as: alice })).status).toBe(200);
    expect((await mutate(updateRoom, { name: 'nowhere' }, user('bob'))).status).not.toBe(429);
  });

  it('counts every root field of one operation, and refuses the operation whole', async () => {
    const carol = user('carol');
    const two = 'mutation { a: deleteRoom(name: "nowhere-a") { __typename } b: deleteRoom(name: "nowhere-b") { __typename } }';
    expect((await mutate(two, {}, carol)).status).not.toBe(429);
    expect((await mutate(two, {}, carol)).status).not.toBe(429);
    expectRateLimited(await mutate(two, {}, carol));
  });

  it('limits expensive mutations (createRoom, createMeeting, testIcsUrl) more strictly', async () => {
    const dave = user('dave');
    for (const i of [1, 2]) {
      const created = await mutate(createRoom, { name: `dave-${i}-${run.slice(0, 8)}` }, dave);
      expect(created.body.errors).toBeUndefined();
      expect(created.body.data).toEqual({ createRoom: { __typename: 'CreateRoomSuccess' } });
    }
    expectRateLimited(await mutate(createRoom, { name: `dave-3-${run.slice(0, 8)}` }, dave));
    // Cheap mutations still have room in the general bucket.
    expect((await mutate(updateRoom, { name: `dave-1-${run.slice(0, 8)}` }, dave)).body).toEqual({ data: { updateRoom: { __typename: 'UpdateRoomSuccess' } } });
  });

  it('limits anonymous callers per address, over graphql-ws too', async () => {
    // Anonymous mutations are refused by the schema, but each one is counted first.
    const anonymousBefore = await server.request(DeleteRoom, { name: 'nowhere' });
    expect(anonymousBefore.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    for (let i = 0; i < 3; i++) await mutate(updateRoom, { name: 'nowhere' });
    expectRateLimited(await mutate(updateRoom, { name: 'nowhere' }));

    // The same user bucket applies to mutations sent over a WebSocket.
    const erin = user('erin');
    const socket = server.wsClient({ authorization: `Bearer ${await tokenFor(erin)}` });
    for (let i = 0; i < 2; i++) expect((await wsExecute(socket, UpdateRoom, { name: 'nowhere', input: {} })).errors?.[0]?.extensions?.code).not.toBe('RATE_LIMITED');
    for (let i = 0; i < 2; i++) await mutate(updateRoom, { name: 'nowhere' }, erin);
    const refused = await wsExecute(server.wsClient({ authorization: `Bearer ${await tokenFor(erin)}` }), CreateRoom, { input: { name: 'never-made' } });
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
    expect(refused.errors?.[0]?.extensions?.http).toBeUndefined();
  });

  it('limits operations per WebSocket connection', async () => {
    // One connection held open for all three operations (the helper's clients reconnect lazily).
    const client = createClient({ url: server.wsUrl, webSocketImpl: WebSocket, lazy: false, retryAttempts: 0, onNonLazyError: () => {} });
    try {
      expect((await wsExecute(client, ServerTime, {})).data?.serverTime).toBeTruthy();
      expect((await wsExecute(client, ServerTime, {})).data?.serverTime).toBeTruthy();
      const refused = await wsExecute(client, ServerTime, {}).then(
        () => null,
        (errors: Array<{ extensions?: Record<string, unknown> }>) => errors[0]?.extensions,
      );
      expect(refused).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
      expect(refused?.http).toBeUndefined();
    } finally {
      await client.dispose();
    }
    // A fresh connection has a fresh allowance.
    expect((await wsExecute(server.wsClient(), ServerTime, {})).data?.serverTime).toBeTruthy();
  });
});

describe.each(stores)('WebSocket connections per address (%s)', (store) => {
  let server: TestServer;
  const run = randomUUID();
  const sockets: WebSocket[] = [];
  beforeAll(async () => {
    server = await startTestServer('pglite', {
      env: {
        RATE_LIMIT_WEBSOCKET_CONNECTIONS: '2',
        ...(store === 'redis' ? { REDIS_URL: redisUrl!, RATE_LIMIT_REDIS_PREFIX: `roomcal-test:${run}` } : {}),
      },
    });
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await server?.close();
  });

  /** Opens a raw socket; resolves with the HTTP status of a refused upgrade, or 101. */
  const connect = () =>
    new Promise<{ status?: number; retryAfter?: string | string[] }>((resolve) => {
      const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws');
      sockets.push(socket);
      socket.on('unexpected-response', (_request, res) => resolve({ status: res.statusCode, retryAfter: res.headers['retry-after'] }));
      socket.on('open', () => resolve({ status: 101 }));
      socket.on('error', () => {});
    });

  it('refuses connections over the limit at the upgrade with 429 and Retry-After', async () => {
    expect(await connect()).toEqual({ status: 101 });
    expect(await connect()).toEqual({ status: 101 });
    const refused = await connect();
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
  });
});

describe('rate limits behind a reverse proxy (TRUST_PROXY)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('pglite', { env: { TRUST_PROXY: 'true', RATE_LIMIT_MUTATIONS: '1' } });
  });
  afterAll(() => server?.close());

  const mutateFrom = async (forwardedFor: string) =>
    (
      await fetch(server.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
        body: JSON.stringify({ query: 'mutation { deleteRoom(name: "nowhere") { __typename } }' }),
      })
    ).status;

  it('counts anonymous callers by the address the proxy appended, whatever the client wrote before it', async () => {
    expect(await mutateFrom('198.51.100.1, 203.0.113.5')).not.toBe(429);
    expect(await mutateFrom('198.51.100.2, 203.0.113.5')).toBe(429);
    expect(await mutateFrom('203.0.113.6')).not.toBe(429);
  });
});
