// The background scheduler sleeps until the next room is due instead of
// polling; a change of a room's schedule wakes it at once. Here its longest
// sleep is an hour, so only the wake can explain a sync within the test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateRoom } from '../api/operations.js';
import { TestClock } from '../support/clock.js';
import { engines } from '../support/databases.js';
import { icsCalendar, startFeedServer, type FeedServer } from '../support/feed-server.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { EnableCalendar, RoomCalendar } from './operations.js';

const T0 = new Date('2026-12-01T09:00:00Z');
const HOUR = 3_600_000;

describe.each(engines)('the sync scheduler on %s', (engine) => {
  let server: TestServer;
  let feeds: FeedServer;
  const clock = new TestClock(T0);

  beforeAll(async () => {
    feeds = await startFeedServer();
    server = await startTestServer(engine, {
      clock,
      env: { ICS_ALLOW_HTTP: 'true', ICS_ALLOW_PRIVATE_NETWORKS: 'true', SYNC_ENABLED: 'true', SYNC_POLL_INTERVAL_MS: String(HOUR) },
    });
  });
  afterAll(async () => {
    await server?.close();
    await feeds?.close();
  });

  it('syncs a room as soon as its owner enables the calendar, without waiting for a poll', async () => {
    feeds.serve('/woken.ics', {
      body: icsCalendar([{ uid: 'a@x', summary: 'Planning', start: new Date(T0.getTime() + HOUR), end: new Date(T0.getTime() + 2 * HOUR), location: 'https://rooms.example.com/woken' }]),
    });
    await server.request(CreateRoom, { input: { name: 'woken' } }, { as: 'owner' });
    await server.request(EnableCalendar, { name: 'woken', url: feeds.url('/woken.ics') }, { as: 'owner' });
    await expect
      .poll(async () => (await server.request(RoomCalendar, { name: 'woken' }, { as: 'owner' })).body.data?.room?.ics?.lastStatus, { timeout: 20_000 })
      .toBe('SUCCESS');
    expect(feeds.requests('/woken.ics')).toHaveLength(1);
  });
});
