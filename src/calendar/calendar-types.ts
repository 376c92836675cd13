// The shapes the calendar code hands to the rest of the server: what a feed
// yields per event instance, and what is known about a parsed calendar.

export interface Attendee {
  email: string | null;
  name: string | null;
  partstat: string | null;
  role: string | null;
  isOrganizer: boolean;
}

export interface CalendarInstance {
  uid: string;
  /** '' for a non-recurring event, else the instance's original start as a UTC ISO string. */
  recurrenceId: string;
  title: string;
  description: string | null;
  location: string | null;
  start: Date;
  end: Date;
  isAllDay: boolean;
  /** Zone of the start (IANA name when known); the calendar's zone for all-day and floating values. */
  timeZone: string;
  status: string | null;
  attendees: Attendee[];
  organizer: Attendee | null;
  sequence: number;
  lastModified: Date | null;
  recurrenceRule: string | null;
  rawVevent: string;
}

export interface ExpandWindow {
  start: Date;
  end: Date;
}

/** What is known about a parsed feed as a whole (the parse itself stays opaque). */
export interface ParsedCalendar {
  readonly eventCount: number;
  /** X-WR-TIMEZONE, the zone for the feed's floating times; null when the feed names none. */
  readonly calendarTimeZone: string | null;
}
