// Redis goes away under a running server and comes back: the server stays up,
// says on /ready that Redis is the problem, keeps answering queries, refuses
// new subscriptions with a clear error, and recovers by itself.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateRoom, RoomUpdated, UpdateRoom } from '../api/operations.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';
import { startTestServer, tokenFor, wsExecute, wsSubscribe, type TestServer } from '../support/test-server.js';

async function readiness(server: TestServer): Promise<{ status: number; body: { status: string } }> {
  const response = await fetch(`${server.url}/ready`);
  return { status: response.status, body: (await response.json()) as { status: string } };
}

/** Polls /ready until it answers `status`; ioredis retries every 2 s at most, so 30 s is plenty. */
async function waitForReadiness(server: TestServer, status: number): Promise<{ status: string }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const answer = await readiness(server);
    if (answer.status === status) return answer.body;
    if (Date.now() > deadline) throw new Error(`/ready still answers ${answer.status} ${JSON.stringify(answer.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('a Redis outage', () => {
  let redis: TestRedis;
  let server: TestServer;
  beforeAll(async () => {
    redis = await startTestRedis();
    server = await startTestServer('pglite', { env: { REDIS_URL: redis.url } });
  });
  afterAll(async () => {
    await server?.close();
    await redis?.stop();
  });

  it('is reported on /ready, refuses new subscriptions clearly, keeps queries working, and heals', async () => {
    const name = `outage-${randomBytes(4).toString('hex')}`;
    await server.request(CreateRoom, { input: { name, ics: { url: 'https://cal.example.com/team.ics' } } }, { as: 'alice' });
    await waitForReadiness(server, 200);
    const client = server.wsClient({ authorization: `Bearer ${await tokenFor('alice')}` });
    const open = wsSubscribe(client, RoomUpdated, { name });
    await server.waitForSubscribers('room:updated', 1);

    await redis.stop();
    expect(await waitForReadiness(server, 503)).toEqual({ status: 'redis unreachable' });
    const update = await server.request(UpdateRoom, { name, input: { ics: { fetchInterval: 'EVERY_10_MINUTES' } } }, { as: 'alice' });
    expect(update.body.errors).toBeUndefined();
    const refused = await wsExecute(server.wsClient({ authorization: `Bearer ${await tokenFor('alice')}` }), RoomUpdated, { name });
    expect(refused.errors?.[0]).toMatchObject({ message: expect.stringMatching(/Redis/), extensions: { code: 'SERVICE_UNAVAILABLE' } });

    await redis.start();
    await waitForReadiness(server, 200);
    // The subscription opened before the outage is served again: ioredis
    // re-subscribes on reconnect. Its SUBSCRIBE may reach Redis just after an
    // update's PUBLISH, so updates repeat until one arrives.
    const deadline = Date.now() + 30_000;
    for (let round = 0; open.received.length === 0 && Date.now() < deadline; round++) {
      const fetchInterval = round % 2 === 0 ? 'EVERY_30_MINUTES' : 'EVERY_5_MINUTES';
      const again = await server.request(UpdateRoom, { name, input: { ics: { fetchInterval } } }, { as: 'alice' });
      expect(again.body.errors).toBeUndefined();
      await Promise.race([open.waitFor(1), new Promise((resolve) => setTimeout(resolve, 200))]);
    }
    expect(open.received[0]?.data?.roomUpdated).toMatchObject({ name });
    open.unsubscribe();
  });

  it('does not stop a server from starting: it serves queries, reports Redis on /ready, and heals once Redis is up', async () => {
    const later = await startTestRedis();
    await later.stop();
    const early = await startTestServer('pglite', { env: { REDIS_URL: later.url } });
    try {
      expect(await readiness(early)).toEqual({ status: 503, body: { status: 'redis unreachable' } });
      const created = await early.request(CreateRoom, { input: { name: `early-${randomBytes(4).toString('hex')}` } }, { as: 'alice' });
      expect(created.body.errors).toBeUndefined();
      await later.start();
      await waitForReadiness(early, 200);
    } finally {
      await early.close();
      await later.stop();
    }
  });
});
