import { graphql } from '../generated/index.js';

export const EnableCalendar = graphql(`
  mutation EnableCalendar($name: String!, $url: String!) {
    updateRoom(name: $name, input: { ics: { url: $url, enabled: true } }) { name }
  }
`);

export const SyncRoomCalendar = graphql(`
  mutation SyncRoomCalendar($roomName: String!) {
    syncRoomCalendar(roomName: $roomName) { status error }
  }
`);

export const RoomCalendar = graphql(`
  query RoomCalendar($name: String!, $includeDeleted: Boolean) {
    room(name: $name) {
      calendarEvents(includeDeleted: $includeDeleted) {
        title
        start
        end
        durationSeconds
        isRecurring
        isDeleted
        location
        description
        organizer { email name isOrganizer }
        attendees { email name partstat role isOrganizer }
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
    testIcsUrl(url: $url, roomName: $roomName) { ok error errorCode eventsInFeed eventsInWindow eventsMatched }
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
