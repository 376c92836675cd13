// A room can only choose a video platform this server has configured, and a
// platform that keeps failing is retried with exponential back-off while the
// owner sees why the meeting is not ready.
import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateRoom } from '../api/operations.js';
import { TestClock } from '../support/clock.js';
import { engines } from '../support/databases.js';
import type { FeedServer } from '../support/feed-server.js';
import { resultAs } from '../support/results.js';
import type { TestServer } from '../support/test-server.js';
import { day, roomEvent, roomWithCalendar, startFakeWhereby, useMeetingServer, type FakeWhereby } from './meeting-setup.js';
import { CreateMeeting, CreateRoomOnPlatform, JoinMeeting, MeetingProvisioning, SetRoomPlatform } from './operations.js';

const roomWithCall = (server: TestServer, feeds: FeedServer, room: string) =>
  roomWithCalendar(server, feeds, room, [roomEvent(room, 'call', day('10:00:00'), day('10:30:00'))]);

describe.each(engines)('video platforms this server has not configured, on %s', (engine) => {
  const clock = new TestClock(day('09:00:00'));
  const ctx = useMeetingServer(engine, clock);

  it('refuses WHEREBY without WHEREBY_API_KEY, naming the setting', async () => {
    const { server } = ctx;
    const created = await server.request(CreateRoomOnPlatform, { name: 'wb', platform: 'WHEREBY' }, { as: 'owner' });
    expect(resultAs(created.body.data?.createRoom, 'InvalidInput')).toMatchObject({
      message: expect.stringMatching(/WHEREBY_API_KEY is not set on this server/),
      field: 'input.platform',
    });
    expect(await server.app.services.db.room.count({ where: { name: 'wb' } })).toBe(0);

    await server.request(CreateRoom, { input: { name: 'local' } }, { as: 'owner' });
    const updated = await server.request(SetRoomPlatform, { name: 'local', platform: 'WHEREBY' }, { as: 'owner' });
    expect(resultAs(updated.body.data?.updateRoom, 'InvalidInput').message).toMatch(/WHEREBY_API_KEY/);
    expect((await server.app.services.db.room.findUniqueOrThrow({ where: { name: 'local' } })).platform).toBe('LOCAL');
    const kept = await server.request(SetRoomPlatform, { name: 'local', platform: 'LOCAL' }, { as: 'owner' });
    expect(resultAs(kept.body.data?.updateRoom, 'UpdateRoomSuccess').room.platform).toBe('LOCAL');
  });

  it('backs off on a room left on WHEREBY after the key was removed, and tells its owner why', async () => {
    const { server, feeds } = ctx;
    // The room chose Whereby while this server still had a key.
    await server.request(CreateRoom, { input: { name: 'orphan' } }, { as: 'owner' });
    await server.app.services.db.room.update({ where: { name: 'orphan' }, data: { platform: 'WHEREBY' } });
    await roomWithCall(server, feeds, 'orphan');

    clock.set(day('09:59:00'));
    expect(await server.app.services.meetings.tick()).toEqual(day('09:59:05')); // the scheduler's next work: the retry
    const view = await server.request(MeetingProvisioning, { name: 'orphan' }, { as: 'owner' });
    const meeting = view.body.data!.room!.upcomingMeetings[0]!.meeting!;
    expect(meeting.provisioningError).toMatch(/WHEREBY_API_KEY is not set on this server/);
    const guestView = await server.request(MeetingProvisioning, { name: 'orphan' });
    expect(guestView.body.data!.room!.upcomingMeetings[0]!.meeting).toEqual({ id: meeting.id, provisioningError: null });
    const join = await server.request(JoinMeeting, { roomName: 'orphan', meetingId: meeting.id });
    resultAs(join.body.data?.joinMeeting, 'MeetingNotActive');
    const row = await server.app.services.db.meeting.findUniqueOrThrow({ where: { id: decodeGlobalID(meeting.id).id } });
    expect(row).toMatchObject({ provisioningFailures: 1, provisionRetryAt: day('09:59:05') });

    // An unscheduled meeting there is refused at once, with the same reason.
    const adHoc = await server.request(CreateMeeting, { roomName: 'orphan' }, { as: 'owner' });
    expect(resultAs(adHoc.body.data?.createMeeting, 'PlatformUnavailable').message).toMatch(/WHEREBY_API_KEY/);
  });
});

describe.each(engines)('a failing video platform, on %s', (engine) => {
  let whereby: FakeWhereby;
  const clock = new TestClock(day('09:00:00'));
  const attempts = () => whereby.calls.filter((call) => call.method === 'POST').map((call) => call.at.toISOString().slice(11, 19));
  beforeAll(async () => {
    whereby = await startFakeWhereby(clock);
    whereby.failWith = 503;
  });
  afterAll(() => whereby?.close());
  const ctx = useMeetingServer(engine, clock, () => ({ WHEREBY_API_KEY: 'test-whereby-key', WHEREBY_API_URL: whereby.apiUrl }));
  beforeAll(async () => {
    const { server, feeds } = ctx;
    resultAs((await server.request(CreateRoomOnPlatform, { name: 'wb', platform: 'WHEREBY' }, { as: 'owner' })).body.data?.createRoom, 'CreateRoomSuccess');
    await roomWithCall(server, feeds, 'wb');
  });

  it('retries after 5 s, doubling each time, records the error, and clears it once the platform answers', async () => {
    const { server } = ctx;
    const { meetings } = server.app.services;
    const provisioningError = async () =>
      (await server.request(MeetingProvisioning, { name: 'wb' }, { as: 'owner' })).body.data!.room!.upcomingMeetings[0]!.meeting!.provisioningError;
    // One tick per second from 09:59:00 to 09:59:40.
    for (let second = 0; second <= 40; second++) {
      clock.set(new Date(day('09:59:00').getTime() + second * 1000));
      await meetings.tick();
    }
    expect(attempts()).toEqual(['09:59:00', '09:59:05', '09:59:15', '09:59:35']);
    expect(await provisioningError()).toBe('Whereby answered HTTP 503 when asked to create a meeting');

    whereby.failWith = null;
    clock.set(day('10:00:14')); // the fourth failure waits 40 s
    await meetings.tick();
    expect(attempts()).toHaveLength(4);
    clock.set(day('10:00:15'));
    await meetings.tick();
    expect(attempts()).toHaveLength(5);
    // Started late, announced in the same tick; the error is gone.
    const view = await server.request(MeetingProvisioning, { name: 'wb' }, { as: 'owner' });
    expect(view.body.data?.room?.activeMeetings).toEqual([{ id: expect.any(String), provisioningError: null }]);
    const meetingId = encodeGlobalID('Meeting', (await server.app.services.db.meeting.findFirstOrThrow()).id);
    const join = await server.request(JoinMeeting, { roomName: 'wb', meetingId });
    expect(resultAs(join.body.data?.joinMeeting, 'JoinMeetingSuccess').join).toMatchObject({ state: 'JOIN', roomUrl: 'https://example.whereby.com/room-wb-5' });
  });

  it('refuses an unscheduled meeting the platform cannot create, leaving nothing behind', async () => {
    const { server } = ctx;
    whereby.failWith = 401;
    const refused = await server.request(CreateMeeting, { roomName: 'wb' }, { as: 'owner' });
    expect(resultAs(refused.body.data?.createMeeting, 'PlatformUnavailable').message).toMatch(/Whereby rejected the API key \(HTTP 401\)/);
    expect(await server.app.services.db.meeting.count({ where: { calendarSlot: null } })).toBe(0);
    whereby.failWith = null;
    const created = await server.request(CreateMeeting, { roomName: 'wb' }, { as: 'owner' });
    expect(resultAs(created.body.data?.createMeeting, 'CreateMeetingSuccess').meeting.status).toBe('ACTIVE');
  });
});
