// What an operator relies on: Prometheus metrics, readiness that follows the
// database, internal errors masked for clients, and the dev token command.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateRoom, RoomByName, RoomUpdated, UpdateRoom } from '../api/operations.js';
import { TestClock } from '../support/clock.js';
import { icsCalendar, startFeedServer, type FeedServer } from '../support/feed-server.js';
import { resultAs } from '../support/results.js';
import { startTestServer, TEST_METRICS_TOKEN, tokenFor, wsSubscribe, type TestServer } from '../support/test-server.js';
import { EnableCalendar, SyncRoomCalendar } from '../sync/operations.js';

const T0 = new Date('2026-12-01T09:00:00Z');

async function metric(server: TestServer, line: RegExp): Promise<number | undefined> {
  const text = await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` } })).text();
  const match = text.split('\n').find((candidate) => line.test(candidate));
  return match === undefined ? undefined : Number(match.split(' ').at(-1));
}

describe('operations', () => {
  let server: TestServer;
  let feeds: FeedServer;
  const clock = new TestClock(T0);
  beforeAll(async () => {
    feeds = await startFeedServer();
    server = await startTestServer('pglite', {
      clock,
      env: { ICS_ALLOW_HTTP: 'true', ICS_ALLOW_PRIVATE_NETWORKS: 'true', SYNC_ENABLED: 'false' },
    });
  });
  afterAll(async () => {
    await server?.close();
    await feeds?.close();
  });

  it('exposes sync outcomes, durations and lag on /metrics', async () => {
    feeds.serve('/ops.ics', { body: icsCalendar([]) });
    await server.request(CreateRoom, { input: { name: 'ops' } }, { as: 'owner' });
    await server.request(EnableCalendar, { name: 'ops', url: feeds.url('/ops.ics') }, { as: 'owner' });
    clock.advance(120_000); // the room became due at T0: now 120 s overdue
    expect(await metric(server, /^roomcal_calendar_sync_lag_seconds /)).toBe(120);

    await server.request(SyncRoomCalendar, { roomName: 'ops' }, { as: 'owner' });
    expect(await metric(server, /^roomcal_calendar_syncs_total\{status="SUCCESS"\}/)).toBe(1);
    expect(await metric(server, /^roomcal_calendar_sync_duration_seconds_count/)).toBe(1);
    expect(await metric(server, /^roomcal_calendar_sync_lag_seconds /)).toBe(0);
    expect(await metric(server, /^process_cpu_user_seconds_total/)).toBeGreaterThan(0);
  });

  it('counts open subscriptions until they end', async () => {
    const client = server.wsClient({ authorization: `Bearer ${await tokenFor('owner', { now: clock.now(), expiresIn: '12h' })}` });
    const stream = wsSubscribe(client, RoomUpdated, { name: 'ops' });
    await server.waitForSubscribers('room:updated', 1);
    // A change the server accepts (WHEREBY is refused without WHEREBY_API_KEY, and a refused change publishes nothing).
    const updated = await server.request(UpdateRoom, { name: 'ops', input: { meetingStartPolicy: 'SIGNED_IN' } }, { as: 'owner' });
    resultAs(updated.body.data?.updateRoom, 'UpdateRoomSuccess');
    const [payload] = await stream.waitFor(1);
    expect(payload?.data?.roomUpdated?.name).toBe('ops');
    stream.unsubscribe();
    await expect.poll(() => metric(server, /^roomcal_active_subscriptions\{topic="room:updated"\}/)).toBe(0);
  });

  it('mints a development token that the server accepts, printing only the token (npm run -s token)', async () => {
    const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
    clock.set(new Date()); // the script signs with the real time, and the server checks exp on its clock
    const { stdout } = await promisify(execFile)('npm', ['run', '--silent', 'token', '--', '--sub', 'dev-user'], {
      cwd: projectRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATA_DIR: server.app.services.config.dataDir, JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256' },
    });
    expect(stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const created = await server.request(CreateRoom, { input: { name: 'dev-room' } }, { authorization: `Bearer ${stdout.trim()}` });
    expect(created.body.data?.createRoom).toMatchObject({ __typename: 'CreateRoomSuccess', room: { name: 'dev-room', isOwner: true } });
  });

  it('counts GraphQL operations, their latency and response cache hits on /metrics', async () => {
    await server.request(RoomByName, { name: 'ops' });
    await server.request(RoomByName, { name: 'ops' }); // the same question on the same clock: answered from the cache
    expect(await metric(server, /^graphql_envelop_request_duration_count\{operationName="RoomByName"/)).toBeGreaterThanOrEqual(1);
    expect(await metric(server, /^graphql_envelop_request\{operationName="RoomByName"/)).toBeGreaterThanOrEqual(1);
    expect(await metric(server, /^roomcal_graphql_response_cache_hits_total /)).toBeGreaterThanOrEqual(1);
  });

  it('serves GraphiQL from the installed package, with nothing loaded from a CDN', async () => {
    const page = await (await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } })).text();
    expect(page).toContain('<title>roomcal</title>');
    expect(page).toContain('YogaGraphiQL.renderYogaGraphiQL');
    expect(page).not.toMatch(/<(script|link)[^>]+(src|href)="https?:/);
  });

  it('allows no cross-origin browser calls unless CORS_ORIGINS names the origin, and never with credentials', async () => {
    const preflight = (url: string, origin: string) =>
      fetch(`${url}/graphql`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
      });
    const closed = await preflight(server.url, 'https://evil.example');
    expect(closed.headers.get('access-control-allow-origin')).toBeNull();

    const open = await startTestServer('pglite', { env: { CORS_ORIGINS: 'https://app.example.com, https://admin.example.com' } });
    try {
      const allowed = await preflight(open.url, 'https://admin.example.com');
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://admin.example.com');
      expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();
      const other = await preflight(open.url, 'https://evil.example');
      expect(other.headers.get('access-control-allow-origin')).not.toBe('https://evil.example');
    } finally {
      await open.close();
    }
  });

  it('masks internal errors for clients and reports not-ready when the database is gone', async () => {
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);
    await server.app.database.close();
    clock.advance(60_000); // past the response cache's slot: the query runs against the closed database
    const response = await server.request(RoomByName, { name: 'ops' });
    expect(response.body.errors?.[0]?.message).toBe('Unexpected error.');
    expect(JSON.stringify(response.body)).not.toMatch(/prisma|pglite|stack/i);
    expect((await fetch(`${server.url}/ready`)).status).toBe(503);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});
