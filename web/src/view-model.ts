// What the pages render, independent of the GraphQL field names
// (operations.ts maps query results to these).
import type { FetchInterval } from './generated/graphql.js';

export interface Person {
  name: string | null;
  email: string | null;
  /** The answer to the invitation: ACCEPTED, DECLINED, TENTATIVE, NEEDS_ACTION … */
  rsvp: string | null;
  isOrganizer: boolean;
}

/** Only the room owner gets these; null for everyone else. */
export interface OwnerDetails {
  description: string | null;
  organizer: Person | null;
  attendees: Person[];
}

export interface MeetingView {
  /** Stable across updates: the meeting id, or the calendar event's before the meeting exists. */
  key: string;
  /** Null while an upcoming meeting has not been pre-created yet. */
  meetingId: string | null;
  /** Null for an unscheduled meeting. */
  title: string | null;
  /** Epoch milliseconds. */
  startsAt: number;
  endsAt: number;
  participantCount: number;
  details: OwnerDetails | null;
}

export interface RoomView {
  name: string;
  isOwner: boolean;
  /** The caller may start an unscheduled meeting here (the room's meetingStartPolicy). */
  mayStartMeeting: boolean;
  active: MeetingView[];
  upcoming: MeetingView[];
}

export interface SyncView {
  maskedUrl: string | null;
  enabled: boolean;
  interval: FetchInterval;
  lastSyncAt: number | null;
  nextSyncAt: number | null;
  lastOutcome: string | null;
  lastError: string | null;
  eventsMatched: number | null;
}
