// What a scheduled meeting remembers of its calendar event (Meeting.calendarMetadata):
// written by the scheduler when it creates or moves the meeting, read by the API.
import type { Attendee } from '../calendar/calendar-types.js';
import type { CalendarEvent, Meeting, Prisma } from '../generated/prisma/client.js';

export interface CalendarMetadata {
  title?: string;
  description?: string | null;
  organizer?: Attendee | null;
  attendees?: Attendee[];
  recurrenceId?: string | null;
  icsUid?: string;
}

export function calendarMetadataOf(event: CalendarEvent): Prisma.InputJsonObject {
  const metadata: CalendarMetadata = {
    title: event.title,
    description: event.description,
    organizer: event.organizer as Attendee | null,
    attendees: event.attendees as unknown as Attendee[],
    recurrenceId: event.recurrenceId || null,
    icsUid: event.icsUid,
  };
  return metadata as Prisma.InputJsonObject;
}

/** An unscheduled meeting has none: every field is then absent. */
export function calendarMetadataOfMeeting(meeting: Pick<Meeting, 'calendarMetadata'>): CalendarMetadata {
  return (meeting.calendarMetadata ?? {}) as CalendarMetadata;
}
