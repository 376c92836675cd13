// What must hold when things go wrong: hostile feeds never crash the server or
// change stored events on failure, and several server instances on one
// PostgreSQL sync each due room exactly once, also when one of them died
// holding a lease.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateRoom } from '../api/operations.js';
import { TestClock } from '../support/clock.js';
import { engines } from '../support/databases.js';
import { icsCalendar, startFeedServer, type FeedServer } from '../support/feed-server.js';
import { openDatabase } from '../../src/db/client.js';
import { resultAs } from '../support/results.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { EnableCalendar, RoomCalendar, SyncRoomCalendar } from './operations.js';

const T0 = new Date('2026-12-01T09:00:00Z');
const HOUR = 3_600_000;
const syncEnv = { ICS_ALLOW_HTTP: 'true', ICS_ALLOW_PRIVATE_NETWORKS: 'true', SYNC_ENABLED: 'false', ICS_FETCH_TIMEOUT_MS: '2000' };

const goodFeed = (room: string) =>
  icsCalendar([
    { uid: 'a@x', summary: 'Planning', start: new Date(T0.getTime() + HOUR), end: new Date(T0.getTime() + 2 * HOUR), location: `https://rooms.example.com/${room}` },
    { uid: 'b@x', summary: 'Retro', start: new Date(T0.getTime() + 3 * HOUR), end: new Date(T0.getTime() + 4 * HOUR), description: `rooms.example.com/room/${room}` },
  ]);

/** Text derived from a valid feed by cutting, duplicating and corrupting lines. */
const mutatedFeed = (base: string) =>
  fc
    .array(
      fc.oneof(
        fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
        fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat() }),
        fc.record({ kind: fc.constant('garble' as const), at: fc.nat(), text: fc.string({ maxLength: 40 }) }),
        fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      ),
      { minLength: 1, maxLength: 6 },
    )
    .map((mutations) => {
      let lines = base.split('\r\n');
      for (const mutation of mutations) {
        const index = mutation.at % lines.length;
        if (mutation.kind === 'drop') lines.splice(index, 1);
        if (mutation.kind === 'duplicate') lines.splice(index, 0, lines[index]!);
        if (mutation.kind === 'garble') lines[index] = `${lines[index]!.slice(0, mutation.text.length % 12)}${mutation.text}`;
        if (mutation.kind === 'truncate') lines = lines.slice(0, index);
      }
      return lines.join('\r\n');
    });

describe.each(engines)('hostile feeds on %s', (engine) => {
  let server: TestServer;
  let feeds: FeedServer;
  const clock = new TestClock(T0);
  beforeAll(async () => {
    feeds = await startFeedServer();
    server = await startTestServer(engine, { clock, env: { ...syncEnv, MANUAL_SYNC_MIN_INTERVAL_SECONDS: '0' } });
    await server.request(CreateRoom, { input: { name: 'fuzz' } }, { as: 'owner' });
    await server.request(EnableCalendar, { name: 'fuzz', url: feeds.url('/fuzz.ics') }, { as: 'owner' });
  });
  afterAll(async () => {
    await server?.close();
    await feeds?.close();
  });

  it('records every sync as SUCCESS or ERROR, and a failed sync leaves the stored events as they were', async () => {
    const base = goodFeed('fuzz');
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutatedFeed(base), fc.string({ maxLength: 300 })), async (body) => {
        clock.set(T0);
        feeds.serve('/fuzz.ics', { body: base });
        const good = await server.request(SyncRoomCalendar, { roomName: 'fuzz' }, { as: 'owner' });
        expect(resultAs(good.body.data?.syncRoomCalendar, 'SyncRoomCalendarSuccess').result.status).toMatch(/SUCCESS|UNCHANGED/);
        const before = await server.request(RoomCalendar, { name: 'fuzz', includeDeleted: true }, { as: 'owner' });

        feeds.serve('/fuzz.ics', { body });
        const result = await server.request(SyncRoomCalendar, { roomName: 'fuzz' }, { as: 'owner' });
        const status = resultAs(result.body.data?.syncRoomCalendar, 'SyncRoomCalendarSuccess').result.status;
        expect(['SUCCESS', 'UNCHANGED', 'ERROR']).toContain(status);
        const after = await server.request(RoomCalendar, { name: 'fuzz', includeDeleted: true }, { as: 'owner' });
        expect(after.body.data?.room?.ics?.lastStatus).toBe(status);
        if (status === 'ERROR') {
          expect(after.body.data?.room?.ics?.lastError).toBeTruthy();
          expect(after.body.data?.room?.calendarEvents).toEqual(before.body.data?.room?.calendarEvents);
        }
      }),
      { numRuns: 40, seed: 20261128 },
    );
    // Still serving.
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});

describe.runIf(engines.includes('postgres'))('several instances on one PostgreSQL', () => {
  let first: TestServer;
  let second: TestServer;
  let feeds: FeedServer;
  const clock = new TestClock(T0);
  const rooms = Array.from({ length: 24 }, (_, index) => `shared-${index}`);

  beforeAll(async () => {
    feeds = await startFeedServer();
    // Small claim batches (concurrency × 4) so the two instances interleave.
    const env = { ...syncEnv, SYNC_CONCURRENCY: '2' };
    first = await startTestServer('postgres', { clock, env });
    second = await startTestServer('postgres', { clock, env: { ...env, ...first.databaseEnv } });
    for (const room of rooms) {
      feeds.serve(`/${room}.ics`, { body: goodFeed(room), etag: true });
      await first.request(CreateRoom, { input: { name: room } }, { as: 'owner' });
      await first.request(EnableCalendar, { name: room, url: feeds.url(`/${room}.ics`) }, { as: 'owner' });
    }
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
    await feeds?.close();
  });

  it('syncs each due room exactly once when two schedulers race', async () => {
    clock.advance(1000);
    const [a, b] = await Promise.all([first.app.services.calendarSync.runDueSyncs(), second.app.services.calendarSync.runDueSyncs()]);
    const synced = [...a, ...b].map((report) => report.roomId);
    expect(synced).toHaveLength(rooms.length);
    expect(new Set(synced).size).toBe(rooms.length);
    for (const room of rooms) expect(feeds.requests(`/${room}.ics`)).toHaveLength(1);
    const events = await first.app.services.db.calendarEvent.count();
    expect(events).toBe(rooms.length * 2);
  });

  it('takes over a room whose lease holder died, once the lease expires', async () => {
    const { db } = first.app.services;
    clock.advance(10 * 60_000); // every room is due again
    // An instance claimed shared-0 and died before finishing.
    await db.room.update({ where: { name: 'shared-0' }, data: { icsLeaseOwner: 'dead-instance', icsLeaseUntil: new Date(clock.now().getTime() + 60_000) } });
    const reports = await second.app.services.calendarSync.runDueSyncs();
    const shared0 = (await db.room.findUniqueOrThrow({ where: { name: 'shared-0' } })).id;
    expect(reports.map((report) => report.roomId)).not.toContain(shared0);
    expect(reports).toHaveLength(rooms.length - 1);

    clock.advance(61_000);
    const later = await second.app.services.calendarSync.runDueSyncs();
    expect(later.map((report) => report.roomId)).toEqual([shared0]);
    const room = await db.room.findUniqueOrThrow({ where: { name: 'shared-0' } });
    expect(room.icsLeaseOwner).toBeNull();
    expect(room.icsLastStatus).toBe('UNCHANGED');
  });
});

describe.each(engines)('shutdown during a sync on %s', (engine) => {
  it('lets the in-flight sync finish and record its outcome before the database closes', async () => {
    const feeds = await startFeedServer();
    const server = await startTestServer(engine, {
      clock: new TestClock(T0),
      env: { ...syncEnv, SYNC_ENABLED: 'true', SYNC_POLL_INTERVAL_MS: '100' },
    });
    try {
      feeds.serve('/slow.ics', { body: goodFeed('slow'), delayMs: 800 });
      await server.request(CreateRoom, { input: { name: 'slow' } }, { as: 'owner' });
      await server.request(EnableCalendar, { name: 'slow', url: feeds.url('/slow.ics') }, { as: 'owner' });
      await expect.poll(() => feeds.requests('/slow.ics').length, { timeout: 5000 }).toBe(1); // the scheduler is fetching

      await server.app.close(); // SIGTERM path
      const reopened = await openDatabase(server.app.services.config.database);
      try {
        const room = await reopened.db.room.findUniqueOrThrow({ where: { name: 'slow' } });
        expect(room.icsLastStatus).toBe('SUCCESS');
        expect(room.icsLeaseOwner).toBeNull();
        expect(await reopened.db.calendarEvent.count({ where: { roomId: room.id } })).toBe(2);
      } finally {
        await reopened.close();
      }
    } finally {
      await server.close();
      await feeds.close();
    }
  });
});
