// What a room page reads about a room's calendar and history: all-day events
// as dates in the calendar's zone, every event's time zone, owner-only fields
// (location included) hidden on every path, and closed meetings.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClock } from '../support/clock.js';
import { engines } from '../support/databases.js';
import { startFeedServer, type FeedServer } from '../support/feed-server.js';
import { resultAs } from '../support/results.js';
import { startTestServer, tokenFor, wsSubscribe, type TestServer } from '../support/test-server.js';
import { EnableCalendar, SyncRoomCalendar } from '../sync/operations.js';
import { LOCAL_WEBHOOK_SECRET, meetingTestEnv, postLocalWebhook } from '../meetings/meeting-setup.js';
import { CreateMeeting } from '../meetings/operations.js';
import { CreateRoom, NodeById, RoomEvents, RoomEventsUpdated, RoomHistory, UpdateRoom } from './operations.js';

const ROOM = 'planning';
const ROOM_URL = `https://rooms.example.com/${ROOM}`;
const T0 = new Date('2026-12-01T08:00:00Z');

const FEED = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//roomcal tests//EN',
  'X-WR-TIMEZONE:Europe/Berlin',
  'BEGIN:VEVENT',
  'UID:offsite@example.com',
  'DTSTAMP:20261101T000000Z',
  'DTSTART;VALUE=DATE:20261201',
  'DTEND;VALUE=DATE:20261202',
  'SUMMARY:Offsite day',
  `LOCATION:${ROOM_URL}`,
  'STATUS:CONFIRMED',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'UID:sync@example.com',
  'DTSTAMP:20261101T000000Z',
  'DTSTART;TZID=America/New_York:20261201T090000',
  'DTEND;TZID=America/New_York:20261201T093000',
  'SUMMARY:East coast sync',
  `LOCATION:${ROOM_URL}`,
  'END:VEVENT',
  'END:VCALENDAR',
  '',
].join('\r\n');

describe.each(engines)('calendar and history API on %s', (engine) => {
  let server: TestServer;
  let feeds: FeedServer;
  const clock = new TestClock(T0);

  beforeAll(async () => {
    feeds = await startFeedServer();
    server = await startTestServer(engine, {
      clock,
      env: { ...meetingTestEnv, LOCAL_WEBHOOK_SECRET },
    });
    feeds.serve('/team.ics', { body: FEED });
    await server.request(CreateRoom, { input: { name: ROOM } }, { as: 'owner' });
    await server.request(EnableCalendar, { name: ROOM, url: feeds.url('/team.ics') }, { as: 'owner' });
    const synced = await server.request(SyncRoomCalendar, { roomName: ROOM }, { as: 'owner' });
    expect(resultAs(synced.body.data?.syncRoomCalendar, 'SyncRoomCalendarSuccess').result.status).toBe('SUCCESS');
  });
  afterAll(async () => {
    await server?.close();
    await feeds?.close();
  });

  const eventsAs = async (as?: string) => {
    const response = await server.request(RoomEvents, { name: ROOM }, as ? { as } : {});
    expect(response.body.errors).toBeUndefined();
    return response.body.data!.room!.calendarEvents.edges.map((edge) => edge.node);
  };

  it('gives all-day events their dates in the calendar\'s zone, and every event its time zone', async () => {
    const [offsite, eastCoast] = await eventsAs('owner');
    expect(offsite).toMatchObject({
      title: 'Offsite day',
      isAllDay: true,
      startDate: '2026-12-01',
      endDate: '2026-12-02',
      timeZone: 'Europe/Berlin',
      startsAt: '2026-11-30T23:00:00.000Z',
      status: 'CONFIRMED',
    });
    expect(eastCoast).toMatchObject({
      title: 'East coast sync',
      isAllDay: false,
      startDate: null,
      endDate: null,
      timeZone: 'America/New_York',
      startsAt: '2026-12-01T14:00:00.000Z',
      status: null,
    });
  });

  it('shows the location to the owner only: in queries, node refetches and subscription payloads', async () => {
    expect((await eventsAs('owner')).map((event) => event.location)).toEqual([ROOM_URL, ROOM_URL]);
    for (const viewer of ['guest', undefined]) {
      expect((await eventsAs(viewer)).map((event) => event.location)).toEqual([null, null]);
    }
    const [event] = await eventsAs('guest');
    const refetched = await server.request(NodeById, { id: event!.id }, { as: 'guest' });
    expect(refetched.body.data?.node).toMatchObject({ __typename: 'CalendarEvent', title: 'Offsite day', location: null });

    const guest = wsSubscribe(server.wsClient(), RoomEventsUpdated, { name: ROOM });
    // Issued on the server's clock: it checks the token's expiry against that clock.
    const ownerToken = await tokenFor('owner', { now: clock.now() });
    const owner = wsSubscribe(server.wsClient({ authorization: `Bearer ${ownerToken}` }), RoomEventsUpdated, { name: ROOM });
    await server.waitForSubscribers('room:updated', 2);
    await server.request(UpdateRoom, { name: ROOM, input: { platform: 'LOCAL' } }, { as: 'owner' });
    const [guestEvent] = await guest.waitFor(1);
    const [ownerEvent] = await owner.waitFor(1);
    expect(guestEvent?.data?.roomUpdated?.calendarEvents.edges.map((edge) => edge.node.location)).toEqual([null, null]);
    expect(ownerEvent?.data?.roomUpdated?.calendarEvents.edges.map((edge) => edge.node.location)).toEqual([ROOM_URL, ROOM_URL]);
    guest.unsubscribe();
    owner.unsubscribe();
  });

  it('lists closed meetings as history: closing details for the owner, title and times for everyone', async () => {
    clock.set(new Date('2026-12-01T09:00:00Z'));
    const started = resultAs((await server.request(CreateMeeting, { roomName: ROOM })).body.data?.createMeeting, 'CreateMeetingSuccess');
    expect(started.meeting.platformMeetingId).toBeNull(); // owner only: a guest started it

    const { platformMeetingId } = await server.app.services.db.meeting.findFirstOrThrow({ select: { platformMeetingId: true } });
    const report = async (numClients: number, at: string) => {
      clock.set(new Date(at));
      const body = { type: numClients > 0 ? 'room.client.joined' : 'room.client.left', data: { meetingId: platformMeetingId, numClients } };
      expect((await postLocalWebhook(server, body, { at: new Date(at) })).status).toBe(200);
    };
    await report(2, '2026-12-01T09:01:00Z');
    await report(1, '2026-12-01T09:20:00Z');
    await report(0, '2026-12-01T09:30:00Z');
    clock.set(new Date('2026-12-01T09:45:00Z'));
    await server.app.services.meetings.tick();

    // Most recent first (the all-day event's meeting, closed by the same tick, started earlier).
    const owner = await server.request(RoomHistory, { name: ROOM }, { as: 'owner' });
    expect(owner.body.data?.room?.meetings.edges[0]?.node).toEqual(
      {
        id: started.meeting.id,
        title: null,
        startsAt: '2026-12-01T09:00:00.000Z',
        endsAt: '2026-12-01T17:00:00.000Z',
        durationSeconds: 8 * 3600,
        status: 'ENDED',
        closedAt: '2026-12-01T09:45:00.000Z',
        closeReason: 'EMPTY_AFTER_GRACE',
        peakParticipantCount: 2,
        platformMeetingId,
      },
    );
    const guest = await server.request(RoomHistory, { name: ROOM });
    expect(guest.body.data?.room?.meetings.edges[0]?.node).toEqual({
      id: started.meeting.id,
      title: null,
      startsAt: '2026-12-01T09:00:00.000Z',
      endsAt: '2026-12-01T17:00:00.000Z',
      durationSeconds: 8 * 3600,
      status: 'ENDED',
      closedAt: null,
      closeReason: null,
      peakParticipantCount: null,
      platformMeetingId: null,
    });
  });
});
