// Every GraphQL document of the room page, and the mapping from their results
// to the view models the pages render (view-model.ts). When the schema
// changes, this file is the one to adapt; `npm run codegen` types it.
// Mutations answer a union of their success type and typed errors: each
// document asks for __typename and every UserError's message, and
// `succeeded` (api.ts) turns the error members into errors the pages show.
import { graphql } from './generated/index.js';
import type { MeetingView, OwnerDetails, Person, RoomView, SyncView } from './view-model.js';

// A fragment the documents below spread.
graphql(`
  fragment PersonFields on Attendee {
    name
    email
    partstat
    isOrganizer
  }
`);

// A fragment the documents below spread.
graphql(`
  fragment RoomSchedule on Room {
    name
    isOwner
    viewerMayStartMeeting
    activeMeetings {
      id
      title
      isScheduled
      startsAt
      endsAt
      participantCount
      calendarDetails {
        description
        organizer { ...PersonFields }
        attendees { ...PersonFields }
      }
    }
    upcomingMeetings(withinMinutes: 30) {
      title
      startsAt
      endsAt
      calendarEvent {
        id
        description
        organizer { ...PersonFields }
        attendees { ...PersonFields }
      }
      meeting { id participantCount }
    }
  }
`);

// Without serverTime: the server can answer everyone who opens the page from
// one cached result. The clock offset comes from ServerClock.
export const RoomPage = graphql(`
  query RoomPage($name: String!) {
    room(name: $name) { ...RoomSchedule }
  }
`);

export const ServerClock = graphql(`
  query ServerClock {
    serverTime
  }
`);

export const RoomScheduleChanged = graphql(`
  subscription RoomScheduleChanged($roomName: String!) {
    roomScheduleChanged(roomName: $roomName) { ...RoomSchedule }
  }
`);

export const ParticipantCount = graphql(`
  subscription ParticipantCount($meetingId: ID!) {
    participantCount(meetingId: $meetingId) { meetingId participantCount }
  }
`);

export const MeetingStarted = graphql(`
  subscription MeetingStarted($roomName: String!) {
    meetingStarted(roomName: $roomName) { id startsAt endsAt }
  }
`);

export const JoinMeeting = graphql(`
  mutation JoinMeeting($roomName: String!, $meetingId: ID!) {
    joinMeeting(roomName: $roomName, meetingId: $meetingId) {
      __typename
      ... on JoinMeetingSuccess { join { state roomUrl meeting { id hostRoomUrl } } }
      ... on UserError { message }
    }
  }
`);

export const CreateMeeting = graphql(`
  mutation CreateMeeting($roomName: String!) {
    createMeeting(roomName: $roomName) {
      __typename
      ... on CreateMeetingSuccess { meeting { id } }
      ... on UserError { message }
    }
  }
`);

// A fragment the documents below spread.
graphql(`
  fragment IcsFields on RoomIcs {
    url
    enabled
    fetchInterval
    lastSyncAt
    nextSyncAt
    lastStatus
    lastError
    eventsMatched
  }
`);

export const RoomSettings = graphql(`
  query RoomSettings($name: String!) {
    room(name: $name) { name isOwner ics { ...IcsFields } }
  }
`);

export const UpdateIcs = graphql(`
  mutation UpdateIcs($name: String!, $ics: IcsSettingsInput!) {
    updateRoom(name: $name, input: { ics: $ics }) {
      __typename
      ... on UpdateRoomSuccess { room { ics { ...IcsFields } } }
      ... on UserError { message }
    }
  }
`);

export const ClearIcs = graphql(`
  mutation ClearIcs($roomName: String!) {
    clearIcsUrl(roomName: $roomName) {
      __typename
      ... on ClearIcsUrlSuccess { room { ics { ...IcsFields } } }
      ... on UserError { message }
    }
  }
`);

export const TestIcsUrl = graphql(`
  mutation TestIcsUrl($url: String!, $roomName: String) {
    testIcsUrl(url: $url, roomName: $roomName) {
      __typename
      ... on TestIcsUrlSuccess { report { eventsInFeed eventsInWindow eventsMatched } }
      ... on UserError { message }
    }
  }
`);

export const SyncNow = graphql(`
  mutation SyncNow($roomName: String!) {
    syncRoomCalendar(roomName: $roomName) {
      __typename
      ... on SyncRoomCalendarSuccess { result { status error } }
      ... on UserError { message }
    }
  }
`);

export const SyncStatus = graphql(`
  subscription SyncStatus($roomName: String!) {
    syncStatus(roomName: $roomName) { phase room { ics { ...IcsFields } } }
  }
`);

export const VideoMeeting = graphql(`
  query VideoMeeting($name: String!) {
    room(name: $name) { activeMeetings { id title participantCount } }
  }
`);

// ---- results to view models -------------------------------------------------

type Schedule = NonNullable<import('./generated/graphql.js').RoomPageQuery['room']>;
type ActiveMeeting = Schedule['activeMeetings'][number];
type UpcomingMeeting = Schedule['upcomingMeetings'][number];
type Attendee = import('./generated/graphql.js').PersonFieldsFragment;
type Ics = import('./generated/graphql.js').IcsFieldsFragment;

const person = (attendee: Attendee): Person => ({
  name: attendee.name ?? null,
  email: attendee.email ?? null,
  rsvp: attendee.partstat ?? null,
  isOrganizer: attendee.isOrganizer,
});

/** Owner-only fields arrive as null for everyone else. */
function ownerDetails(details: { description?: string | null; organizer?: Attendee | null; attendees?: Attendee[] | null } | null | undefined): OwnerDetails | null {
  if (!details || (details.attendees == null && details.organizer == null && details.description == null)) return null;
  return {
    description: details.description ?? null,
    organizer: details.organizer ? person(details.organizer) : null,
    attendees: (details.attendees ?? []).map(person),
  };
}

const activeView = (meeting: ActiveMeeting): MeetingView => ({
  key: meeting.id,
  meetingId: meeting.id,
  title: meeting.title ?? null,
  startsAt: Date.parse(meeting.startsAt),
  endsAt: Date.parse(meeting.endsAt),
  participantCount: meeting.participantCount,
  details: ownerDetails(meeting.calendarDetails),
});

const upcomingView = (upcoming: UpcomingMeeting): MeetingView => ({
  key: upcoming.meeting?.id ?? upcoming.calendarEvent.id,
  meetingId: upcoming.meeting?.id ?? null,
  title: upcoming.title,
  startsAt: Date.parse(upcoming.startsAt),
  endsAt: Date.parse(upcoming.endsAt),
  participantCount: upcoming.meeting?.participantCount ?? 0,
  details: ownerDetails(upcoming.calendarEvent),
});

export const toRoomView = (room: Schedule): RoomView => ({
  name: room.name,
  isOwner: room.isOwner,
  mayStartMeeting: room.viewerMayStartMeeting,
  active: room.activeMeetings.map(activeView),
  upcoming: room.upcomingMeetings.map(upcomingView),
});

export const toSyncView = (ics: Ics): SyncView => ({
  maskedUrl: ics.url ?? null,
  enabled: ics.enabled,
  interval: ics.fetchInterval,
  lastSyncAt: ics.lastSyncAt ? Date.parse(ics.lastSyncAt) : null,
  nextSyncAt: ics.nextSyncAt ? Date.parse(ics.nextSyncAt) : null,
  lastOutcome: ics.lastStatus ?? null,
  lastError: ics.lastError ?? null,
  eventsMatched: ics.eventsMatched ?? null,
});

/** A started meeting from meetingStarted, to match against what a waiting page waits for. */
export const startedSlot = (meeting: { id: string; startsAt: string; endsAt: string }) => ({
  meetingId: meeting.id,
  startsAt: Date.parse(meeting.startsAt),
  endsAt: Date.parse(meeting.endsAt),
});
