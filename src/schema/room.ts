import { Prisma, type Room } from '../generated/prisma/client.js';
import { isAllowedFetchInterval, ICS_FETCH_INTERVALS } from '../rooms/ics-settings.js';
import { maskIcsUrl, normalizeIcsUrl } from '../rooms/ics-url.js';
import { roomNameProblem } from '../rooms/room-name.js';
import { builder } from './builder.js';
import type { AppContext } from './context.js';
import { appError, badUserInput, forbidden, notFound } from './errors.js';

const VideoPlatform = builder.enumType('VideoPlatform', {
  description: 'Where the room\'s video meetings are hosted.',
  values: { LOCAL: { description: 'Built-in platform for development and tests' }, WHEREBY: {} } as const,
});

export const SyncOutcome = builder.enumType('SyncOutcome', {
  values: ['SUCCESS', 'UNCHANGED', 'ERROR', 'SKIPPED'] as const,
});

/** The owner's view of a room's calendar feed; built from the Room row. */
const RoomIcs = builder.objectRef<Room>('RoomIcs').implement({
  description: 'ICS calendar settings and the last sync outcome. Visible to the room owner only.',
  fields: (t) => ({
    url: t.string({
      nullable: true,
      description: 'The feed URL with its secret parts hidden.',
      resolve: (room, _args, context) =>
        room.icsUrlEncrypted ? maskIcsUrl(context.services.urlCipher.decrypt(room.icsUrlEncrypted)) : null,
    }),
    enabled: t.boolean({ resolve: (room) => room.icsEnabled }),
    fetchIntervalSeconds: t.int({ resolve: (room) => room.icsFetchInterval }),
    lastSyncAt: t.field({ type: 'DateTime', nullable: true, resolve: (room) => room.icsLastSync }),
    nextSyncAt: t.field({ type: 'DateTime', nullable: true, resolve: (room) => room.icsNextSyncAt }),
    lastStatus: t.field({ type: SyncOutcome, nullable: true, resolve: (room) => room.icsLastStatus }),
    lastError: t.string({ nullable: true, resolve: (room) => room.icsLastError }),
    lastDurationMs: t.int({ nullable: true, resolve: (room) => room.icsLastDurationMs }),
    eventsInFeed: t.int({ nullable: true, resolve: (room) => room.icsEventsInFeed }),
    eventsInWindow: t.int({ nullable: true, resolve: (room) => room.icsEventsInWindow }),
    eventsMatched: t.int({ nullable: true, resolve: (room) => room.icsEventsMatched }),
    eventsCreated: t.int({ nullable: true, resolve: (room) => room.icsEventsCreated }),
    eventsUpdated: t.int({ nullable: true, resolve: (room) => room.icsEventsUpdated }),
    eventsDeleted: t.int({ nullable: true, resolve: (room) => room.icsEventsDeleted }),
    eventsRestored: t.int({ nullable: true, resolve: (room) => room.icsEventsRestored }),
  }),
});

export const RoomRef = builder.prismaObject('Room', {
  description: 'A meeting room. Anyone who knows its name can see it; its address is PUBLIC_URL/<name>.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    platform: t.expose('platform', { type: VideoPlatform }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    publicUrl: t.string({
      resolve: (room, _args, context) => `${context.services.config.publicUrl}/${room.name}`,
    }),
    isOwner: t.boolean({ resolve: (room, _args, context) => context.viewer?.userId === room.ownerId }),
    ics: t.field({
      type: RoomIcs,
      nullable: true,
      authScopes: (room) => ({ roomOwner: room.ownerId }),
      // Hidden from everyone but the owner without failing the whole query.
      unauthorizedResolver: () => null,
      resolve: (room) => room,
    }),
  }),
});

const IcsSettingsInput = builder.inputType('IcsSettingsInput', {
  description: 'Calendar feed settings; omitted fields stay as they are.',
  fields: (t) => ({
    url: t.string({
      description: 'https:// or webcal:// feed URL; null removes it (and disables sync).',
    }),
    enabled: t.boolean(),
    fetchIntervalSeconds: t.int({ description: `One of ${ICS_FETCH_INTERVALS.join(', ')}.` }),
  }),
});

const CreateRoomInput = builder.inputType('CreateRoomInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: 'URL slug: lower-case letters, digits, hyphens.' }),
    platform: t.field({ type: VideoPlatform }),
    ics: t.field({ type: IcsSettingsInput }),
  }),
});

const UpdateRoomInput = builder.inputType('UpdateRoomInput', {
  fields: (t) => ({
    name: t.string({ description: 'Rename the room (its address changes).' }),
    platform: t.field({ type: VideoPlatform }),
    ics: t.field({ type: IcsSettingsInput }),
  }),
});

type IcsSettings = { url?: string | null; enabled?: boolean | null; fetchIntervalSeconds?: number | null };

function validatedName(name: string): string {
  const problem = roomNameProblem(name);
  if (problem) throw badUserInput(problem, 'name');
  return name;
}

/** Turns ICS settings input into column updates, validating every value. */
function icsSettingsData(
  settings: IcsSettings,
  current: Pick<Room, 'icsUrlEncrypted'> | null,
  context: AppContext,
): Prisma.RoomUpdateInput {
  const data: Prisma.RoomUpdateInput = {};
  const now = context.services.clock.now();
  let hasUrl = current?.icsUrlEncrypted != null;
  if (settings.url !== undefined) {
    // A new feed starts from scratch: old validators and body belong to the old URL.
    // (The stored body of the old feed is dropped by the caller.)
    Object.assign(data, { icsLastEtag: null, icsLastModified: null, icsLastHash: null, icsLastMatchDigest: null, icsFailureCount: 0 });
    if (settings.url === null) {
      Object.assign(data, { icsUrlEncrypted: null, icsEnabled: false, icsNextSyncAt: null });
      hasUrl = false;
    } else {
      const checked = normalizeIcsUrl(settings.url, { allowHttp: context.services.config.ics.allowHttp });
      if (!checked.ok) throw badUserInput(checked.problem, 'ics.url');
      Object.assign(data, { icsUrlEncrypted: context.services.urlCipher.encrypt(checked.url), icsNextSyncAt: now });
      hasUrl = true;
    }
  }
  if (settings.enabled != null) {
    if (settings.enabled && !hasUrl) throw badUserInput('Set an ICS URL before enabling calendar sync', 'ics.enabled');
    data.icsEnabled = settings.enabled;
    if (settings.enabled) data.icsNextSyncAt = now;
  }
  if (settings.fetchIntervalSeconds != null) {
    if (!isAllowedFetchInterval(settings.fetchIntervalSeconds)) {
      throw badUserInput(
        `fetchIntervalSeconds must be one of ${ICS_FETCH_INTERVALS.join(', ')}`,
        'ics.fetchIntervalSeconds',
      );
    }
    data.icsFetchInterval = settings.fetchIntervalSeconds;
  }
  return data;
}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}

function nameTaken(name: string) {
  return appError('CONFLICT', `A room named "${name}" already exists`, { field: 'name' });
}

/** The room by name; NOT_FOUND when there is none. */
export async function findRoom(context: AppContext, name: string): Promise<Room> {
  const room = await context.services.db.room.findUnique({ where: { name } });
  if (!room) throw notFound(`Room "${name}" does not exist`);
  return room;
}

/** The room, if the caller owns it; NOT_FOUND or FORBIDDEN otherwise. */
export async function findOwnedRoom(context: AppContext, name: string): Promise<Room> {
  const room = await findRoom(context, name);
  if (room.ownerId !== context.viewer?.userId) throw forbidden('Only the room owner can do this');
  return room;
}

builder.queryFields((t) => ({
  room: t.prismaField({
    type: 'Room',
    nullable: true,
    description: 'A room by name; null when there is none.',
    args: { name: t.arg.string({ required: true }) },
    resolve: (query, _root, { name }, context) => context.services.db.room.findUnique({ ...query, where: { name } }),
  }),
  rooms: t.prismaField({
    type: ['Room'],
    description: "The caller's own rooms.",
    authScopes: { authenticated: true },
    resolve: (query, _root, _args, context) =>
      context.services.db.room.findMany({
        ...query,
        where: { ownerId: context.viewer!.userId },
        orderBy: { name: 'asc' },
      }),
  }),
}));

builder.mutationFields((t) => ({
  createRoom: t.prismaField({
    type: 'Room',
    description: 'Creates a room owned by the caller.',
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: CreateRoomInput, required: true }) },
    resolve: async (query, _root, { input }, context) => {
      const name = validatedName(input.name);
      const ics = input.ics ? icsSettingsData(input.ics, null, context) : {};
      try {
        const created = await context.services.db.room.create({
          ...query,
          data: {
            ...(ics as Prisma.RoomCreateInput),
            name,
            ownerId: context.viewer!.userId,
            platform: input.platform ?? 'LOCAL',
          },
        });
        if (input.ics) context.services.calendarSync.wake();
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
    args: {
      name: t.arg.string({ required: true }),
      input: t.arg({ type: UpdateRoomInput, required: true }),
    },
    resolve: async (query, _root, { name, input }, context) => {
      const room = await findOwnedRoom(context, name);
      const data: Prisma.RoomUpdateInput = input.ics ? icsSettingsData(input.ics, room, context) : {};
      if (input.name != null) data.name = validatedName(input.name);
      if (input.platform != null) data.platform = input.platform;
      const { db } = context.services;
      try {
        const feedReplaced = input.ics?.url !== undefined;
        const updated = await db.$transaction(async (tx) => {
          if (feedReplaced) await tx.icsFeedSnapshot.deleteMany({ where: { roomId: room.id } });
          return tx.room.update({ ...query, where: { id: room.id }, data });
        });
        context.services.pubsub.publish('room:updated', room.id, { roomId: room.id });
        if (input.ics) context.services.calendarSync.wake();
        return updated;
      } catch (error) {
        if (isUniqueViolation(error)) throw nameTaken(input.name ?? name);
        throw error;
      }
    },
  }),
  deleteRoom: t.id({
    description: "Deletes a room with its calendar events and meetings (owner only); returns the room's id.",
    authScopes: { authenticated: true },
    args: { name: t.arg.string({ required: true }) },
    resolve: async (_root, { name }, context) => {
      const room = await findOwnedRoom(context, name);
      await context.services.db.room.delete({ where: { id: room.id } });
      context.services.pubsub.publish('room:updated', room.id, { roomId: room.id });
      return room.id;
    },
  }),
}));

builder.subscriptionField('roomUpdated', (t) =>
  t.prismaField({
    type: 'Room',
    nullable: true,
    description: 'The room after each change to it; null once it has been deleted.',
    args: { name: t.arg.string({ required: true }) },
    subscribe: async (_root, { name }, context) =>
      context.services.pubsub.subscribe('room:updated', (await findRoom(context, name)).id),
    resolve: (query, payload, _args, context) =>
      context.services.db.room.findUnique({ ...query, where: { id: (payload as { roomId: string }).roomId } }),
  }),
);
