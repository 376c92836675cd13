// Rooms: lookup by name, the caller's own rooms, creating, changing and
// deleting them, and the owner's view of the calendar feed settings.
import { encodeGlobalID } from '@pothos/plugin-relay';
import { isUniqueViolation } from '../db/unique-violation.js';
import type { Prisma, Room } from '../generated/prisma/client.js';
import { startMeetingRefusal } from '../meetings/create-meeting.js';
import { DEFAULT_ICS_FETCH_INTERVAL, ICS_FETCH_INTERVALS, IcsSettingsError, icsSettingsColumns, NO_FEED, type IcsSettingsChange } from '../rooms/ics-settings.js';
import { maskIcsUrl } from '../rooms/ics-url.js';
import { roomNameProblem } from '../rooms/room-name.js';
import { builder, rowQuery } from './builder.js';
import type { AppContext } from './context.js';
import { forbidden } from './errors.js';
import { OWNER_ONLY, rememberRoomOwner } from './owner-only.js';
import { ConflictError, InvalidInputError, NotFoundError } from './user-errors.js';

export const VideoPlatform = builder.enumType('VideoPlatform', {
  description: "Where the room's video meetings are hosted.",
  values: {
    LOCAL: { description: 'Built-in platform for development and tests: no external calls; participants are simulated with POST /webhooks/local.' },
    WHEREBY: { description: 'Whereby (REST API key configured on the server).' },
  } as const,
});

export const MeetingStartPolicy = builder.enumType('MeetingStartPolicy', {
  description: 'Who may start an unscheduled meeting in a room (createMeeting). Joining meetings is open to everyone either way.',
  values: {
    ANYONE: { description: 'Anyone who can see the room, signed in or not (the default).' },
    SIGNED_IN: { description: 'Any signed-in user.' },
    OWNER: { description: "Only the room's owner." },
  } as const,
});

export const SyncOutcome = builder.enumType('SyncOutcome', {
  description: 'How a calendar sync ended.',
  values: {
    SUCCESS: { description: 'The feed was downloaded and the stored events brought up to date.' },
    UNCHANGED: { description: 'The feed had not changed (HTTP 304 or same content); the window was still reconciled.' },
    ERROR: { description: 'The sync failed (see the error message); stored events were left as they were.' },
    SKIPPED: { description: 'Not run: another sync of this room was already running.' },
  } as const,
});

const intervalNames: Record<(typeof ICS_FETCH_INTERVALS)[number], string> = {
  60: 'EVERY_MINUTE',
  300: 'EVERY_5_MINUTES',
  600: 'EVERY_10_MINUTES',
  1800: 'EVERY_30_MINUTES',
  3600: 'EVERY_HOUR',
};

export const FetchInterval = builder.enumType('FetchInterval', {
  description: 'How often the calendar feed is fetched.',
  values: Object.fromEntries(
    ICS_FETCH_INTERVALS.map((seconds) => [
      intervalNames[seconds],
      { value: seconds, description: `Every ${seconds} seconds${seconds === DEFAULT_ICS_FETCH_INTERVAL ? ' (the default)' : ''}.` },
    ]),
  ) as Record<string, { value: (typeof ICS_FETCH_INTERVALS)[number]; description: string }>,
});

/** The owner's view of a room's calendar feed; built from the Room row. */
const RoomIcs = builder.objectRef<Room>('RoomIcs').implement({
  description: `ICS calendar settings and the last sync outcome. ${OWNER_ONLY.replace('null', 'Room.ics is null')}`,
  fields: (t) => ({
    url: t.string({
      nullable: true,
      description: 'The feed URL with its secret parts (path, query) masked; null when no feed is set.',
      resolve: (room, _args, context) =>
        room.icsUrlEncrypted ? maskIcsUrl(context.services.urlCipher.decrypt(room.icsUrlEncrypted)) : null,
    }),
    enabled: t.boolean({ description: 'Whether the feed is synced on schedule.', resolve: (room) => room.icsEnabled }),
    fetchInterval: t.field({ type: FetchInterval, description: 'How often the feed is fetched.', resolve: (room) => room.icsFetchInterval as 300 }),
    fetchIntervalSeconds: t.int({ description: 'The fetch interval in seconds (the value of fetchInterval).', resolve: (room) => room.icsFetchInterval }),
    lastSyncAt: t.field({ type: 'DateTime', nullable: true, description: 'When the last sync finished.', resolve: (room) => room.icsLastSync }),
    nextSyncAt: t.field({ type: 'DateTime', nullable: true, description: 'When the next scheduled sync is due; null while sync is disabled.', resolve: (room) => room.icsNextSyncAt }),
    lastStatus: t.field({ type: SyncOutcome, nullable: true, description: 'Outcome of the last sync; null before the first.', resolve: (room) => room.icsLastStatus }),
    lastError: t.string({ nullable: true, description: 'Why the last sync failed (lastStatus ERROR).', resolve: (room) => room.icsLastError }),
    lastDurationMs: t.int({ nullable: true, description: 'How long the last sync took, in milliseconds.', resolve: (room) => room.icsLastDurationMs }),
    eventsInFeed: t.int({ nullable: true, description: 'Events (VEVENTs) in the feed at the last sync.', resolve: (room) => room.icsEventsInFeed }),
    eventsInWindow: t.int({ nullable: true, description: 'Instances overlapping the sync window (now − 1 h to now + 24 h).', resolve: (room) => room.icsEventsInWindow }),
    eventsMatched: t.int({ nullable: true, description: 'Instances in the window whose location or description points at this room.', resolve: (room) => room.icsEventsMatched }),
    eventsCreated: t.int({ nullable: true, description: 'Events the last sync added.', resolve: (room) => room.icsEventsCreated }),
    eventsUpdated: t.int({ nullable: true, description: 'Events the last sync changed.', resolve: (room) => room.icsEventsUpdated }),
    eventsDeleted: t.int({ nullable: true, description: 'Future events the last sync soft-deleted (gone from the feed).', resolve: (room) => room.icsEventsDeleted }),
    eventsRestored: t.int({ nullable: true, description: 'Soft-deleted events the last sync restored (back in the feed).', resolve: (room) => room.icsEventsRestored }),
  }),
});

export const RoomRef = builder.prismaNode('Room', {
  id: { field: 'id' },
  nullable: true,
  description: 'A meeting room. Anyone who knows its name can see it; its address is PUBLIC_URL/<name>.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'URL slug: lower-case letters, digits and hyphens; unique.' }),
    platform: t.expose('platform', { type: VideoPlatform, description: 'Where its video meetings are hosted.' }),
    meetingStartPolicy: t.expose('meetingStartPolicy', {
      type: MeetingStartPolicy,
      description: 'Who may start unscheduled meetings here (createMeeting); ANYONE unless the owner restricted it.',
    }),
    viewerMayStartMeeting: t.boolean({
      description: 'Whether the caller may start an unscheduled meeting here now (by meetingStartPolicy): show a "start a meeting" action only when true.',
      resolve: (room, _args, context) => startMeetingRefusal(room, context.viewer?.userId ?? null) === null,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the room was created.' }),
    publicUrl: t.string({
      description: "The room's public address (PUBLIC_URL/<name>): the link people are invited with.",
      resolve: (room, _args, context) => `${context.services.config.publicUrl}/${room.name}`,
    }),
    isOwner: t.boolean({
      description: 'Whether the caller owns the room (and so sees its owner-only fields).',
      resolve: (room, _args, context) => context.viewer?.userId === room.ownerId,
    }),
    ics: t.field({
      type: RoomIcs,
      nullable: true,
      description: `The calendar feed settings and last sync outcome. ${OWNER_ONLY}`,
      resolve: (room, _args, context) => (context.viewer?.userId === room.ownerId ? room : null),
    }),
  }),
});

const IcsSettingsInput = builder.inputType('IcsSettingsInput', {
  description: 'Calendar feed settings. Omitted or null fields stay as they are; remove a feed with clearIcsUrl.',
  fields: (t) => ({
    url: t.string({ description: 'https:// or webcal:// feed URL; replaces the current one (its stored events stay until the next sync).' }),
    enabled: t.boolean({ description: 'Sync on schedule; needs a URL.' }),
    fetchInterval: t.field({ type: FetchInterval, description: 'How often to fetch the feed (default every 5 minutes).' }),
  }),
});

const CreateRoomInput = builder.inputType('CreateRoomInput', {
  description: 'A new room.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'URL slug: lower-case letters, digits, hyphens (2–63 characters).' }),
    platform: t.field({ type: VideoPlatform, description: 'Video platform; LOCAL by default. Only platforms this server has configured (WHEREBY needs WHEREBY_API_KEY).' }),
    meetingStartPolicy: t.field({ type: MeetingStartPolicy, description: 'Who may start unscheduled meetings; ANYONE by default.' }),
    ics: t.field({ type: IcsSettingsInput, description: 'Calendar feed settings.' }),
  }),
});

const UpdateRoomInput = builder.inputType('UpdateRoomInput', {
  description: 'Changes to a room; omitted or null fields stay as they are.',
  fields: (t) => ({
    name: t.string({ description: 'Rename the room (its address changes).' }),
    platform: t.field({ type: VideoPlatform, description: 'Move the room to another video platform (new meetings only). Only platforms this server has configured (WHEREBY needs WHEREBY_API_KEY).' }),
    meetingStartPolicy: t.field({ type: MeetingStartPolicy, description: 'Who may start unscheduled meetings.' }),
    ics: t.field({ type: IcsSettingsInput, description: 'Calendar feed settings.' }),
  }),
});

function validatedName(name: string): string {
  const problem = roomNameProblem(name);
  if (problem) throw new InvalidInputError(problem, 'input.name');
  return name;
}

/** The owner's feed settings as column updates; a setting to fix is an InvalidInput on its field. */
function icsSettingsData(change: IcsSettingsChange, current: Pick<Room, 'icsUrlEncrypted'> | null, context: AppContext): Prisma.RoomUpdateInput {
  const { clock, config, urlCipher } = context.services;
  try {
    return icsSettingsColumns(change, current, { now: clock.now(), allowHttp: config.ics.allowHttp, encryptUrl: (url) => urlCipher.encrypt(url) });
  } catch (error) {
    if (error instanceof IcsSettingsError) throw new InvalidInputError(error.message, `input.ics.${error.field}`);
    throw error;
  }
}

/** A platform this server has not configured cannot be chosen: its meetings could never be created. */
function validatedPlatform(platform: Room['platform'], context: AppContext): Room['platform'] {
  const problem = context.services.platforms.unavailableReason(platform);
  if (problem) throw new InvalidInputError(problem, 'input.platform');
  return platform;
}

const nameTaken = (name: string) => new ConflictError(`A room named "${name}" already exists`, 'input.name');

/** The room by name; NotFound when there is none. */
export async function findRoom(context: AppContext, name: string): Promise<Room> {
  const room = await context.services.db.room.findUnique({ where: { name } });
  if (!room) throw new NotFoundError(`Room "${name}" does not exist`);
  rememberRoomOwner(context, room);
  return room;
}

/** The room, if the caller owns it; NotFound, or FORBIDDEN (a GraphQL error) otherwise. */
export async function findOwnedRoom(context: AppContext, name: string): Promise<Room> {
  const room = await findRoom(context, name);
  if (room.ownerId !== context.viewer?.userId) throw forbidden('Only the room owner can do this');
  return room;
}

/** One connection type for every list of rooms (Query.rooms, Viewer.rooms). */
const RoomConnection = builder.connectionObject({ type: RoomRef, name: 'RoomConnection' });

/** The signed-in user. */
/** A user's rooms by name, for Query.rooms and Viewer.rooms. */
function roomsOwnedBy(context: AppContext, userId: string, query: { include?: Prisma.RoomInclude; select?: Prisma.RoomSelect }) {
  return context.services.db.room.findMany({ ...query, where: { ownerId: userId }, orderBy: { name: 'asc' } });
}

const Viewer = builder.objectRef<{ userId: string }>('Viewer').implement({
  description: 'The signed-in user (the subject of their token).',
  fields: (t) => ({
    userId: t.exposeID('userId', { description: "The user's id (the token's subject)." }),
    rooms: t.prismaConnection({
      type: 'Room',
      cursor: 'id',
      description: "The user's own rooms, by name.",
      resolve: (query, viewer, _args, context) => roomsOwnedBy(context, viewer.userId, query),
    }, RoomConnection),
  }),
});

builder.queryFields((t) => ({
  room: t.prismaField({
    type: 'Room',
    nullable: true,
    description: 'A room by name; null when there is none.',
    args: { name: t.arg.string({ required: true, description: "The room's name (its URL slug)." }) },
    resolve: async (query, _root, { name }, context) => {
      const room = await context.services.db.room.findUnique({ ...query, where: { name } });
      if (room) rememberRoomOwner(context, room);
      return room;
    },
  }),
  rooms: t.prismaConnection({
    type: 'Room',
    cursor: 'id',
    description: "The caller's own rooms, by name (sign-in required; the same as viewer.rooms).",
    authScopes: { authenticated: true },
    resolve: (query, _root, _args, context) => roomsOwnedBy(context, context.viewer!.userId, query),
  }, RoomConnection),
  viewer: t.field({
    type: Viewer,
    nullable: true,
    description: 'The signed-in user and their rooms; null for anonymous callers.',
    resolve: (_root, _args, context) => (context.viewer ? { userId: context.viewer.userId } : null),
  }),
}));

builder.mutationFields((t) => ({
  createRoom: t.prismaField({
    type: 'Room',
    description: 'Creates a room owned by the caller (sign-in required).',
    authScopes: { authenticated: true },
    errors: { types: [InvalidInputError, ConflictError], dataField: { name: 'room', description: 'The new room.' } },
    args: { input: t.arg({ type: CreateRoomInput, required: true, description: 'The room to create.' }) },
    resolve: async (query, _root, { input }, context) => {
      const name = validatedName(input.name);
      const ics = input.ics ? icsSettingsData(input.ics, null, context) : {};
      try {
        const created = await context.services.db.room.create({
          ...rowQuery(query),
          data: {
            ...(ics as Prisma.RoomCreateInput),
            name,
            ownerId: context.viewer!.userId,
            ...(input.platform != null && { platform: validatedPlatform(input.platform, context) }),
            ...(input.meetingStartPolicy != null && { meetingStartPolicy: input.meetingStartPolicy }),
          },
        });
        if (input.ics) context.services.calendarSync.wake();
        // No one subscribes to a room that did not exist, but the response cache
        // drops the room lists and an earlier "no such room" for this name.
        context.services.pubsub.publish('room:updated', created.id, { roomId: created.id });
        return created;
      } catch (error) {
        if (isUniqueViolation(error)) throw nameTaken(name);
        throw error;
      }
    },
  }),
  updateRoom: t.prismaField({
    type: 'Room',
    description: 'Changes a room (owner only). ICS settings go in input.ics.',
    authScopes: { authenticated: true },
    errors: { types: [NotFoundError, InvalidInputError, ConflictError], dataField: { name: 'room', description: 'The room as changed.' } },
    args: {
      name: t.arg.string({ required: true, description: "The room's current name." }),
      input: t.arg({ type: UpdateRoomInput, required: true, description: 'What to change.' }),
    },
    resolve: async (query, _root, { name, input }, context) => {
      const room = await findOwnedRoom(context, name);
      const data: Prisma.RoomUpdateInput = input.ics ? icsSettingsData(input.ics, room, context) : {};
      if (input.name != null) data.name = validatedName(input.name);
      if (input.platform != null) data.platform = validatedPlatform(input.platform, context);
      if (input.meetingStartPolicy != null) data.meetingStartPolicy = input.meetingStartPolicy;
      try {
        return await updateRoomRow(context, room, query, data, input.ics?.url != null);
      } catch (error) {
        if (isUniqueViolation(error)) throw nameTaken(input.name ?? name);
        throw error;
      }
    },
  }),
  clearIcsUrl: t.prismaField({
    type: 'Room',
    description: "Removes the room's calendar feed and disables sync (owner only). Stored events stay as they are.",
    authScopes: { authenticated: true },
    errors: { types: [NotFoundError], dataField: { name: 'room', description: 'The room without a feed.' } },
    args: { roomName: t.arg.string({ required: true, description: "The room's name." }) },
    resolve: async (query, _root, { roomName }, context) => {
      const room = await findOwnedRoom(context, roomName);
      return updateRoomRow(context, room, query, NO_FEED, true);
    },
  }),
  deleteRoom: t.field({
    type: 'ID',
    description: 'Deletes a room with its calendar events and meetings (owner only).',
    authScopes: { authenticated: true },
    errors: { types: [NotFoundError], dataField: { name: 'deletedRoomId', description: "The deleted room's global id." } },
    args: { name: t.arg.string({ required: true, description: "The room's name." }) },
    resolve: async (_root, { name }, context) => {
      const room = await findOwnedRoom(context, name);
      await context.services.db.room.delete({ where: { id: room.id } });
      context.services.pubsub.publish('room:updated', room.id, { roomId: room.id });
      return encodeGlobalID('Room', room.id);
    },
  }),
}));

/** Writes a room change (dropping the stored feed body when the feed changed) and announces it. */
async function updateRoomRow(
  context: AppContext,
  room: Room,
  query: { include?: Prisma.RoomInclude; select?: Prisma.RoomSelect },
  data: Prisma.RoomUpdateInput,
  feedReplaced: boolean,
): Promise<Room> {
  const updated = await context.services.db.$transaction(async (tx) => {
    if (feedReplaced) await tx.icsFeedSnapshot.deleteMany({ where: { roomId: room.id } });
    return tx.room.update({ ...rowQuery(query), where: { id: room.id }, data });
  });
  context.services.pubsub.publish('room:updated', room.id, { roomId: room.id });
  if (data.icsNextSyncAt) context.services.calendarSync.wake(); // a sync is due now: the scheduler may be asleep until later
  return updated;
}

builder.subscriptionField('roomUpdated', (t) =>
  t.prismaField({
    type: 'Room',
    nullable: true,
    description: 'The room after each change to it; null once it has been deleted.',
    args: { name: t.arg.string({ required: true, description: "The room's name." }) },
    subscribe: async (_root, { name }, context) =>
      context.services.pubsub.subscribe('room:updated', (await findRoom(context, name)).id),
    resolve: (query, payload, _args, context) =>
      context.services.db.room.findUnique({ ...query, where: { id: (payload as { roomId: string }).roomId } }),
  }),
);
