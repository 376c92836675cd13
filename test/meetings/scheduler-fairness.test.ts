// One room with thousands of running events must not hold up another room's
// meeting: the scheduler pre-creates and provisions a bounded number of
// meetings per room per tick, earliest start first, and announces starts first.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateRoom } from '../api/operations.js';
import { MEETINGS_PER_ROOM_PER_TICK } from '../../src/meetings/meeting-scheduler.js';
import { TestClock } from '../support/clock.js';
import { engines } from '../support/databases.js';
import { icsCalendar, startFeedServer, type FeedServer, type IcsEventSpec } from '../support/feed-server.js';
import { startTestServer, wsSubscribe, type TestServer } from '../support/test-server.js';
import { EnableCalendar, SyncRoomCalendar } from '../sync/operations.js';
import { MeetingStarted } from './operations.js';

const day = (time: string) => new Date(`2026-12-01T${time}Z`);
const CROWDED_EVENTS = 2_000;

describe.each(engines)('meeting scheduler fairness on %s', (engine) => {
  let server: TestServer;
  let feeds: FeedServer;
  const clock = new TestClock(day('09:00:00'));

  async function roomWithCalendar(room: string, events: IcsEventSpec[]) {
    feeds.serve(`/${room}.ics`, { body: icsCalendar(events) });
    await server.request(CreateRoom, { input: { name: room } }, { as: 'owner' });
    await server.request(EnableCalendar, { name: room, url: feeds.url(`/${room}.ics`) }, { as: 'owner' });
    const synced = await server.request(SyncRoomCalendar, { roomName: room }, { as: 'owner' });
    expect(synced.body.data?.syncRoomCalendar.status).toBe('SUCCESS');
    expect(await server.app.services.db.calendarEvent.count({ where: { room: { name: room } } })).toBe(events.length);
  }

  beforeAll(async () => {
    feeds = await startFeedServer();
    server = await startTestServer(engine, {
      clock,
      env: { ICS_ALLOW_HTTP: 'true', ICS_ALLOW_PRIVATE_NETWORKS: 'true', SYNC_ENABLED: 'false', MEETINGS_ENABLED: 'false', MANUAL_SYNC_MIN_INTERVAL_SECONDS: '0' },
    });
    // Thousands of events running now (each a slot of its own), all started before the quiet room's.
    const crowded = Array.from({ length: CROWDED_EVENTS }, (_, i) => ({
      uid: `busy-${i}`,
      summary: `Busy ${i}`,
      start: new Date(day('08:00:00').getTime() + i * 1000),
      end: new Date(day('10:00:00').getTime() + i * 1000),
      location: 'https://rooms.example.com/crowded',
    }));
    await roomWithCalendar('crowded', crowded);
    await roomWithCalendar('quiet', [{ uid: 'talk', summary: 'Talk', start: day('09:01:00'), end: day('09:30:00'), location: 'https://rooms.example.com/quiet' }]);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await feeds?.close();
  });

  it("announces the quiet room's start in the tick at its start, while the crowded room catches up a few meetings per tick", async () => {
    const { db, meetings } = server.app.services;
    const quietStarts = wsSubscribe(server.wsClient(), MeetingStarted, { roomName: 'quiet' });
    await server.waitForSubscribers('room:meeting-started', 1);
    const provisionedIn = (room: string) => db.meeting.findMany({ where: { room: { name: room }, roomUrl: { not: null } }, orderBy: { startDate: 'asc' }, select: { startDate: true } });

    // 09:00, the quiet talk is within the pre-creation lead: it gets its meeting in this tick,
    // though the crowded room has thousands of meetings due before it.
    await meetings.tick();
    expect(await provisionedIn('quiet')).toHaveLength(1);
    const crowdedFirst = await provisionedIn('crowded');
    expect(crowdedFirst.map((m) => m.startDate)).toEqual(
      Array.from({ length: MEETINGS_PER_ROOM_PER_TICK }, (_, i) => new Date(day('08:00:00').getTime() + i * 1000)),
    );
    // The crowded room's running meetings are announced as they become ready, not the quiet one yet.
    expect(await db.meeting.count({ where: { room: { name: 'quiet' }, startedAnnouncedAt: { not: null } } })).toBe(0);

    // 09:01: the first tick at the quiet talk's start announces it.
    clock.set(day('09:01:00'));
    await meetings.tick();
    const [started] = await quietStarts.waitFor(1);
    expect(started?.data?.meetingStarted).toMatchObject({ title: 'Talk', startDate: day('09:01:00').toISOString() });
    expect(await provisionedIn('crowded')).toHaveLength(2 * MEETINGS_PER_ROOM_PER_TICK);
    quietStarts.unsubscribe();
  });
});
