// Subscribers of the same operation share one execution per viewer: owner-only
// fields must still reach the owner only, whoever subscribed first, and
// subscribers that come and go must not disturb the others.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/databases.js';
import { startTestServer, tokenFor, wsSubscribe, type TestServer } from '../support/test-server.js';
import { CreateRoom, RoomUpdated, UpdateRoom } from '../api/operations.js';

const OWNER_VIEW = { name: 'board', platform: 'LOCAL', ics: { url: 'https://cal.example.com/…/board.ics', fetchIntervalSeconds: 1800 } };
const PUBLIC_VIEW = { name: 'board', platform: 'LOCAL', ics: null };

describe.each(engines)('one subscription shared by its subscribers on %s', (engine) => {
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

  const connect = async (user?: string) => server.wsClient(user ? { authorization: `Bearer ${await tokenFor(user)}` } : undefined);
  const changeInterval = async (fetchInterval: 'EVERY_10_MINUTES' | 'EVERY_30_MINUTES') =>
    expect((await server.request(UpdateRoom, { name: 'board', input: { ics: { fetchInterval } } }, { as: 'alice' })).body.errors).toBeUndefined();

  it('gives owner-only fields to the owner only, whichever audience subscribed first', async () => {
    // A non-owner subscribes first, then the owner, then more of both, all with the same operation.
    const subscribers = [
      { who: 'anonymous', stream: wsSubscribe(await connect(), RoomUpdated, { name: 'board' }) },
      { who: 'alice', stream: wsSubscribe(await connect('alice'), RoomUpdated, { name: 'board' }) },
      { who: 'bob', stream: wsSubscribe(await connect('bob'), RoomUpdated, { name: 'board' }) },
      { who: 'anonymous', stream: wsSubscribe(await connect(), RoomUpdated, { name: 'board' }) },
      { who: 'alice', stream: wsSubscribe(await connect('alice'), RoomUpdated, { name: 'board' }) },
    ];
    await server.waitForSubscribers('room:updated', subscribers.length);

    await changeInterval('EVERY_30_MINUTES');
    for (const { who, stream } of subscribers) {
      const [event] = await stream.waitFor(1);
      expect(event?.errors).toBeUndefined();
      expect(event?.data?.roomUpdated, who).toEqual(who === 'alice' ? OWNER_VIEW : PUBLIC_VIEW);
    }
    for (const { stream } of subscribers) stream.unsubscribe();
    await server.waitForSubscribers('room:updated', 0);
  });

  it('keeps delivering to the others when the first subscriber leaves, and to latecomers from when they joined', async () => {
    const first = wsSubscribe(await connect(), RoomUpdated, { name: 'board' });
    const second = wsSubscribe(await connect(), RoomUpdated, { name: 'board' });
    await server.waitForSubscribers('room:updated', 2);
    await changeInterval('EVERY_10_MINUTES');
    await first.waitFor(1);
    await second.waitFor(1);

    first.unsubscribe();
    await server.waitForSubscribers('room:updated', 1);
    const latecomer = wsSubscribe(await connect(), RoomUpdated, { name: 'board' });
    await server.waitForSubscribers('room:updated', 2);
    await changeInterval('EVERY_30_MINUTES');

    const [, secondEvent] = await second.waitFor(2);
    const [latecomerEvent] = await latecomer.waitFor(1);
    expect(secondEvent?.data?.roomUpdated).toEqual(PUBLIC_VIEW);
    expect(latecomerEvent?.data?.roomUpdated).toEqual(PUBLIC_VIEW);
    expect(latecomer.received).toHaveLength(1);
    expect(first.received).toHaveLength(1);
    second.unsubscribe();
    latecomer.unsubscribe();
  });
});
