// Several instances behind a load balancer: with REDIS_URL, a subscriber on
// one instance sees the changes made through another.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CreateRoom, RoomUpdated, UpdateRoom } from '../api/operations.js';
import { engines } from '../support/databases.js';
import { startTestServer, tokenFor, wsSubscribe, type TestServer } from '../support/test-server.js';

const redisUrl = inject('redisUrl');

describe.runIf(redisUrl && engines.includes('postgres'))('subscription fan-out through Redis', () => {
  let first: TestServer;
  let second: TestServer;
  beforeAll(async () => {
    // A Redis database index of its own would be cleaner, but pub/sub ignores
    // indexes: unique room names keep parallel runs apart instead.
    first = await startTestServer('postgres', { env: { REDIS_URL: redisUrl! } });
    second = await startTestServer('postgres', { env: { REDIS_URL: redisUrl!, ...first.databaseEnv } });
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  it('delivers a change made on one instance to a subscriber on the other, owner fields intact', async () => {
    const name = `fanout-${randomBytes(4).toString('hex')}`;
    await first.request(CreateRoom, { input: { name, ics: { url: 'https://cal.example.com/x/team.ics' } } }, { as: 'alice' });
    const client = second.wsClient({ authorization: `Bearer ${await tokenFor('alice')}` });
    const stream = wsSubscribe(client, RoomUpdated, { name });
    await second.waitForSubscribers('room:updated', 1);
    await new Promise((resolve) => setTimeout(resolve, 200)); // then Redis's SUBSCRIBE round trip

    await first.request(UpdateRoom, { name, input: { ics: { fetchInterval: 'EVERY_10_MINUTES' } } }, { as: 'alice' });
    const [event] = await stream.waitFor(1);
    expect(event?.data?.roomUpdated).toEqual({ name, platform: 'LOCAL', ics: { url: 'https://cal.example.com/…/team.ics', fetchIntervalSeconds: 600 } });
    stream.unsubscribe();
  });
});
