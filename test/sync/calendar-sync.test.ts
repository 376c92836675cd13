// The calendar sync engine end to end: a real HTTP server serves ICS feeds,
// the server syncs them at chosen instants (injected clock), and everything
// is observed through GraphQL, on both storage engines.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CreateRoom } from '../api/operations.js';
import { TestClock } from '../support/clock.js';
import { engines } from '../support/databases.js';
import { icsCalendar, startFeedServer, type FeedServer, type IcsEventSpec } from '../support/feed-server.js';
import { resultAs } from '../support/results.js';
import { startTestServer, tokenFor, wsSubscribe, type TestServer } from '../support/test-server.js';
import { EnableCalendar, RoomCalendar, SyncRoomCalendar, SyncStatus, TestIcsUrl } from './operations.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = new Date('2026-12-01T09:00:00Z');
const at = (offsetMs: number) => new Date(T0.getTime() + offsetMs);
const ROOM_URL = 'https://rooms.example.com/team-sync';

const standup: IcsEventSpec = {
  uid: 'standup@example.com',
  summary: 'Daily standup',
  start: at(2 * HOUR),
  end: at(2 * HOUR + 15 * MINUTE),
  location: ROOM_URL,
  description: 'Agenda: blockers',
  organizer: 'lead@example.com',
  attendees: [
    'ATTENDEE;CN=Ana Lopez;PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT:MAILTO:ana@example.com',
    'ATTENDEE;PARTSTAT=DECLINED:mailto:bo@example.com,mailto:cy@example.com',
  ],
};
const review: IcsEventSpec = {
  uid: 'review@example.com',
  summary: 'Design review',
  start: at(5 * HOUR),
  end: at(6 * HOUR),
  description: `Join at rooms.example.com/room/team-sync.`,
};
const elsewhere: IcsEventSpec = { uid: 'other@example.com', summary: 'Other room', start: at(3 * HOUR), end: at(4 * HOUR), location: 'https://rooms.example.com/team-sync-2' };
const cancelled: IcsEventSpec = { uid: 'cancelled@example.com', summary: 'Called off', start: at(4 * HOUR), end: at(5 * HOUR), location: ROOM_URL, status: 'CANCELLED' };
const tomorrowPlus: IcsEventSpec = { uid: 'later@example.com', summary: 'Next week', start: at(7 * 24 * HOUR), end: at(7 * 24 * HOUR + HOUR), location: ROOM_URL };

describe.each(engines)('calendar sync on %s', (engine) => {
  let server: TestServer;
  let feeds: FeedServer;
  const clock = new TestClock(T0);
  let feedCount = 0;
  let room = '';
  let feedPath = '';

  beforeAll(async () => {
    feeds = await startFeedServer();
    server = await startTestServer(engine, {
      clock,
      env: { ICS_ALLOW_HTTP: 'true', ICS_ALLOW_PRIVATE_NETWORKS: 'true', SYNC_ENABLED: 'false', ICS_FETCH_TIMEOUT_MS: '2000' },
    });
  });
  afterAll(async () => {
    await server?.close();
    await feeds?.close();
  });

  /** A fresh room named team-sync… with its own feed path, served `events`. */
  async function roomWithFeed(events: IcsEventSpec[], options: { etag?: boolean; name?: string } = {}) {
    clock.set(T0);
    feedCount++;
    room = options.name ?? (feedCount === 1 ? 'team-sync' : `team-sync-${feedCount}`);
    feedPath = `/feeds/${feedCount}.ics`;
    serveEvents(events, options.etag ?? true);
    await server.request(CreateRoom, { input: { name: room } }, { as: 'owner' });
    const enabled = await server.request(EnableCalendar, { name: room, url: feeds.url(feedPath) }, { as: 'owner' });
    expect(enabled.body.errors).toBeUndefined();
  }

  /** Serves `events` on the current room's feed, their room links pointing at the current room. */
  function serveEvents(events: IcsEventSpec[], etag: boolean) {
    const body = icsCalendar(events).replace(/rooms\.example\.com\/(room\/)?team-sync(?![\w-])/g, `rooms.example.com/$1${room}`);
    feeds.serve(feedPath, { body, etag });
  }

  const calendar = async (as?: string, includeDeleted = false) => {
    const response = await server.request(RoomCalendar, { name: room, includeDeleted }, as ? { as } : {});
    expect(response.body.errors).toBeUndefined();
    const { calendarEvents, ...view } = response.body.data!.room!;
    return { ...view, calendarEvents: calendarEvents.edges.map((edge) => edge.node) };
  };
  const syncDue = () => server.app.services.calendarSync.runDueSyncs();
  const syncNow = async () => {
    clock.advance(31_000); // past the manual-sync rate limit
    return server.request(SyncRoomCalendar, { roomName: room }, { as: 'owner' });
  };

  it('stores the events that point at the room, with owner-only details hidden from others', async () => {
    await roomWithFeed([standup, review, elsewhere, cancelled, tomorrowPlus]);
    const result = await server.request(SyncRoomCalendar, { roomName: room }, { as: 'owner' });
    expect(resultAs(result.body.data?.syncRoomCalendar, 'SyncRoomCalendarSuccess').result).toEqual({ status: 'SUCCESS', error: null });

    const owner = await calendar('owner');
    expect(owner.ics).toMatchObject({
      lastStatus: 'SUCCESS',
      eventsInFeed: 5,
      eventsInWindow: 3, // standup, review, elsewhere (cancelled dropped, next week outside)
      eventsMatched: 2,
      eventsCreated: 2,
      eventsDeleted: 0,
    });
    expect(owner.calendarEvents.map((event) => event.title)).toEqual(['Daily standup', 'Design review']);
    expect(owner.calendarEvents[0]).toMatchObject({
      startsAt: at(2 * HOUR).toISOString(),
      timeZone: 'UTC',
      isAllDay: false,
      startDate: null,
      durationSeconds: 900,
      isRecurring: false,
      location: ROOM_URL,
      description: 'Agenda: blockers',
      organizer: { email: 'lead@example.com', name: 'Organizer', isOrganizer: true },
    });
    expect(owner.calendarEvents[0]!.attendees).toEqual(
      expect.arrayContaining([
        { email: 'ana@example.com', name: 'Ana Lopez', partstat: 'ACCEPTED', role: 'REQ_PARTICIPANT', isOrganizer: false },
        expect.objectContaining({ email: 'bo@example.com', partstat: 'DECLINED' }),
        expect.objectContaining({ email: 'cy@example.com', partstat: 'DECLINED' }),
      ]),
    );

    for (const viewer of ['someone-else', undefined]) {
      const view = await calendar(viewer);
      expect(view.ics).toBeNull();
      expect(view.calendarEvents[0]).toMatchObject({ title: 'Daily standup', durationSeconds: 900, location: null, description: null, attendees: null, organizer: null });
    }
  });

  it('rate-limits manual syncs per room and lets only the owner sync', async () => {
    const again = await server.request(SyncRoomCalendar, { roomName: room }, { as: 'owner' });
    expect(resultAs(again.body.data?.syncRoomCalendar, 'RateLimited').retryAfterSeconds).toBeGreaterThan(0);
    const stranger = await server.request(SyncRoomCalendar, { roomName: room }, { as: 'someone-else' });
    expect(stranger.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const anonymous = await server.request(SyncRoomCalendar, { roomName: room });
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(resultAs((await syncNow()).body.data?.syncRoomCalendar, 'SyncRoomCalendarSuccess').result.status).toBe('UNCHANGED');
  });

  it('sends the stored ETag, and a 304 writes no event rows', async () => {
    const before = await server.app.services.db.calendarEvent.findMany({ where: { room: { name: room } }, select: { updatedAt: true } });
    const result = await syncNow();
    expect(resultAs(result.body.data?.syncRoomCalendar, 'SyncRoomCalendarSuccess').result.status).toBe('UNCHANGED');
    const last = feeds.requests(feedPath).at(-1)!;
    expect(last['if-none-match']).toMatch(/^"[0-9a-f]+"$/);
    const after = await server.app.services.db.calendarEvent.findMany({ where: { room: { name: room } }, select: { updatedAt: true } });
    expect(after).toEqual(before);
    expect((await calendar('owner')).ics).toMatchObject({ lastStatus: 'UNCHANGED', eventsCreated: 0, eventsUpdated: 0, eventsDeleted: 0 });
  });

  it('reconciles the moving window on every sync, even when the feed is unchanged', async () => {
    const daily: IcsEventSpec = { uid: 'daily@example.com', summary: 'Daily sync', start: new Date('2016-03-01T10:00:00Z'), end: new Date('2016-03-01T10:30:00Z'), rrule: 'FREQ=DAILY', location: ROOM_URL };
    await roomWithFeed([daily]);
    await syncNow();
    const first = await calendar('owner');
    // A series that began ten years ago still yields today's instance (window: now − 1 h … now + 24 h).
    expect(first.calendarEvents.map((event) => event.startsAt)).toEqual(['2026-12-01T10:00:00.000Z']);
    expect(first.calendarEvents[0]!.isRecurring).toBe(true);

    clock.advance(24 * HOUR);
    const result = await syncNow();
    expect(resultAs(result.body.data?.syncRoomCalendar, 'SyncRoomCalendarSuccess').result.status).toBe('UNCHANGED'); // 304
    const moved = await calendar('owner');
    expect(moved.ics?.eventsCreated).toBe(1);
    expect(moved.calendarEvents.map((event) => event.startsAt)).toEqual(['2026-12-02T10:00:00.000Z']);
  });

  it('ignores a body whose only change is DTSTAMP (no ETag from the server)', async () => {
    await roomWithFeed([standup], { etag: false });
    await syncNow();
    serveEvents([{ ...standup, dtstamp: at(HOUR) }], false);
    const result = await syncNow();
    expect(resultAs(result.body.data?.syncRoomCalendar, 'SyncRoomCalendarSuccess').result.status).toBe('SUCCESS'); // a new body…
    expect((await calendar('owner')).ics).toMatchObject({ eventsUpdated: 0, eventsCreated: 0 }); // …but nothing to write
  });

  it('updates a changed event, soft-deletes future events that left the feed, keeps past ones, restores returning ones', async () => {
    const early: IcsEventSpec = { uid: 'early@example.com', summary: 'Early call', start: at(-30 * MINUTE), end: at(10 * MINUTE), location: ROOM_URL };
    await roomWithFeed([early, standup, review]);
    await syncNow();

    clock.advance(20 * MINUTE); // "early" is now over; standup and review are still ahead
    serveEvents([{ ...standup, summary: 'Daily standup (moved)', start: at(3 * HOUR), end: at(3 * HOUR + 15 * MINUTE) }], true);
    await syncNow();
    const after = await calendar('owner', true);
    expect(after.ics).toMatchObject({ lastStatus: 'SUCCESS', eventsUpdated: 1, eventsDeleted: 1 });
    expect(after.calendarEvents.map((event) => [event.title, event.isDeleted])).toEqual([
      ['Early call', false],
      ['Daily standup (moved)', false],
      ['Design review', true],
    ]);
    // The past event is never deleted.
    const earlyRow = await server.app.services.db.calendarEvent.findFirstOrThrow({ where: { icsUid: 'early@example.com', room: { name: room } } });
    expect(earlyRow.isDeleted).toBe(false);
    expect((await calendar('owner')).calendarEvents.map((event) => event.title)).toEqual(['Early call', 'Daily standup (moved)']);

    serveEvents([standup, review], true);
    await syncNow();
    expect((await calendar('owner')).ics).toMatchObject({ eventsRestored: 1, eventsUpdated: 1 });
  });

  it.each([
    ['a server error', { status: 500, body: 'oops' }, /HTTP 500|500/],
    ['a page that is not a calendar', { body: '<html>login</html>', contentType: 'text/html' }, /not a calendar|calendar/i],
    ['a truncated calendar', { body: 'BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:2026' }, /.+/],
  ])('records %s as ERROR, keeps the stored events and backs off', async (_case, response, message) => {
    await roomWithFeed([standup, review]);
    await syncNow();
    const stored = await calendar('owner');

    feeds.serve(feedPath, response);
    const failed = await syncNow();
    expect(resultAs(failed.body.data?.syncRoomCalendar, 'SyncRoomCalendarSuccess').result.status).toBe('ERROR');
    expect(resultAs(failed.body.data?.syncRoomCalendar, 'SyncRoomCalendarSuccess').result.error).toMatch(message);
    const after = await calendar('owner');
    expect(after.calendarEvents).toEqual(stored.calendarEvents);
    expect(after.ics?.lastStatus).toBe('ERROR');
    expect(after.ics?.lastError).toMatch(message);
    // First failure: retried after twice the interval (300 s), not at the normal one.
    expect(Date.parse(after.ics!.nextSyncAt!) - clock.now().getTime()).toBe(600_000);

    serveEvents([standup, review], true);
    expect(resultAs((await syncNow()).body.data?.syncRoomCalendar, 'SyncRoomCalendarSuccess').result.status).toMatch(/SUCCESS|UNCHANGED/);
    expect((await calendar('owner')).ics?.lastError).toBeNull();
  });

  it('syncs due rooms on schedule: each at its interval, not before', async () => {
    await roomWithFeed([standup]);
    clock.advance(1000);
    const reports = await syncDue();
    expect(reports.filter((report) => report.status !== 'SKIPPED').map((report) => report.status)).toContain('SUCCESS');
    const requestsAfterFirst = feeds.requests(feedPath).length;
    clock.advance(4 * MINUTE);
    await syncDue();
    expect(feeds.requests(feedPath).length).toBe(requestsAfterFirst); // not due yet (300 s)
    clock.advance(2 * MINUTE);
    await syncDue();
    expect(feeds.requests(feedPath).length).toBe(requestsAfterFirst + 1);
  });

  it('publishes each sync\'s start and outcome to the owner, and refuses the stream to others', async () => {
    await roomWithFeed([standup, review]);
    const ownerStream = wsSubscribe(server.wsClient({ authorization: `Bearer ${await tokenFor('owner', { now: clock.now(), expiresIn: '12h' })}` }), SyncStatus, { roomName: room });
    await server.waitForSubscribers('room:sync', 1);
    await syncNow();
    const events = await ownerStream.waitFor(2);
    expect(events.map((event) => event.data?.syncStatus.phase)).toEqual(['STARTED', 'FINISHED']);
    expect(events[1]?.data?.syncStatus.room).toEqual({ name: room, ics: { lastStatus: 'SUCCESS', eventsMatched: 2 } });
    ownerStream.unsubscribe();

    const stranger = wsSubscribe(server.wsClient({ authorization: `Bearer ${await tokenFor('someone-else', { now: clock.now(), expiresIn: '12h' })}` }), SyncStatus, { roomName: room });
    expect((await stranger.waitFor(1))[0]?.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const anonymous = wsSubscribe(server.wsClient(), SyncStatus, { roomName: room });
    expect((await anonymous.waitFor(1))[0]?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('tests a feed URL without storing anything', async () => {
    feeds.serve('/probe.ics', { body: icsCalendar([standup, review, elsewhere]) });
    const eventsBefore = await server.app.services.db.calendarEvent.count();
    const probe = await server.request(TestIcsUrl, { url: feeds.url('/probe.ics'), roomName: 'team-sync' }, { as: 'owner' });
    expect(resultAs(probe.body.data?.testIcsUrl, 'TestIcsUrlSuccess').report).toEqual({ eventsInFeed: 3, eventsInWindow: 3, eventsMatched: 2 });
    // Every feed failure is a FeedError result, a bad URL included.
    const missing = await server.request(TestIcsUrl, { url: feeds.url('/missing.ics') }, { as: 'owner' });
    expect(resultAs(missing.body.data?.testIcsUrl, 'FeedError')).toMatchObject({ code: 'HTTP_STATUS', httpStatus: 404 });
    const invalid = await server.request(TestIcsUrl, { url: 'ftp://example.com/x.ics' }, { as: 'owner' });
    expect(resultAs(invalid.body.data?.testIcsUrl, 'FeedError')).toMatchObject({ code: 'INVALID_URL', httpStatus: null });
    feeds.serve('/page.html', { body: '<html>login</html>', contentType: 'text/html' });
    const page = await server.request(TestIcsUrl, { url: feeds.url('/page.html') }, { as: 'owner' });
    expect(resultAs(page.body.data?.testIcsUrl, 'FeedError').code).toBe('NOT_A_CALENDAR');
    const unknownRoom = await server.request(TestIcsUrl, { url: feeds.url('/probe.ics'), roomName: 'no-such-room' }, { as: 'owner' });
    expect(resultAs(unknownRoom.body.data?.testIcsUrl, 'NotFound').message).toContain('no-such-room');
    // Which of a feed's events point at a room is for its owner only.
    const stranger = await server.request(TestIcsUrl, { url: feeds.url('/probe.ics'), roomName: 'team-sync' }, { as: 'someone-else' });
    expect(stranger.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(stranger.body.data?.testIcsUrl ?? null).toBeNull();
    expect(await server.app.services.db.calendarEvent.count()).toBe(eventsBefore);
  });
});

describe('sync safety', () => {
  let server: TestServer;
  let feeds: FeedServer;
  beforeEach(async () => {
    feeds = await startFeedServer();
  });

  it('refuses feeds on private networks unless the operator allows them', async () => {
    server = await startTestServer('pglite', { env: { ICS_ALLOW_HTTP: 'true', SYNC_ENABLED: 'false' } });
    try {
      feeds.serve('/internal.ics', { body: icsCalendar([standup]) });
      const probe = await server.request(TestIcsUrl, { url: feeds.url('/internal.ics') }, { as: 'owner' });
      expect(resultAs(probe.body.data?.testIcsUrl, 'FeedError').code).toBe('BLOCKED_ADDRESS');
      expect(feeds.requests('/internal.ics')).toHaveLength(0);
    } finally {
      await server.close();
      await feeds.close();
    }
  });
});
