// Calendar events of a room, the owner's manual sync, feed testing and the
// syncStatus stream. Titles and times are public to room viewers; description,
// attendees and organizer are the owner's only (null for everyone else).
import type { Attendee as AttendeeShape } from '../calendar/calendar-types.js';
import { normalizeIcsUrl } from '../rooms/ics-url.js';
import type { FeedTestResult } from '../sync/feed-test.js';
import { requestManualSync } from '../sync/manual-sync.js';
import { windowAt, type SyncReport } from '../sync/room-sync.js';
import { builder } from './builder.js';
import type { AppContext } from './context.js';
import { appError, badUserInput } from './errors.js';
import { roomOwnerOnly } from './owner-only.js';
import { findOwnedRoom, findRoom, SyncOutcome } from './room.js';

export type { AttendeeShape };

export const Attendee = builder.objectRef<AttendeeShape>('Attendee').implement({
  fields: (t) => ({
    email: t.exposeString('email', { nullable: true }),
    name: t.exposeString('name', { nullable: true }),
    partstat: t.exposeString('partstat', { nullable: true, description: 'RSVP status: ACCEPTED, DECLINED, TENTATIVE, NEEDS-ACTION…' }),
    role: t.exposeString('role', { nullable: true }),
    isOrganizer: t.exposeBoolean('isOrganizer'),
  }),
});

export const CalendarEventRef = builder.prismaObject('CalendarEvent', {
  description: 'One instance of a calendar event that points at the room.',
  fields: (t) => ({
    id: t.exposeID('id'),
    title: t.exposeString('title'),
    start: t.expose('start', { type: 'DateTime' }),
    end: t.expose('end', { type: 'DateTime' }),
    durationSeconds: t.int({ resolve: (event) => Math.round((event.end.getTime() - event.start.getTime()) / 1000) }),
    isAllDay: t.exposeBoolean('isAllDay'),
    isRecurring: t.boolean({ resolve: (event) => event.recurrenceId !== '' }),
    isDeleted: t.exposeBoolean('isDeleted', { description: 'Removed from the feed (kept for history).' }),
    status: t.exposeString('status', { nullable: true }),
    location: t.exposeString('location', { nullable: true }),
    description: t.string({
      ...roomOwnerOnly,
      resolve: (event) => event.description,
    }),
    attendees: t.field({
      type: [Attendee],
      ...roomOwnerOnly,
      resolve: (event) => event.attendees as unknown as AttendeeShape[],
    }),
    organizer: t.field({
      type: Attendee,
      ...roomOwnerOnly,
      resolve: (event) => event.organizer as unknown as AttendeeShape | null,
    }),
  }),
});

builder.prismaObjectField('Room', 'calendarEvents', (t) =>
  t.relation('events', {
    description: 'Events from the room\'s calendar, ordered by start. By default those still running or ahead.',
    args: {
      includeDeleted: t.arg.boolean({ defaultValue: false }),
      endingAfter: t.arg({ type: 'DateTime', description: 'Default: the start of the sync window (now − 1 h).' }),
    },
    query: (args, context: AppContext) => ({
      where: {
        ...(args.includeDeleted ? {} : { isDeleted: false }),
        end: { gt: args.endingAfter ?? windowAt(context.services.clock.now(), context.services.config.sync).start },
      },
      orderBy: [{ start: 'asc' }, { title: 'asc' }],
    }),
  }),
);

const SyncResult = builder.objectRef<SyncReport>('SyncResult').implement({
  fields: (t) => ({
    status: t.field({ type: SyncOutcome, resolve: (report) => report.status }),
    error: t.exposeString('error', { nullable: true }),
    durationMs: t.exposeInt('durationMs'),
  }),
});

const SyncPhase = builder.enumType('SyncPhase', { values: ['STARTED', 'FINISHED'] as const });

const IcsTestResult = builder.objectRef<FeedTestResult>('IcsTestResult').implement({
  description: 'What a feed URL yields, without storing anything.',
  fields: (t) => ({
    ok: t.exposeBoolean('ok'),
    error: t.exposeString('error', { nullable: true }),
    errorCode: t.exposeString('errorCode', { nullable: true }),
    eventsInFeed: t.exposeInt('eventsInFeed', { nullable: true }),
    eventsInWindow: t.exposeInt('eventsInWindow', { nullable: true }),
    eventsMatched: t.exposeInt('eventsMatched', { nullable: true, description: 'Only when roomName is given.' }),
  }),
});

builder.mutationFields((t) => ({
  syncRoomCalendar: t.field({
    type: SyncResult,
    description: "Syncs the room's calendar now (owner only; rate limited per room).",
    authScopes: { authenticated: true },
    args: { roomName: t.arg.string({ required: true }) },
    resolve: async (_root, { roomName }, context) => {
      const outcome = await requestManualSync(context.services, await findOwnedRoom(context, roomName));
      if (outcome.kind === 'not-enabled') throw badUserInput('Calendar sync is not enabled for this room', 'roomName');
      if (outcome.kind === 'rate-limited') {
        const { retryAfterSeconds } = outcome;
        throw appError('RATE_LIMITED', `This room's calendar was synced moments ago; try again in ${retryAfterSeconds} s`, { retryAfterSeconds });
      }
      return outcome.report;
    },
  }),
  testIcsUrl: t.field({
    type: IcsTestResult,
    description: 'Fetches and parses a feed and counts its events (and matches for roomName); stores nothing.',
    authScopes: { authenticated: true },
    args: { url: t.arg.string({ required: true }), roomName: t.arg.string() },
    resolve: async (_root, { url, roomName }, context) => {
      const checked = normalizeIcsUrl(url, { allowHttp: context.services.config.ics.allowHttp });
      if (!checked.ok) throw badUserInput(checked.problem, 'url');
      if (roomName != null) await findRoom(context, roomName);
      return context.services.feedTester({ url: checked.url, roomName: roomName ?? null, callerId: context.viewer!.userId });
    },
  }),
}));

const SyncStatusEvent = builder.objectRef<{ roomId: string; phase: 'STARTED' | 'FINISHED' }>('SyncStatusEvent').implement({
  description: 'A sync of the room started or finished; room.ics holds the outcome.',
  fields: (t) => ({
    phase: t.field({ type: SyncPhase, resolve: (event) => event.phase }),
    room: t.prismaField({
      type: 'Room',
      nullable: true,
      description: 'The room as the sync left it; null once it has been deleted.',
      resolve: (query, event, _args, context) => context.services.db.room.findUnique({ ...query, where: { id: event.roomId } }),
    }),
  }),
});

builder.subscriptionField('syncStatus', (t) =>
  t.field({
    type: SyncStatusEvent,
    description: "Start and outcome of every sync of the room's calendar (owner only).",
    authScopes: { authenticated: true },
    args: { roomName: t.arg.string({ required: true }) },
    subscribe: async (_root, { roomName }, context) => {
      const room = await findOwnedRoom(context, roomName);
      return context.services.pubsub.subscribe('room:sync', room.id);
    },
    resolve: (event) => event,
  }),
);
