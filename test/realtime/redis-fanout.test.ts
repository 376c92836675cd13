// Several instances behind a load balancer: with REDIS_URL, a subscriber on
// one instance sees the changes made through another, and so does a query
// answered from the other's response cache. Both run on one TestClock that
// stands still, so only the change itself can refresh a cached result.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CreateRoom, RoomByName, RoomUpdated, UpdateRoom } from '../api/operations.js';
import { TestClock } from '../support/clock.js';
import { engines } from '../support/databases.js';
import { startTestServer, tokenFor, wsSubscribe, type TestServer } from '../support/test-server.js';

const redisUrl = inject('redisUrl');

describe.runIf(redisUrl && engines.includes('postgres'))('subscription fan-out through Redis', () => {
  let first: TestServer;
  let second: TestServer;
  const clock = new TestClock(new Date());
  beforeAll(async () => {
    // A Redis database index of its own would be cleaner, but pub/sub ignores
    // indexes: unique room names keep parallel runs apart instead.
    first = await startTestServer('postgres', { clock, env: { REDIS_URL: redisUrl! } });
    second = await startTestServer('postgres', { clock, env: { REDIS_URL: redisUrl!, ...first.databaseEnv } });
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

  it("purges the other instance's cached answer when a change is made on one", async () => {
    const name = `cached-${randomBytes(4).toString('hex')}`;
    await first.request(CreateRoom, { input: { name, ics: { url: 'https://cal.example.com/x/team.ics' } } }, { as: 'alice' });
    const intervalOn = async (server: TestServer) => (await server.request(RoomByName, { name }, { as: 'alice' })).body.data?.room?.ics?.fetchInterval;
    expect(await intervalOn(second)).toBe('EVERY_5_MINUTES');
    expect(await intervalOn(second)).toBe('EVERY_5_MINUTES'); // now answered from second's cache

    await first.request(UpdateRoom, { name, input: { ics: { fetchInterval: 'EVERY_10_MINUTES' } } }, { as: 'alice' });
    // The change reaches second through Redis, a moment after first has answered.
    const deadline = Date.now() + 10_000;
    while ((await intervalOn(second)) !== 'EVERY_10_MINUTES') {
      expect(Date.now(), 'second kept serving the cached room').toBeLessThan(deadline);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });
});
