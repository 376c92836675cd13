import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
// A whole day of one room's calendar, walked through with an injected clock:
// pre-creation, starts, joins and leaves reported by webhooks, the grace
// period, no-shows, shared and deleted events — asserting what a client sees
// over GraphQL and exactly what it receives, in order, over graphql-ws.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook } from '../../src/meetings/webhook-signature.js';
import { CreateRoom } from '../api/operations.js';
import { TestClock } from '../support/clock.js';
import { engines } from '../support/databases.js';
import { icsCalendar, startFeedServer, type FeedServer, type IcsEventSpec } from '../support/feed-server.js';
import { resultAs } from '../support/results.js';
import { startTestServer, tokenFor, wsSubscribe, type TestServer } from '../support/test-server.js';
import { EnableCalendar, SyncRoomCalendar } from '../sync/operations.js';
import { LOCAL_WEBHOOK_SECRET, meetingTestEnv, postLocalWebhook } from './meeting-setup.js';
import { CreateMeeting, JoinMeeting, MeetingStarted, MeetingStartRights, ParticipantCount, RoomMeetings, SetMeetingStartPolicy } from './operations.js';

const day = (time: string) => new Date(`2026-12-01T${time}Z`);
const ROOM = 'daily';
const ROOM_URL = `https://rooms.example.com/${ROOM}`;

const standup: IcsEventSpec = { uid: 'standup', summary: 'Standup', start: day('10:00:00'), end: day('10:30:00'), location: ROOM_URL, description: 'Blockers first', organizer: 'lead@example.com' };
const planning: IcsEventSpec = { uid: 'planning', summary: 'Planning', start: day('10:30:00'), end: day('11:00:00'), location: ROOM_URL };
const review: IcsEventSpec = { uid: 'review', summary: 'Review', start: day('14:00:00'), end: day('15:00:00'), location: ROOM_URL };
const reviewCopy: IcsEventSpec = { ...review, uid: 'review-copy-from-other-calendar' };
const retro: IcsEventSpec = { uid: 'retro', summary: 'Retro', start: day('16:00:00'), end: day('16:30:00'), location: ROOM_URL };

describe.each(engines)('meeting lifecycle on %s', (engine) => {
  let server: TestServer;
  let feeds: FeedServer;
  const clock = new TestClock(day('09:00:00'));
  const meetingIds = new Map<string, string>();

  const tickAt = async (time: string) => {
    clock.set(day(time));
    await server.app.services.meetings.tick();
  };
  const roomView = async (as?: string) => {
    const response = await server.request(RoomMeetings, { name: ROOM }, as ? { as } : {});
    expect(response.body.errors).toBeUndefined();
    return response.body.data!.room!;
  };
  const platformIdOf = async (title: string) =>
    (await server.app.services.db.meeting.findUniqueOrThrow({ where: { id: decodeGlobalID(meetingIds.get(title)!).id } })).platformMeetingId!;
  const participants = async (title: string, numClients: number, at: string) => {
    clock.set(day(at));
    const type = numClients > 0 ? 'room.client.joined' : 'room.client.left';
    const result = await postLocalWebhook(server, { type, data: { meetingId: await platformIdOf(title), numClients } }, { at: day(at) });
    expect(result.status).toBe(200);
  };

  beforeAll(async () => {
    feeds = await startFeedServer();
    server = await startTestServer(engine, {
      clock,
      env: { ...meetingTestEnv, LOCAL_WEBHOOK_SECRET },
    });
    feeds.serve('/daily.ics', { body: icsCalendar([standup, planning, review, reviewCopy, retro]), etag: true });
    await server.request(CreateRoom, { input: { name: ROOM } }, { as: 'owner' });
    await server.request(EnableCalendar, { name: ROOM, url: feeds.url('/daily.ics') }, { as: 'owner' });
    const synced = await server.request(SyncRoomCalendar, { roomName: ROOM }, { as: 'owner' });
    expect(resultAs(synced.body.data?.syncRoomCalendar, 'SyncRoomCalendarSuccess').result.status).toBe('SUCCESS');
  });
  afterAll(async () => {
    await server?.close();
    await feeds?.close();
  });

  it('walks through the day', async () => {
    const guest = server.wsClient();
    const owner = server.wsClient({ authorization: `Bearer ${await tokenFor('owner', { now: clock.now(), expiresIn: '12h' })}` });
    const guestStarts = wsSubscribe(guest, MeetingStarted, { roomName: ROOM });
    const ownerStarts = wsSubscribe(owner, MeetingStarted, { roomName: ROOM });
    await server.waitForSubscribers('room:meeting-started', 2);

    // 09:58: two minutes before the standup nothing exists yet, but it is upcoming
    // (Planning, 32 minutes away, is not yet within the default 30).
    await tickAt('09:58:00');
    let view = await roomView();
    expect(view.upcomingMeetings.map((m) => [m.title, m.secondsUntilStart, m.meeting])).toEqual([['Standup', 120, null]]);
    expect(view.upcomingMeetings[0]!.calendarEvent).toEqual({ title: 'Standup', description: null });

    // 09:59: pre-created one minute ahead; joining early lands on a waiting state.
    await tickAt('09:59:00');
    view = await roomView('owner');
    const standupMeeting = view.upcomingMeetings[0]!.meeting!;
    expect(standupMeeting.status).toBe('UPCOMING');
    meetingIds.set('Standup', standupMeeting.id);
    const early = await server.request(JoinMeeting, { roomName: ROOM, meetingId: standupMeeting.id });
    expect(resultAs(early.body.data?.joinMeeting, 'JoinMeetingSuccess').join).toMatchObject({ state: 'WAIT', roomUrl: null, startsAt: day('10:00:00').toISOString() });
    await tickAt('09:59:30');
    expect(await server.app.services.db.meeting.count()).toBe(1); // idempotent

    // 10:00: it starts; the guest gets the URL.
    await tickAt('10:00:00');
    const [started] = await guestStarts.waitFor(1);
    expect(started?.data?.meetingStarted).toMatchObject({ id: standupMeeting.id, title: 'Standup', isScheduled: true, hostRoomUrl: null, calendarDetails: null });
    const [ownerStarted] = await ownerStarts.waitFor(1);
    expect(ownerStarted?.data?.meetingStarted.hostRoomUrl).toMatch(/host=1/);
    expect(ownerStarted?.data?.meetingStarted.calendarDetails).toEqual({ organizer: { email: 'lead@example.com' } });
    const joined = await server.request(JoinMeeting, { roomName: ROOM, meetingId: standupMeeting.id });
    const { join } = resultAs(joined.body.data?.joinMeeting, 'JoinMeetingSuccess');
    expect(join).toMatchObject({ state: 'JOIN', meeting: { status: 'ACTIVE' } });
    expect(join.roomUrl).toContain(`/video/${ROOM}/`);

    // Participants come and go; the count stream follows every change.
    const counts = wsSubscribe(guest, ParticipantCount, { meetingId: standupMeeting.id });
    await server.waitForSubscribers('meeting:participants', 1);
    await participants('Standup', 1, '10:01:00');
    await participants('Standup', 3, '10:02:00');

    // 10:29 → 10:30: back-to-back meeting is a separate one; both are active.
    await tickAt('10:29:00');
    await tickAt('10:30:00');
    const [, planningStarted] = await guestStarts.waitFor(2);
    expect(planningStarted?.data?.meetingStarted.title).toBe('Planning');
    meetingIds.set('Planning', planningStarted!.data!.meetingStarted.id);
    view = await roomView('owner');
    expect(view.activeMeetings.map((m) => [m.title, m.participantCount])).toEqual([
      ['Standup', 3],
      ['Planning', 0],
    ]);
    expect(view.activeMeetings[0]!.calendarDetails?.description).toBe('Blockers first');
    // The owner sees the platform's meeting id that /webhooks/local expects; guests do not.
    expect(view.activeMeetings[0]!.platformMeetingId).toBe(`local-${decodeGlobalID(meetingIds.get('Standup')!).id}`);
    expect((await roomView()).activeMeetings[0]).toMatchObject({ calendarDetails: null, platformMeetingId: null });

    // Everyone leaves at 10:40; someone rejoins inside the grace period, then leaves at 10:52.
    await participants('Standup', 0, '10:40:00');
    await tickAt('10:50:00');
    await participants('Standup', 1, '10:50:30');
    await participants('Standup', 0, '10:52:00');
    await tickAt('11:06:59');
    expect((await roomView()).activeMeetings.map((m) => m.title)).toEqual(['Standup', 'Planning']);
    await tickAt('11:07:00'); // 15 minutes after the last one left
    expect((await roomView()).activeMeetings.map((m) => m.title)).toEqual(['Planning']);
    expect((await counts.waitFor(5)).map((event) => event.data?.participantCount.participantCount)).toEqual([1, 3, 0, 1, 0]);

    // Nobody joined Planning: closed 30 minutes after its scheduled end.
    await tickAt('11:29:59');
    expect((await roomView()).activeMeetings.map((m) => m.title)).toEqual(['Planning']);
    await tickAt('11:30:00');
    expect((await roomView()).activeMeetings).toEqual([]);
    const closed = await server.app.services.db.meeting.findMany({ orderBy: { startDate: 'asc' }, select: { closeReason: true } });
    expect(closed.map((m) => m.closeReason)).toEqual(['empty_after_grace', 'no_show']);

    // 13:59: one meeting for the two copies of the review.
    await tickAt('13:59:00');
    view = await roomView();
    expect(view.upcomingMeetings.map((m) => m.title)).toEqual(['Review']);
    await tickAt('14:00:00');
    const [, , reviewStarted] = await guestStarts.waitFor(3);
    expect(reviewStarted?.data?.meetingStarted.title).toBe('Review');

    // 15:59 the retro is pre-created, then removed from the calendar before it starts.
    await tickAt('15:59:00');
    const retroMeeting = await server.app.services.db.meeting.findFirstOrThrow({ where: { startDate: day('16:00:00') } });
    feeds.serve('/daily.ics', { body: icsCalendar([standup, planning, review, reviewCopy]), etag: true });
    clock.set(day('15:59:30'));
    expect(resultAs((await server.request(SyncRoomCalendar, { roomName: ROOM }, { as: 'owner' })).body.data?.syncRoomCalendar, 'SyncRoomCalendarSuccess').result.status).toBe('SUCCESS');
    await tickAt('15:59:31');
    await tickAt('16:00:00');
    const retroAfter = await server.app.services.db.meeting.findUniqueOrThrow({ where: { id: retroMeeting.id } });
    expect(retroAfter).toMatchObject({ isActive: false, closeReason: 'calendar_event_deleted', startedAnnouncedAt: null });
    const ended = await server.request(JoinMeeting, { roomName: ROOM, meetingId: encodeGlobalID('Meeting', retroMeeting.id) });
    expect(resultAs(ended.body.data?.joinMeeting, 'MeetingEnded').closedAt).toBe(day('15:59:31').toISOString());

    // Exactly what the room page received, in order.
    expect(guestStarts.received.map((event) => event.data?.meetingStarted.title)).toEqual(['Standup', 'Planning', 'Review']);
    expect(await server.app.services.db.meeting.count({ where: { startedAnnouncedAt: { not: null } } })).toBe(3);
    guestStarts.unsubscribe();
    ownerStarts.unsubscribe();
    counts.unsubscribe();
  });

  it('lets the owner start an unscheduled meeting, announced on creation; nobody joining closes it after the grace period', async () => {
    clock.set(day('17:00:00'));
    const stream = wsSubscribe(server.wsClient(), MeetingStarted, { roomName: ROOM });
    await server.waitForSubscribers('room:meeting-started', 1);
    const created = await server.request(CreateMeeting, { roomName: ROOM }, { as: 'owner' });
    const { meeting } = resultAs(created.body.data?.createMeeting, 'CreateMeetingSuccess');
    expect(meeting).toMatchObject({ title: null, status: 'ACTIVE', isScheduled: false, durationSeconds: 8 * 3600, hostRoomUrl: expect.stringMatching(/host=1/) });
    const id = meeting.id;
    const [event] = await stream.waitFor(1);
    expect(event?.data?.meetingStarted.id).toBe(id);
    stream.unsubscribe();

    // Nobody joins: it stays through the grace period, then closes; the room page sees it go.
    await tickAt('17:14:59');
    expect((await roomView()).activeMeetings.map((m) => m.id)).toContain(id);
    await tickAt('17:15:00');
    expect((await roomView()).activeMeetings.map((m) => m.id)).not.toContain(id);
    const ended = await server.request(JoinMeeting, { roomName: ROOM, meetingId: id });
    expect(resultAs(ended.body.data?.joinMeeting, 'MeetingEnded').closedAt).toBe(day('17:15:00').toISOString());
    expect(await server.app.services.db.meeting.findUniqueOrThrow({ where: { id: decodeGlobalID(id).id } })).toMatchObject({ isActive: false, closeReason: 'empty_after_grace' });
  });

  it('keeps a joined unscheduled meeting open while people are in it, up to 8 hours', async () => {
    clock.set(day('18:00:00'));
    const created = await server.request(CreateMeeting, { roomName: ROOM }, { as: 'owner' });
    const { id } = resultAs(created.body.data?.createMeeting, 'CreateMeetingSuccess').meeting;
    meetingIds.set('ad hoc', id);
    await participants('ad hoc', 2, '18:05:00');
    await tickAt('23:00:00');
    expect((await roomView()).activeMeetings.map((m) => m.id)).toContain(id);
    clock.set(new Date('2026-12-02T02:00:00Z'));
    await server.app.services.meetings.tick();
    expect(await server.app.services.db.meeting.findUniqueOrThrow({ where: { id: decodeGlobalID(id).id } })).toMatchObject({ isActive: false, closeReason: 'max_duration' });
  });

  // Who may start an unscheduled meeting, per room policy: what the room tells
  // each caller (viewerMayStartMeeting) and what createMeeting then does.
  const policies = [
    { policy: 'ANYONE', anonymous: 'CreateMeetingSuccess', stranger: 'CreateMeetingSuccess' },
    { policy: 'SIGNED_IN', anonymous: 'UNAUTHENTICATED', stranger: 'CreateMeetingSuccess' },
    { policy: 'OWNER', anonymous: 'UNAUTHENTICATED', stranger: 'FORBIDDEN' },
  ] as const;
  it.each(policies)('under $policy: anonymous callers get $anonymous, other signed-in users $stranger, the owner a meeting', async (expected) => {
    const room = `start-${expected.policy.toLowerCase().replace('_', '-')}`;
    // ANYONE is what a room has when its owner chose nothing.
    const input = expected.policy === 'ANYONE' ? { name: room } : { name: room, meetingStartPolicy: expected.policy };
    resultAs((await server.request(CreateRoom, { input }, { as: 'owner' })).body.data?.createRoom, 'CreateRoomSuccess');
    for (const [caller, outcome] of [[undefined, expected.anonymous], ['stranger', expected.stranger], ['owner', 'CreateMeetingSuccess']] as const) {
      const as = caller ? { as: caller } : {};
      const rights = (await server.request(MeetingStartRights, { name: room }, as)).body.data?.room;
      expect(rights, caller ?? 'anonymous').toEqual({ meetingStartPolicy: expected.policy, viewerMayStartMeeting: outcome === 'CreateMeetingSuccess' });
      const before = await server.app.services.db.meeting.count({ where: { room: { name: room } } });
      const response = await server.request(CreateMeeting, { roomName: room }, as);
      if (outcome === 'CreateMeetingSuccess') {
        const { meeting } = resultAs(response.body.data?.createMeeting, 'CreateMeetingSuccess');
        expect(meeting).toMatchObject({ status: 'ACTIVE', isScheduled: false, hostRoomUrl: caller === 'owner' ? expect.stringMatching(/host=1/) : null });
        expect(await server.app.services.db.meeting.count({ where: { room: { name: room } } })).toBe(before + 1);
      } else {
        expect(response.body.errors?.[0]?.extensions?.code, caller ?? 'anonymous').toBe(outcome);
        expect(await server.app.services.db.meeting.count({ where: { room: { name: room } } })).toBe(before);
      }
    }
  });

  it('lets only the owner change who may start meetings, taking effect at once', async () => {
    const notOwner = await server.request(SetMeetingStartPolicy, { name: ROOM, policy: 'ANYONE' }, { as: 'stranger' });
    expect(notOwner.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const restricted = await server.request(SetMeetingStartPolicy, { name: ROOM, policy: 'OWNER' }, { as: 'owner' });
    expect(resultAs(restricted.body.data?.updateRoom, 'UpdateRoomSuccess').room.meetingStartPolicy).toBe('OWNER');
    expect((await server.request(CreateMeeting, { roomName: ROOM }, { as: 'stranger' })).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    await server.request(SetMeetingStartPolicy, { name: ROOM, policy: 'ANYONE' }, { as: 'owner' });
    resultAs((await server.request(CreateMeeting, { roomName: ROOM })).body.data?.createMeeting, 'CreateMeetingSuccess');
  });

  it('caps the unscheduled meetings running in a room at once', async () => {
    await server.request(CreateRoom, { input: { name: 'busy' } }, { as: 'owner' });
    const start = async () => (await server.request(CreateMeeting, { roomName: 'busy' }, { as: 'owner' })).body.data?.createMeeting;
    for (let i = 0; i < 10; i++) resultAs(await start(), 'CreateMeetingSuccess');
    expect(resultAs(await start(), 'RateLimited').retryAfterSeconds).toBe(60);
    // Unjoined, they all close after the grace period, and the room can start meetings again.
    clock.advance(15 * 60_000);
    await server.app.services.meetings.tick();
    resultAs(await start(), 'CreateMeetingSuccess');
  });

  it('explains join errors', async () => {
    const missing = await server.request(JoinMeeting, { roomName: ROOM, meetingId: encodeGlobalID('Meeting', '00000000-0000-4000-8000-000000000000') });
    resultAs(missing.body.data?.joinMeeting, 'NotFound');
    for (const garbage of ['not-an-id', '00000000-0000-4000-8000-000000000000', encodeGlobalID('Room', '00000000-0000-4000-8000-000000000000')]) {
      const response = await server.request(JoinMeeting, { roomName: ROOM, meetingId: garbage });
      resultAs(response.body.data?.joinMeeting, 'NotFound');
    }
    await server.request(CreateRoom, { input: { name: 'other-room' } }, { as: 'owner' });
    const other = resultAs((await server.request(CreateMeeting, { roomName: 'other-room' }, { as: 'owner' })).body.data?.createMeeting, 'CreateMeetingSuccess');
    const wrongRoom = await server.request(JoinMeeting, { roomName: ROOM, meetingId: other.meeting.id });
    resultAs(wrongRoom.body.data?.joinMeeting, 'NotFound');
    const noRoom = await server.request(JoinMeeting, { roomName: 'no-such-room', meetingId: other.meeting.id });
    resultAs(noRoom.body.data?.joinMeeting, 'NotFound');
  });

  it('refuses bad webhooks with a clear 4xx and changes nothing', async () => {
    const meeting = await server.app.services.db.meeting.findFirstOrThrow({ where: { isActive: true } });
    const now = clock.now();
    const body = { type: 'room.client.joined', data: { meetingId: meeting.platformMeetingId, numClients: 5 } };
    expect((await postLocalWebhook(server, body, { at: now, secret: 'wrong-secret-wrong-secret' })).status).toBe(401);
    expect((await postLocalWebhook(server, body, { at: new Date(now.getTime() - 61_000) })).status).toBe(401);
    expect((await postLocalWebhook(server, body, { at: now, header: 'nonsense' })).status).toBe(401);
    expect((await postLocalWebhook(server, { type: 'room.client.joined', data: { meetingId: 'nope', numClients: 1 } }, { at: now })).status).toBe(404);
    expect((await postLocalWebhook(server, { type: 'something.else' }, { at: now })).status).toBe(400);
    expect((await postLocalWebhook(server, '{not json', { at: now })).status).toBe(400);
    expect((await server.app.services.db.meeting.findUniqueOrThrow({ where: { id: meeting.id } })).participantCount).toBe(meeting.participantCount);

    const header = signWebhook(JSON.stringify(body), LOCAL_WEBHOOK_SECRET, now);
    expect((await postLocalWebhook(server, body, { at: now, header })).status).toBe(200);
    const replay = await postLocalWebhook(server, { ...body, data: { ...body.data } }, { at: now, header });
    expect(replay.status).toBe(409);
    expect((await server.app.services.db.meeting.findUniqueOrThrow({ where: { id: meeting.id } })).participantCount).toBe(5);

    // A report older than the one applied (webhooks can arrive out of order) does not overwrite it.
    const older = await postLocalWebhook(server, { type: 'room.client.left', data: { meetingId: meeting.platformMeetingId, numClients: 0 } }, { at: new Date(now.getTime() - 30_000) });
    expect(older).toEqual({ status: 200, body: { result: 'stale' } });
    expect((await server.app.services.db.meeting.findUniqueOrThrow({ where: { id: meeting.id } })).participantCount).toBe(5);
  });
});
