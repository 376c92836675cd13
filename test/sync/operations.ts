import { graphql } from '../generated/index.js';

export const EnableCalendar = graphql(`
  mutation EnableCalendar($name: String!, $url: String!) {
    updateRoom(name: $name, input: { ics: { url: $url, enabled: true } }) {
      __typename
      ... on UpdateRoomSuccess { room { name } }
    }
  }
`);

export const SyncRoomCalendar = graphql(`
  mutation SyncRoomCalendar($roomName: String!) {
    syncRoomCalendar(roomName: $roomName) {
      __typename
      ... on SyncRoomCalendarSuccess { result { status error } }
      ... on UserError { message }
      ... on RateLimited { retryAfterSeconds }
    }
  }
`);

export const RoomCalendar = graphql(`
  query RoomCalendar($name: String!, $includeDeleted: Boolean) {
    room(name: $name) {
      calendarEvents(includeDeleted: $includeDeleted, first: 100) {
        edges {
          node {
            title
            startsAt
            endsAt
            timeZone
            isAllDay
            startDate
            endDate
            durationSeconds
            isRecurring
            isDeleted
            status
            location
            description
            organizer { email name isOrganizer }
            attendees { email name partstat role isOrganizer }
          }
        }
      }
      ics {
        lastStatus
        lastError
        nextSyncAt
        lastSyncAt
        eventsInFeed
        eventsInWindow
        eventsMatched
        eventsCreated
        eventsUpdated
        eventsDeleted
        eventsRestored
      }
    }
  }
`);

export const TestIcsUrl = graphql(`
  mutation TestIcsUrl($url: String!, $roomName: String) {
    testIcsUrl(url: $url, roomName: $roomName) {
      __typename
      ... on TestIcsUrlSuccess { report { eventsInFeed eventsInWindow eventsMatched } }
      ... on FeedError { code message httpStatus }
      ... on NotFound { message }
    }
  }
`);

export const SyncStatus = graphql(`
  subscription SyncStatus($roomName: String!) {
    syncStatus(roomName: $roomName) {
      phase
      room { name ics { lastStatus eventsMatched } }
    }
  }
`);
