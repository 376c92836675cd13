// What an operator relies on: Prometheus metrics, readiness that follows the
// database, internal errors masked for clients, and the dev token command.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateRoom, RoomByName, RoomUpdated, UpdateRoom } from '../api/operations.js';
import { TestClock } from '../support/clock.js';
import { icsCalendar, startFeedServer, type FeedServer } from '../support/feed-server.js';
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
    await server.request(UpdateRoom, { name: 'ops', input: { platform: 'WHEREBY' } }, { as: 'owner' });
    await stream.waitFor(1);
    stream.unsubscribe();
    await expect.poll(() => metric(server, /^roomcal_active_subscriptions\{topic="room:updated"\}/)).toBe(0);
  });

  it('mints a development token that the server accepts (npm run token)', async () => {
    const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
    clock.set(new Date()); // the script signs with the real time, and the server checks exp on its clock
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/mint-token.ts', '--sub', 'dev-user'], {
      cwd: projectRoot,
      env: { PATH: process.env.PATH ?? '', DATA_DIR: server.app.services.config.dataDir, JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256' },
    });
    const created = await server.request(CreateRoom, { input: { name: 'dev-room' } }, { authorization: `Bearer ${stdout.trim()}` });
    expect(created.body.data?.createRoom).toMatchObject({ name: 'dev-room', isOwner: true });
  });

  it('masks internal errors for clients and reports not-ready when the database is gone', async () => {
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);
    await server.app.database.close();
    const response = await server.request(RoomByName, { name: 'ops' });
    expect(response.body.errors?.[0]?.message).toBe('Unexpected error.');
    expect(JSON.stringify(response.body)).not.toMatch(/prisma|pglite|stack/i);
    expect((await fetch(`${server.url}/ready`)).status).toBe(503);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});
