// graphql-ws on the same port and path as HTTP: authentication in
// connection_init, and the same field-level rules as over HTTP.
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { TestClock } from '../support/clock.js';
import { engines } from '../support/databases.js';
import { startTestServer, tokenFor, wsExecute, wsSubscribe, type TestServer } from '../support/test-server.js';
import { CreateRoom, RoomByName, RoomUpdated, ServerTime, UpdateRoom } from './operations.js';

describe.each(engines)('graphql-ws on %s', (engine) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(engine);
    await server.request(
      CreateRoom,
      { input: { name: 'board', ics: { url: 'https://cal.example.com/secret-token/board.ics' } } },
      { as: 'alice' },
    );
  });
  afterAll(() => server?.close());

  it('shows ICS settings to the owner only, as over HTTP', async () => {
    const owner = server.wsClient({ authorization: `Bearer ${await tokenFor('alice')}` });
    const other = server.wsClient({ authorization: `Bearer ${await tokenFor('bob')}` });
    const anonymous = server.wsClient();

    const asOwner = await wsExecute(owner, RoomByName, { name: 'board' });
    expect(asOwner.data?.room).toMatchObject({ isOwner: true, ics: { url: 'https://cal.example.com/…/board.ics' } });
    for (const client of [other, anonymous]) {
      const result = await wsExecute(client, RoomByName, { name: 'board' });
      expect(result.errors).toBeUndefined();
      expect(result.data?.room).toMatchObject({ name: 'board', isOwner: false, ics: null });
    }
  });

  it('publishes room changes, with owner-only fields hidden from other subscribers', async () => {
    const owner = server.wsClient({ authorization: `Bearer ${await tokenFor('alice')}` });
    const viewer = server.wsClient();
    const ownerStream = wsSubscribe(owner, RoomUpdated, { name: 'board' });
    const viewerStream = wsSubscribe(viewer, RoomUpdated, { name: 'board' });
    await server.waitForSubscribers('room:updated', 2);

    await server.request(UpdateRoom, { name: 'board', input: { ics: { fetchInterval: 'EVERY_30_MINUTES' } } }, { as: 'alice' });
    const [ownerEvent] = await ownerStream.waitFor(1);
    const [viewerEvent] = await viewerStream.waitFor(1);
    expect(ownerEvent?.data?.roomUpdated).toEqual({
      name: 'board',
      platform: 'LOCAL',
      ics: { url: 'https://cal.example.com/…/board.ics', fetchIntervalSeconds: 1800 },
    });
    expect(viewerEvent?.data?.roomUpdated).toEqual({ name: 'board', platform: 'LOCAL', ics: null });
    ownerStream.unsubscribe();
    viewerStream.unsubscribe();
  });

  it('answers a subscription to an unknown room with NOT_FOUND', async () => {
    const stream = wsSubscribe(server.wsClient(), RoomUpdated, { name: 'nowhere' });
    const [event] = await stream.waitFor(1);
    expect(event?.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it.each([
    ['an invalid token', { authorization: 'Bearer invalid' }],
    ['an expired token', { authorization: 'Bearer EXPIRED' }],
  ])('refuses a connection with %s (close code 4403) and keeps serving', async (_case, params) => {
    const authorization = params.authorization === 'Bearer EXPIRED' ? `Bearer ${await tokenFor('alice', { expiresIn: '-1m' })}` : params.authorization;
    const client = server.wsClient({ authorization });
    const failure = await wsExecute(client, RoomByName, { name: 'board' }).then(
      () => 'connected',
      (error: { code?: number }) => error.code,
    );
    expect(failure).toBe(4403);
    const still = await wsExecute(server.wsClient(), RoomByName, { name: 'board' });
    expect(still.data?.room?.name).toBe('board');
  });
});

// A connection lives no longer than its token: closed with 4403 when it expires.
describe('graphql-ws and token expiry', () => {
  let server: TestServer;
  const clock = new TestClock(new Date());
  beforeAll(async () => {
    server = await startTestServer('pglite', { clock });
  });
  afterAll(() => server?.close());

  /** A connection held open (not lazy), and the close event it ends with. */
  function connect(token: string) {
    let closed!: (event: { code: number; reason: string }) => void;
    const closedEvent = new Promise<{ code: number; reason: string }>((resolve) => (closed = resolve));
    const client = createClient({
      url: server.wsUrl,
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      onNonLazyError: () => {}, // the close event is asserted instead
      connectionParams: { authorization: `Bearer ${token}` },
      on: { closed: (event) => closed(event as { code: number; reason: string }) },
    });
    return { client, closedEvent };
  }

  it('runs no operation once the token has expired on the server clock', async () => {
    const { client, closedEvent } = connect(await tokenFor('alice', { now: clock.now(), expiresIn: '60s' }));
    try {
      expect((await wsExecute(client, ServerTime, {})).data?.serverTime).toBeTruthy();
      clock.advance(61_000);
      await expect(wsExecute(client, CreateRoom, { input: { name: 'after-expiry' } })).rejects.toBeDefined();
      expect(await closedEvent).toMatchObject({ code: 4403, reason: 'Token expired' });
      expect((await server.request(RoomByName, { name: 'after-expiry' })).body.data?.room).toBeNull();
    } finally {
      await client.dispose();
    }
  });

  it('closes an idle connection when its token expires', async () => {
    const { client, closedEvent } = connect(await tokenFor('alice', { now: clock.now(), expiresIn: '1s' }));
    try {
      expect((await wsExecute(client, ServerTime, {})).data?.serverTime).toBeTruthy();
      expect(await closedEvent).toMatchObject({ code: 4403, reason: 'Token expired' });
    } finally {
      await client.dispose();
    }
  });
});
