// The GraphQL operations the API tests send, typed by graphql-codegen.
import { graphql } from '../generated/index.js';

export const CreateRoom = graphql(`
  mutation CreateRoom($input: CreateRoomInput!) {
    createRoom(input: $input) {
      id
      name
      isOwner
      publicUrl
      platform
      ics { url enabled fetchIntervalSeconds nextSyncAt lastStatus }
    }
  }
`);

export const UpdateRoom = graphql(`
  mutation UpdateRoom($name: String!, $input: UpdateRoomInput!) {
    updateRoom(name: $name, input: $input) {
      name
      platform
      ics { url enabled fetchIntervalSeconds nextSyncAt }
    }
  }
`);

export const DeleteRoom = graphql(`
  mutation DeleteRoom($name: String!) {
    deleteRoom(name: $name)
  }
`);

export const RoomByName = graphql(`
  query RoomByName($name: String!) {
    room(name: $name) {
      id
      name
      isOwner
      ics { url enabled fetchIntervalSeconds }
    }
  }
`);

export const MyRooms = graphql(`
  query MyRooms {
    rooms { name }
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
