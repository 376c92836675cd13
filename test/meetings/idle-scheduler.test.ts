// The meeting scheduler sleeps until its next due work instead of polling:
// each tick reports when that is, computed from the database (the next
// pre-creation, platform retry, start and close), or null when nothing is scheduled.
import { describe, expect, it } from 'vitest';
import { TestClock } from '../support/clock.js';
import { engines } from '../support/databases.js';
import { resultAs } from '../support/results.js';
import { CreateMeeting } from './operations.js';
import { day, roomEvent, roomWithCalendar, useMeetingServer } from './meeting-setup.js';

describe.each(engines)('idle meeting scheduler on %s', (engine) => {
  const clock = new TestClock(day('08:00:00'));
  const ctx = useMeetingServer(engine, clock);
  const tickAt = (time: string) => {
    clock.set(day(time));
    return ctx.server.app.services.meetings.tick();
  };

  it('knows when its next work is due, from pre-creation to closing', async () => {
    const { server, feeds } = ctx;
    expect(await tickAt('08:00:00')).toBeNull(); // no rooms, no meetings: it may sleep as long as it likes

    await roomWithCalendar(server, feeds, 'idle', [roomEvent('idle', 'talk', day('10:00:00'), day('10:30:00'))]);
    expect(await tickAt('08:00:01')).toEqual(day('09:59:00')); // pre-created one minute ahead
    expect(await tickAt('09:59:00')).toEqual(day('10:00:00')); // then announced at its start
    expect(await tickAt('10:00:00')).toEqual(day('11:00:00')); // nobody joins: closed 30 minutes after its end
    expect(await tickAt('11:00:00')).toBeNull();
    expect(await server.app.services.db.meeting.findFirstOrThrow({ where: { room: { name: 'idle' } } })).toMatchObject({ isActive: false, closeReason: 'no_show' });

    // An unscheduled meeting nobody joins is next due when its grace period ends.
    clock.set(day('12:00:00'));
    resultAs((await server.request(CreateMeeting, { roomName: 'idle' }, { as: 'owner' })).body.data?.createMeeting, 'CreateMeetingSuccess');
    expect(await tickAt('12:00:00')).toEqual(day('12:15:00'));
    expect(await tickAt('12:15:00')).toBeNull();
  });
});
