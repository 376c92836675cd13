// The lifecycle rules of SPEC §4, in one place.
import type { CalendarEvent } from '../generated/prisma/client.js';

const MINUTE = 60_000;
/** A meeting closes this long after its last participant left; a join meanwhile cancels that. */
export const EMPTY_GRACE_MS = 15 * MINUTE;
/** A calendar meeting nobody joined closes this long after the event's scheduled end. */
export const NO_SHOW_AFTER_END_MS = 30 * MINUTE;
/** No meeting outlives this, counted from its start (also the life of an unscheduled one). */
export const MAX_MEETING_MS = 8 * 60 * MINUTE;

/** Why a meeting was closed (stored in Meeting.closeReason; also the GraphQL MeetingCloseReason enum). */
export const CLOSE_REASONS = ['empty_after_grace', 'no_show', 'max_duration', 'calendar_event_deleted'] as const;
export type CloseReason = (typeof CLOSE_REASONS)[number];

/** Events of one room with the same start and end share one meeting: this is their key. */
export function calendarSlotOf(event: Pick<CalendarEvent, 'roomId' | 'start' | 'end'>): string {
  return `${event.roomId}|${event.start.toISOString()}|${event.end.toISOString()}`;
}
