// Meetings with several server instances, restarts, a real Whereby-shaped
// platform, and events that move before they start.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateRoom, UpdateRoom } from '../api/operations.js';
import { TestClock } from '../support/clock.js';
import { engines } from '../support/databases.js';
import { icsCalendar, startFeedServer, type FeedServer, type IcsEventSpec } from '../support/feed-server.js';
import { resultAs } from '../support/results.js';
import { startTestServer, wsSubscribe, type TestServer } from '../support/test-server.js';
import { EnableCalendar, SyncRoomCalendar } from '../sync/operations.js';
import { MeetingStarted, RoomScheduleChanged } from './operations.js';

const day = (time: string) => new Date(`2026-12-01T${time}Z`);
const baseEnv = {
  ICS_ALLOW_HTTP: 'true',
  ICS_ALLOW_PRIVATE_NETWORKS: 'true',
  SYNC_ENABLED: 'false',
  MEETINGS_ENABLED: 'false',
  MANUAL_SYNC_MIN_INTERVAL_SECONDS: '0',
};
const event = (room: string, uid: string, start: string, end: string): IcsEventSpec => ({
  uid,
  summary: uid,
  start: day(start),
  end: day(end),
  location: `https://rooms.example.com/${room}`,
});

async function roomWithCalendar(server: TestServer, feeds: FeedServer, room: string, events: IcsEventSpec[]) {
  feeds.serve(`/${room}.ics`, { body: icsCalendar(events), etag: true });
  await server.request(CreateRoom, { input: { name: room } }, { as: 'owner' });
  await server.request(EnableCalendar, { name: room, url: feeds.url(`/${room}.ics`) }, { as: 'owner' });
  const synced = await server.request(SyncRoomCalendar, { roomName: room }, { as: 'owner' });
  expect(resultAs(synced.body.data?.syncRoomCalendar, 'SyncRoomCalendarSuccess').result.status).toBe('SUCCESS');
}

describe.runIf(engines.includes('postgres'))('two meeting schedulers on one PostgreSQL', () => {
  let first: TestServer;
  let second: TestServer;
  let feeds: FeedServer;
  const clock = new TestClock(day('08:00:00'));
  beforeAll(async () => {
    feeds = await startFeedServer();
    first = await startTestServer('postgres', { clock, env: baseEnv });
    second = await startTestServer('postgres', { clock, env: { ...baseEnv, ...first.databaseEnv } });
    const events = Array.from({ length: 6 }, (_, i) => event('race', `e${i}`, `${String(9 + i).padStart(2, '0')}:00:00`, `${String(9 + i).padStart(2, '0')}:30:00`));
    await roomWithCalendar(first, feeds, 'race', events);
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
    await feeds?.close();
  });

  it('creates one meeting per event and announces each start once, however the ticks interleave', async () => {
    const streams = [first, second].map((server) => wsSubscribe(server.wsClient(), MeetingStarted, { roomName: 'race' }));
    await Promise.all([first, second].map((server) => server.waitForSubscribers('room:meeting-started', 1)));
    for (let hour = 9; hour < 15; hour++) {
      for (const time of [`${String(hour - 1).padStart(2, '0')}:59:00`, `${String(hour).padStart(2, '0')}:00:00`]) {
        clock.set(day(time));
        await Promise.all([first.app.services.meetings.tick(), second.app.services.meetings.tick(), first.app.services.meetings.tick()]);
      }
    }
    const { db } = first.app.services;
    expect(await db.meeting.count()).toBe(6);
    expect(await db.meeting.count({ where: { startedAnnouncedAt: { not: null } } })).toBe(6);
    await expect.poll(() => streams[0]!.received.length + streams[1]!.received.length).toBe(6);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const announced = streams.flatMap((stream) => stream.received.map((e) => e.data?.meetingStarted.title));
    expect(announced.sort()).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'e5']);
  });
});

describe.each(engines)('meetings across restarts and moves on %s', (engine) => {
  let server: TestServer;
  let feeds: FeedServer;
  const clock = new TestClock(day('08:00:00'));
  beforeAll(async () => {
    feeds = await startFeedServer();
    server = await startTestServer(engine, { clock, env: baseEnv });
  });
  afterAll(async () => {
    await server?.close();
    await feeds?.close();
  });

  it('finishes a meeting left half-made by a crash, without a duplicate', async () => {
    await roomWithCalendar(server, feeds, 'crash', [event('crash', 'sync', '09:00:00', '09:30:00')]);
    clock.set(day('08:59:00'));
    const { db } = server.app.services;
    const row = await db.calendarEvent.findFirstOrThrow({ where: { room: { name: 'crash' } }, include: { room: true } });
    // An instance inserted the meeting row, then died before asking the platform.
    await db.meeting.create({
      data: { roomId: row.roomId, calendarEventId: row.id, calendarSlot: `${row.roomId}|${row.start.toISOString()}|${row.end.toISOString()}`, platform: 'LOCAL', startDate: row.start, endDate: row.end },
    });
    await server.app.services.meetings.tick();
    const meetings = await db.meeting.findMany({ where: { roomId: row.roomId } });
    expect(meetings).toHaveLength(1);
    expect(meetings[0]!.roomUrl).toContain('/video/crash/');
  });

  it('moves a pre-created meeting with its event, and tells the room page', async () => {
    await roomWithCalendar(server, feeds, 'moving', [event('moving', 'talk', '10:00:00', '10:30:00')]);
    clock.set(day('09:59:10'));
    await server.app.services.meetings.tick();
    const { db } = server.app.services;
    const before = await db.meeting.findFirstOrThrow({ where: { room: { name: 'moving' } } });
    expect(before.startDate).toEqual(day('10:00:00'));

    const changes = wsSubscribe(server.wsClient(), RoomScheduleChanged, { roomName: 'moving' });
    await server.waitForSubscribers('room:schedule', 1);
    feeds.serve('/moving.ics', { body: icsCalendar([event('moving', 'talk', '10:15:00', '10:45:00')]), etag: true });
    clock.set(day('09:59:30'));
    await server.request(SyncRoomCalendar, { roomName: 'moving' }, { as: 'owner' });
    await server.app.services.meetings.tick();
    const after = await db.meeting.findUniqueOrThrow({ where: { id: before.id } });
    expect(after).toMatchObject({ isActive: true, startDate: day('10:15:00'), endDate: day('10:45:00') });
    expect(await db.meeting.count({ where: { room: { name: 'moving' } } })).toBe(1);
    await changes.waitFor(2); // the sync changed the event, then the meeting moved
    expect(changes.received.every((change) => change.data?.roomScheduleChanged?.name === 'moving')).toBe(true);
    changes.unsubscribe();

    clock.set(day('10:00:00'));
    await server.app.services.meetings.tick();
    expect((await db.meeting.findUniqueOrThrow({ where: { id: before.id } })).startedAnnouncedAt).toBeNull();
  });
});

describe('rooms on Whereby', () => {
  let whereby: Server;
  let server: TestServer;
  let feeds: FeedServer;
  const calls: string[] = [];
  const clock = new TestClock(day('08:00:00'));
  beforeAll(async () => {
    // Speaks Whereby's REST shapes: POST /meetings → 201, DELETE /meetings/:id → 204.
    whereby = createServer((req, res) => {
      calls.push(`${req.method} ${req.url} ${req.headers.authorization}`);
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        if (req.method === 'POST' && req.url === '/v1/meetings') {
          const { endDate } = JSON.parse(body) as { endDate: string };
          const meetingId = `wb-${calls.length}`;
          res.writeHead(201, { 'content-type': 'application/json' }).end(
            JSON.stringify({ meetingId, roomName: `/room-${meetingId}`, roomUrl: `https://example.whereby.com/room-${meetingId}`, hostRoomUrl: `https://example.whereby.com/room-${meetingId}?roomKey=secret`, startDate: new Date().toISOString(), endDate }),
          );
        } else if (req.method === 'DELETE') res.writeHead(204).end();
        else res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => whereby.listen(0, '127.0.0.1', resolve));
    feeds = await startFeedServer();
    server = await startTestServer('pglite', {
      clock,
      env: { ...baseEnv, WHEREBY_API_KEY: 'test-whereby-key', WHEREBY_API_URL: `http://127.0.0.1:${(whereby.address() as AddressInfo).port}/v1` },
    });
  });
  afterAll(async () => {
    await server?.close();
    await feeds?.close();
    whereby?.close();
  });

  it('creates the meeting on Whereby before the start and deletes it when it closes', async () => {
    await roomWithCalendar(server, feeds, 'wb', [event('wb', 'call', '09:00:00', '09:30:00')]);
    await server.request(UpdateRoom, { name: 'wb', input: { platform: 'WHEREBY' } }, { as: 'owner' });
    clock.set(day('08:59:00'));
    await server.app.services.meetings.tick();
    const meeting = await server.app.services.db.meeting.findFirstOrThrow({ where: { room: { name: 'wb' } } });
    expect(meeting).toMatchObject({ platform: 'WHEREBY', platformMeetingId: 'wb-1', roomUrl: 'https://example.whereby.com/room-wb-1' });
    expect(calls[0]).toBe('POST /v1/meetings Bearer test-whereby-key');

    clock.set(day('10:00:00')); // nobody joined: closed 30 minutes after the end
    await server.app.services.meetings.tick();
    expect(calls.at(-1)).toBe('DELETE /v1/meetings/wb-1 Bearer test-whereby-key');
  });
});
