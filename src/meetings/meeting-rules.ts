// The lifecycle rules of SPEC §4, in one place: pure functions of a meeting,
// its participants' state and the time, used by the meeting scheduler.
import type { CalendarEvent, Meeting } from '../generated/prisma/client.js';

const MINUTE = 60_000;
/**
 * A meeting closes this long after its last participant left; a join meanwhile cancels that.
 * An unscheduled meeting nobody joined closes this long after it was started.
 */
export const EMPTY_GRACE_MS = 15 * MINUTE;
/** A calendar meeting nobody joined closes this long after the event's scheduled end. */
export const NO_SHOW_AFTER_END_MS = 30 * MINUTE;
/** No meeting outlives this, counted from its start (also the planned end of an unscheduled one). */
export const MAX_MEETING_MS = 8 * 60 * MINUTE;

/** Why a meeting was closed (stored in Meeting.closeReason; also the GraphQL MeetingCloseReason enum). */
export const CLOSE_REASONS = ['empty_after_grace', 'no_show', 'max_duration', 'calendar_event_deleted'] as const;
export type CloseReason = (typeof CLOSE_REASONS)[number];

/** What the closing rules look at. */
export type MeetingState = Pick<
  Meeting,
  'isActive' | 'startDate' | 'endDate' | 'calendarSlot' | 'participantCount' | 'firstJoinedAt' | 'lastParticipantLeftAt'
>;

export interface CloseDue {
  at: Date;
  reason: CloseReason;
}

const after = (date: Date, ms: number) => new Date(date.getTime() + ms);

/**
 * When the meeting will close, and why, if nothing changes meanwhile (a join
 * or leave changes the participant state, so callers re-evaluate after it).
 * Null for a closed meeting. The earliest rule wins; on a tie the first listed.
 */
export function closeDueOf(meeting: MeetingState): CloseDue | null {
  if (!meeting.isActive) return null;
  const candidates: CloseDue[] = [{ at: after(meeting.startDate, MAX_MEETING_MS), reason: 'max_duration' }];
  const empty = meeting.participantCount === 0;
  if (empty && meeting.lastParticipantLeftAt) {
    candidates.push({ at: after(meeting.lastParticipantLeftAt, EMPTY_GRACE_MS), reason: 'empty_after_grace' });
  }
  if (empty && meeting.firstJoinedAt === null) {
    if (meeting.calendarSlot === null) {
      // Started by someone on the spot: nobody came within the grace period.
      candidates.push({ at: after(meeting.startDate, EMPTY_GRACE_MS), reason: 'empty_after_grace' });
    } else {
      candidates.push({ at: after(meeting.endDate, NO_SHOW_AFTER_END_MS), reason: 'no_show' });
    }
  }
  return candidates.reduce((earliest, candidate) => (candidate.at < earliest.at ? candidate : earliest));
}

/**
 * Why the meeting must close at `now`, or null if it stays open.
 * `calendarEventGone`: the event behind a scheduled meeting that has not
 * started was deleted (and did not move elsewhere); an unused meeting goes with it.
 */
export function closeReasonAt(meeting: MeetingState, now: Date, options: { calendarEventGone?: boolean } = {}): CloseReason | null {
  if (!meeting.isActive) return null;
  if (options.calendarEventGone && meeting.firstJoinedAt === null) return 'calendar_event_deleted';
  const due = closeDueOf(meeting);
  return due && due.at <= now ? due.reason : null;
}

/** Events of one room with the same start and end share one meeting: this is their key. */
export function calendarSlotOf(event: Pick<CalendarEvent, 'roomId' | 'start' | 'end'>): string {
  return `${event.roomId}|${event.start.toISOString()}|${event.end.toISOString()}`;
}

/** A meeting the video platform failed to create is asked again after this, doubling per failure in a row… */
export const PROVISION_RETRY_BASE_MS = 5_000;
/** … up to this. */
export const PROVISION_RETRY_MAX_MS = 5 * MINUTE;

/** How long to wait before asking the platform again after `failures` failures in a row (≥ 1). */
export function provisionRetryDelayMs(failures: number): number {
  return Math.min(PROVISION_RETRY_BASE_MS * 2 ** Math.max(0, failures - 1), PROVISION_RETRY_MAX_MS);
}
