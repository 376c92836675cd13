// The closing rules as a table: a meeting's participant state and the time → why it closes (or stays open).
import { describe, expect, it } from 'vitest';
import { closeDueOf, closeReasonAt, provisionRetryDelayMs, type MeetingState } from '../../src/meetings/meeting-rules.js';

const at = (time: string) => new Date(`2026-12-01T${time}Z`);
const scheduled: MeetingState = {
  isActive: true,
  startDate: at('10:00:00'),
  endDate: at('10:30:00'),
  calendarSlot: 'room|10:00|10:30',
  participantCount: 0,
  firstJoinedAt: null,
  lastParticipantLeftAt: null,
};
const unscheduled: MeetingState = { ...scheduled, calendarSlot: null, endDate: at('18:00:00') };
const joined = { firstJoinedAt: at('10:01:00') };

describe('closing rules', () => {
  it.each<[string, MeetingState, string, ReturnType<typeof closeReasonAt>]>([
    ['scheduled, nobody came, 29:59 after the end', scheduled, '10:59:59', null],
    ['scheduled, nobody came, 30 min after the end', scheduled, '11:00:00', 'no_show'],
    ['scheduled, people inside after the end', { ...scheduled, ...joined, participantCount: 2 }, '12:00:00', null],
    ['scheduled, everyone left 14:59 ago', { ...scheduled, ...joined, lastParticipantLeftAt: at('10:20:00') }, '10:34:59', null],
    ['scheduled, everyone left 15 min ago', { ...scheduled, ...joined, lastParticipantLeftAt: at('10:20:00') }, '10:35:00', 'empty_after_grace'],
    ['someone rejoined during the grace period', { ...scheduled, ...joined, participantCount: 1, lastParticipantLeftAt: at('10:20:00') }, '10:40:00', null],
    ['joined once, left, no show rule does not apply', { ...scheduled, ...joined, lastParticipantLeftAt: at('10:50:00') }, '11:00:00', null],
    ['unscheduled, nobody came for 14:59', unscheduled, '10:14:59', null],
    ['unscheduled, nobody came for 15 min', unscheduled, '10:15:00', 'empty_after_grace'],
    ['unscheduled, in use for 7:59', { ...unscheduled, ...joined, participantCount: 3 }, '17:59:59', null],
    ['any meeting after 8 hours, even in use', { ...unscheduled, ...joined, participantCount: 3 }, '18:00:00', 'max_duration'],
    ['a closed meeting stays closed', { ...scheduled, isActive: false }, '23:00:00', null],
  ])('%s', (_case, meeting, now, reason) => {
    expect(closeReasonAt(meeting, at(now))).toBe(reason);
  });

  it('closes an unused meeting whose calendar event went away, but not one people joined', () => {
    expect(closeReasonAt(scheduled, at('09:59:30'), { calendarEventGone: true })).toBe('calendar_event_deleted');
    expect(closeReasonAt({ ...scheduled, ...joined }, at('09:59:30'), { calendarEventGone: true })).toBeNull();
  });

  it('tells when a meeting will close if nothing changes', () => {
    expect(closeDueOf(scheduled)).toEqual({ at: at('11:00:00'), reason: 'no_show' });
    expect(closeDueOf(unscheduled)).toEqual({ at: at('10:15:00'), reason: 'empty_after_grace' });
    expect(closeDueOf({ ...scheduled, ...joined, participantCount: 1 })).toEqual({ at: at('18:00:00'), reason: 'max_duration' });
  });
});

describe('platform retry back-off', () => {
  it('doubles from 5 s and stays at 5 minutes', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 50].map(provisionRetryDelayMs)).toEqual([5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
  });
});
