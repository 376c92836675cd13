import { graphql } from '../generated/index.js';

export const RoomMeetings = graphql(`
  query RoomMeetings($name: String!) {
    serverTime
    room(name: $name) {
      activeMeetings {
        id
        title
        status
        startsAt
        endsAt
        participantCount
        isScheduled
        hostRoomUrl
        platformMeetingId
        calendarDetails { description organizer { email } }
      }
      upcomingMeetings {
        title
        startsAt
        endsAt
        secondsUntilStart
        calendarEvent { title description }
        meeting { id status }
      }
    }
  }
`);

export const JoinMeeting = graphql(`
  mutation JoinMeeting($roomName: String!, $meetingId: ID!) {
    joinMeeting(roomName: $roomName, meetingId: $meetingId) {
      __typename
      ... on JoinMeetingSuccess {
        join {
          state
          roomUrl
          startsAt
          serverTime
          meeting { id title status }
        }
      }
      ... on UserError { message }
      ... on MeetingEnded { closedAt }
    }
  }
`);

export const CreateMeeting = graphql(`
  mutation CreateMeeting($roomName: String!) {
    createMeeting(roomName: $roomName) {
      __typename
      ... on CreateMeetingSuccess {
        meeting { id title status isScheduled startsAt endsAt durationSeconds hostRoomUrl platformMeetingId }
      }
      ... on UserError { message }
      ... on RateLimited { retryAfterSeconds }
    }
  }
`);

export const MeetingStarted = graphql(`
  subscription MeetingStarted($roomName: String!) {
    meetingStarted(roomName: $roomName) { id title startsAt isScheduled hostRoomUrl calendarDetails { organizer { email } } }
  }
`);

export const ParticipantCount = graphql(`
  subscription ParticipantCount($meetingId: ID!) {
    participantCount(meetingId: $meetingId) { meetingId participantCount }
  }
`);

export const RoomScheduleChanged = graphql(`
  subscription RoomScheduleChanged($roomName: String!) {
    roomScheduleChanged(roomName: $roomName) { name }
  }
`);

export const SetMeetingStartPolicy = graphql(`
  mutation SetMeetingStartPolicy($name: String!, $policy: MeetingStartPolicy!) {
    updateRoom(name: $name, input: { meetingStartPolicy: $policy }) {
      __typename
      ... on UpdateRoomSuccess { room { name meetingStartPolicy } }
      ... on UserError { message }
    }
  }
`);

export const MeetingStartRights = graphql(`
  query MeetingStartRights($name: String!) {
    room(name: $name) { meetingStartPolicy viewerMayStartMeeting }
  }
`);

export const SetRoomPlatform = graphql(`
  mutation SetRoomPlatform($name: String!, $platform: VideoPlatform!) {
    updateRoom(name: $name, input: { platform: $platform }) {
      __typename
      ... on UpdateRoomSuccess { room { name platform } }
      ... on UserError { message }
      ... on InvalidInput { field }
    }
  }
`);

export const CreateRoomOnPlatform = graphql(`
  mutation CreateRoomOnPlatform($name: String!, $platform: VideoPlatform!) {
    createRoom(input: { name: $name, platform: $platform }) {
      __typename
      ... on CreateRoomSuccess { room { name platform } }
      ... on UserError { message }
      ... on InvalidInput { field }
    }
  }
`);

export const MeetingProvisioning = graphql(`
  query MeetingProvisioning($name: String!) {
    room(name: $name) {
      upcomingMeetings(withinMinutes: 120) { title meeting { id provisioningError } }
      activeMeetings { id provisioningError }
    }
  }
`);
