// The GraphQL operations the API tests send, typed by graphql-codegen.
import { graphql } from '../generated/index.js';

export const CreateRoom = graphql(`
  mutation CreateRoom($input: CreateRoomInput!) {
    createRoom(input: $input) {
      __typename
      ... on CreateRoomSuccess {
        room {
          id
          name
          isOwner
          publicUrl
          platform
          ics { url enabled fetchInterval fetchIntervalSeconds nextSyncAt lastStatus }
        }
      }
      ... on UserError { message }
      ... on InvalidInput { field }
      ... on Conflict { field }
    }
  }
`);

export const UpdateRoom = graphql(`
  mutation UpdateRoom($name: String!, $input: UpdateRoomInput!) {
    updateRoom(name: $name, input: $input) {
      __typename
      ... on UpdateRoomSuccess {
        room {
          name
          platform
          ics { url enabled fetchInterval fetchIntervalSeconds nextSyncAt }
        }
      }
      ... on UserError { message }
      ... on InvalidInput { field }
      ... on Conflict { field }
    }
  }
`);

export const ClearIcsUrl = graphql(`
  mutation ClearIcsUrl($roomName: String!) {
    clearIcsUrl(roomName: $roomName) {
      __typename
      ... on ClearIcsUrlSuccess { room { ics { url enabled nextSyncAt } } }
      ... on UserError { message }
    }
  }
`);

export const DeleteRoom = graphql(`
  mutation DeleteRoom($name: String!) {
    deleteRoom(name: $name) {
      __typename
      ... on DeleteRoomSuccess { deletedRoomId }
      ... on UserError { message }
    }
  }
`);

export const RoomByName = graphql(`
  query RoomByName($name: String!) {
    room(name: $name) {
      id
      name
      isOwner
      ics { url enabled fetchInterval fetchIntervalSeconds }
    }
  }
`);

export const MyRooms = graphql(`
  query MyRooms($first: Int, $after: String) {
    rooms(first: $first, after: $after) {
      edges { cursor node { name } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const Viewer = graphql(`
  query Viewer {
    viewer {
      userId
      rooms { edges { node { name } } }
    }
  }
`);

export const NodeById = graphql(`
  query NodeById($id: ID!) {
    node(id: $id) {
      __typename
      id
      ... on Room { name ics { enabled } }
      ... on Meeting { meetingTitle: title startsAt }
      ... on CalendarEvent { title location }
    }
  }
`);

export const ServerTime = graphql(`
  query ServerTime {
    serverTime
  }
`);

export const RoomUpdated = graphql(`
  subscription RoomUpdated($name: String!) {
    roomUpdated(name: $name) {
      name
      platform
      ics { url fetchIntervalSeconds }
    }
  }
`);

export const RoomEvents = graphql(`
  query RoomEvents($name: String!) {
    room(name: $name) {
      calendarEvents(first: 10) {
        edges {
          node { id title startsAt endsAt isAllDay startDate endDate timeZone status location }
        }
      }
    }
  }
`);

export const RoomHistory = graphql(`
  query RoomHistory($name: String!) {
    room(name: $name) {
      meetings(first: 10) {
        edges {
          node { id title startsAt endsAt durationSeconds status closedAt closeReason peakParticipantCount platformMeetingId }
        }
      }
    }
  }
`);

export const RoomEventsUpdated = graphql(`
  subscription RoomEventsUpdated($name: String!) {
    roomUpdated(name: $name) {
      calendarEvents { edges { node { title location } } }
    }
  }
`);
