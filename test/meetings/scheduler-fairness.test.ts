// One room with thousands of running events must not hold up another room's
// meeting: the scheduler pre-creates and provisions a bounded number of
// meetings per room per tick, earliest start first, and announces starts first.
import { beforeAll, describe, expect, it } from 'vitest';
import { MEETINGS_PER_ROOM_PER_TICK } from '../../src/meetings/meeting-scheduler.js';
import { TestClock } from '../support/clock.js';
import { engines } from '../support/databases.js';
import { wsSubscribe } from '../support/test-server.js';
import { day, roomEvent, roomWithCalendar, useMeetingServer } from './meeting-setup.js';
import { MeetingStarted } from './operations.js';

const CROWDED_EVENTS = 2_000;

describe.each(engines)('meeting scheduler fairness on %s', (engine) => {
  const clock = new TestClock(day('09:00:00'));
  // The per-room cap on stored instances (SYNC_MAX_EVENTS_PER_ROOM, where it exists) must not thin the crowd.
  const ctx = useMeetingServer(engine, clock, () => ({ SYNC_MAX_EVENTS_PER_ROOM: String(CROWDED_EVENTS) }));
  beforeAll(async () => {
    const { server, feeds } = ctx;
    // Thousands of events running now (each a slot of its own), all started before the quiet room's.
    const crowded = Array.from({ length: CROWDED_EVENTS }, (_, i) =>
      roomEvent('crowded', `busy-${i}`, new Date(day('08:00:00').getTime() + i * 1000), new Date(day('10:00:00').getTime() + i * 1000)),
    );
    await roomWithCalendar(server, feeds, 'crowded', crowded);
    expect(await server.app.services.db.calendarEvent.count({ where: { room: { name: 'crowded' } } })).toBe(CROWDED_EVENTS);
    await roomWithCalendar(server, feeds, 'quiet', [roomEvent('quiet', 'Talk', day('09:01:00'), day('09:30:00'))]);
  }, 120_000);

  it("announces the quiet room's start in the tick at its start, while the crowded room catches up a few meetings per tick", async () => {
    const { server } = ctx;
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
    expect(started?.data?.meetingStarted).toMatchObject({ title: 'Talk', startsAt: day('09:01:00').toISOString() });
    expect(await provisionedIn('crowded')).toHaveLength(2 * MEETINGS_PER_ROOM_PER_TICK);
    quietStarts.unsubscribe();
  });
});
