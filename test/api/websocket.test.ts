// graphql-ws on the same port and path as HTTP: authentication in
// connection_init, and the same field-level rules as over HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/databases.js';
import { startTestServer, tokenFor, wsExecute, wsSubscribe, type TestServer } from '../support/test-server.js';
import { CreateRoom, RoomByName, RoomUpdated, UpdateRoom } from './operations.js';

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
