// Calendar events of a room, the owner's manual sync, feed testing and the
// syncStatus stream. Titles and times are public to room viewers; location,
// description, attendees and organizer are the owner's only (null for everyone else).
import type { Attendee as AttendeeShape } from '../calendar/calendar-types.js';
import { normalizeIcsUrl } from '../rooms/ics-url.js';
import { requestManualSync } from '../sync/manual-sync.js';
import { windowAt, type SyncReport } from '../sync/room-sync.js';
import type { CalendarEvent } from '../generated/prisma/client.js';
import { builder } from './builder.js';
import type { AppContext } from './context.js';
import { roomOwnerOnly } from './owner-only.js';
import { findOwnedRoom, SyncOutcome } from './room.js';
import { FeedError, InvalidInputError, NotFoundError, RateLimitedError } from './user-errors.js';


/** An enum of iCalendar values (RFC 5545 spells them with hyphens, GraphQL with underscores). */
function icsEnum<const Value extends string>(name: string, description: string, values: Record<Value, string>) {
  const ref = builder.enumType(name, {
    description,
    values: Object.fromEntries(
      Object.entries<string>(values).map(([value, meaning]) => [value.replace(/-/g, '_'), { value, description: meaning }]),
    ) as Record<string, { value: Value; description: string }>,
  });
  const known = new Set<string>(Object.keys(values));
  /** The stored value when it is one of the enum's; null for absent or non-standard (X-) values. */
  const parse = (raw: string | null | undefined): Value | null => (raw && known.has(raw.toUpperCase()) ? (raw.toUpperCase() as Value) : null);
  return { ref, parse };
}

const ParticipationStatus = icsEnum('ParticipationStatus', "An attendee's answer to the invitation (iCalendar PARTSTAT).", {
  'NEEDS-ACTION': 'Not answered yet.',
  ACCEPTED: 'Accepted.',
  DECLINED: 'Declined.',
  TENTATIVE: 'Tentatively accepted.',
  DELEGATED: 'Delegated to someone else.',
  COMPLETED: 'Completed (to-dos).',
  'IN-PROCESS': 'In process (to-dos).',
});

const AttendeeRole = icsEnum('AttendeeRole', "An attendee's role in the event (iCalendar ROLE).", {
  CHAIR: 'Chairs the event.',
  'REQ-PARTICIPANT': 'Required participant.',
  'OPT-PARTICIPANT': 'Optional participant.',
  'NON-PARTICIPANT': 'Copied for information only.',
});

const EventStatus = icsEnum('EventStatus', 'Whether the event is confirmed (iCalendar STATUS).', {
  CONFIRMED: 'Confirmed.',
  TENTATIVE: 'Tentative.',
  CANCELLED: 'Cancelled (the sync drops these; kept for completeness).',
});

export const Attendee = builder.objectRef<AttendeeShape>('Attendee').implement({
  description: 'An attendee or the organizer of a calendar event, as the feed lists them.',
  fields: (t) => ({
    email: t.exposeString('email', { nullable: true, description: 'Address from the mailto: value; null when the feed gives none.' }),
    name: t.exposeString('name', { nullable: true, description: 'Display name (CN); null when the feed gives none.' }),
    partstat: t.field({
      type: ParticipationStatus.ref,
      nullable: true,
      description: 'Answer to the invitation; null when absent or not a standard value.',
      resolve: (attendee) => ParticipationStatus.parse(attendee.partstat),
    }),
    role: t.field({
      type: AttendeeRole.ref,
      nullable: true,
      description: 'Role in the event; null when absent or not a standard value.',
      resolve: (attendee) => AttendeeRole.parse(attendee.role),
    }),
    isOrganizer: t.exposeBoolean('isOrganizer', { description: 'This is the organizer of the event.' }),
  }),
});

const dateFormats = new Map<string, Intl.DateTimeFormat>();

/** The calendar date (YYYY-MM-DD) of an instant in a zone; UTC when the zone is not an IANA name. */
export function dateIn(instant: Date, timeZone: string): string {
  let format = dateFormats.get(timeZone);
  if (!format) {
    try {
      format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    } catch {
      format = new Intl.DateTimeFormat('en-CA', { timeZone: 'UTC', year: 'numeric', month: '2-digit', day: '2-digit' });
    }
    dateFormats.set(timeZone, format);
  }
  return format.format(instant);
}

export const CalendarEventRef = builder.prismaNode('CalendarEvent', {
  id: { field: 'id' },
  nullable: true,
  description: 'One instance of a calendar event that points at the room.',
  // Select mode: a row is loaded with only the columns its queried fields
  // name (the raw VEVENT, attendees and description stay in the database
  // unless asked for).
  select: { id: true },
  fields: (t) => ({
    title: t.exposeString('title', { description: "The event's title (SUMMARY); empty when it has none." }),
    startsAt: t.expose('start', { type: 'DateTime', description: 'When the instance starts (for all-day events: midnight in timeZone).' }),
    endsAt: t.expose('end', { type: 'DateTime', description: 'When it ends (exclusive).' }),
    timeZone: t.exposeString('timeZone', {
      description: "The zone the event is written in: an IANA name such as Europe/Berlin (a feed's own TZID when it has no IANA equivalent); the calendar's zone for all-day and floating events.",
    }),
    isAllDay: t.exposeBoolean('isAllDay', { description: 'An all-day event: use startDate and endDate, not the instants.' }),
    startDate: t.field({
      type: 'Date',
      nullable: true,
      description: 'All-day events only: the first day. Null for timed events.',
      select: { isAllDay: true, start: true, timeZone: true },
      resolve: (event) => (event.isAllDay ? dateIn(event.start, event.timeZone) : null),
    }),
    endDate: t.field({
      type: 'Date',
      nullable: true,
      description: 'All-day events only: the day after the last day (exclusive, as in iCalendar). Null for timed events.',
      select: { isAllDay: true, end: true, timeZone: true },
      resolve: (event) => (event.isAllDay ? dateIn(event.end, event.timeZone) : null),
    }),
    durationSeconds: t.int({
      description: 'endsAt − startsAt, in seconds.',
      select: { start: true, end: true },
      resolve: (event) => Math.round((event.end.getTime() - event.start.getTime()) / 1000),
    }),
    isRecurring: t.boolean({ description: 'An instance of a recurring series.', select: { recurrenceId: true }, resolve: (event) => event.recurrenceId !== '' }),
    isDeleted: t.exposeBoolean('isDeleted', { description: 'Removed from the feed (kept for history).' }),
    status: t.field({
      type: EventStatus.ref,
      nullable: true,
      description: 'The event status; null when the feed gives none.',
      select: { status: true },
      resolve: (event) => EventStatus.parse(event.status),
    }),
    location: t.string(roomOwnerOnly('The event location (LOCATION), often the room link.', { location: true }, (event: Pick<CalendarEvent, 'location'>) => event.location)),
    description: t.string(roomOwnerOnly('The event description (DESCRIPTION).', { description: true }, (event: Pick<CalendarEvent, 'description'>) => event.description)),
    attendees: t.field({
      type: [Attendee],
      ...roomOwnerOnly('Invited attendees.', { attendees: true }, (event: Pick<CalendarEvent, 'attendees'>) => event.attendees as unknown as AttendeeShape[]),
    }),
    organizer: t.field({
      type: Attendee,
      ...roomOwnerOnly('The organizer; null also when the feed names none.', { organizer: true }, (event: Pick<CalendarEvent, 'organizer'>) => event.organizer as unknown as AttendeeShape | null),
    }),
  }),
});

builder.prismaObjectField('Room', 'calendarEvents', (t) =>
  t.relatedConnection('events', {
    cursor: 'id',
    description: "Events from the room's calendar, ordered by start (then title). By default those still running or ahead.",
    args: {
      includeDeleted: t.arg.boolean({ defaultValue: false, description: 'Also events removed from the feed.' }),
      endingAfter: t.arg({ type: 'DateTime', description: 'Only events ending after this instant. Default: the start of the sync window (now − 1 h).' }),
    },
    query: (args, context: AppContext) => ({
      where: {
        ...(args.includeDeleted ? {} : { isDeleted: false }),
        end: { gt: args.endingAfter ?? windowAt(context.services.clock.now(), context.services.config.sync).start },
      },
      orderBy: [{ start: 'asc' }, { title: 'asc' }, { id: 'asc' }],
    }),
  }, { name: 'CalendarEventConnection' }, { name: 'CalendarEventEdge' }),
);

const SyncResult = builder.objectRef<SyncReport>('SyncResult').implement({
  description: 'The outcome of a manual sync.',
  fields: (t) => ({
    status: t.field({ type: SyncOutcome, description: 'How the sync ended.', resolve: (report) => report.status }),
    error: t.exposeString('error', { nullable: true, description: 'Why it failed (status ERROR) or was skipped.' }),
    durationMs: t.exposeInt('durationMs', { description: 'How long it took, in milliseconds.' }),
  }),
});

const SyncPhase = builder.enumType('SyncPhase', {
  description: 'Which end of a sync a syncStatus event reports.',
  values: {
    STARTED: { description: 'A sync of the room began.' },
    FINISHED: { description: 'It ended; room.ics holds the outcome.' },
  } as const,
});

interface IcsTestShape {
  eventsInFeed: number;
  eventsInWindow: number;
  eventsMatched: number | null;
}

const IcsTestReport = builder.objectRef<IcsTestShape>('IcsTestReport').implement({
  description: 'What a feed URL yields, without storing anything.',
  fields: (t) => ({
    eventsInFeed: t.exposeInt('eventsInFeed', { description: 'Events (VEVENTs) in the feed.' }),
    eventsInWindow: t.exposeInt('eventsInWindow', { description: 'Instances overlapping the sync window (now − 1 h to now + 24 h).' }),
    eventsMatched: t.exposeInt('eventsMatched', {
      nullable: true,
      description: 'Instances in the window that point at roomName; null when no roomName was given.',
    }),
  }),
});

builder.mutationFields((t) => ({
  syncRoomCalendar: t.field({
    type: SyncResult,
    description: "Syncs the room's calendar now (owner only; rate limited per room).",
    authScopes: { authenticated: true },
    errors: { types: [NotFoundError, InvalidInputError, RateLimitedError], dataField: { name: 'result', description: 'How the sync went.' } },
    args: { roomName: t.arg.string({ required: true, description: "The room's name." }) },
    resolve: async (_root, { roomName }, context) => {
      const outcome = await requestManualSync(context.services, await findOwnedRoom(context, roomName));
      if (outcome.kind === 'not-enabled') throw new InvalidInputError('Calendar sync is not enabled for this room', 'roomName');
      if (outcome.kind === 'rate-limited') {
        const { retryAfterSeconds } = outcome;
        throw new RateLimitedError(`This room's calendar was synced moments ago; try again in ${retryAfterSeconds} s`, retryAfterSeconds);
      }
      return outcome.report;
    },
  }),
  testIcsUrl: t.field({
    type: IcsTestReport,
    description: 'Fetches and parses a feed and counts its events (and matches for roomName); stores nothing. Every feed failure is a FeedError.',
    authScopes: { authenticated: true },
    errors: { types: [FeedError, NotFoundError], dataField: { name: 'report', description: 'What the feed holds.' } },
    args: {
      url: t.arg.string({ required: true, description: 'https:// or webcal:// feed URL.' }),
      roomName: t.arg.string({ description: 'Also count the events that point at this room (its owner only: FORBIDDEN for anyone else).' }),
    },
    resolve: async (_root, { url, roomName }, context) => {
      const checked = normalizeIcsUrl(url, { allowHttp: context.services.config.ics.allowHttp });
      if (!checked.ok) throw new FeedError('INVALID_URL', checked.problem);
      if (roomName != null) await findOwnedRoom(context, roomName); // which events point at a room is its owner's business
      const tested = await context.services.feedTester({ url: checked.url, roomName: roomName ?? null, callerId: context.viewer!.userId });
      if (!tested.ok) throw new FeedError(tested.code, tested.message, tested.httpStatus);
      return tested;
    },
  }),
}));

const SyncStatusEvent = builder.objectRef<{ roomId: string; phase: 'STARTED' | 'FINISHED' }>('SyncStatusEvent').implement({
  description: 'A sync of the room started or finished; room.ics holds the outcome.',
  fields: (t) => ({
    phase: t.field({ type: SyncPhase, description: 'Start or end of the sync.', resolve: (event) => event.phase }),
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
    args: { roomName: t.arg.string({ required: true, description: "The room's name." }) },
    subscribe: async (_root, { roomName }, context) => {
      const room = await findOwnedRoom(context, roomName);
      return context.services.pubsub.subscribe('room:sync', room.id);
    },
    resolve: (event) => event,
  }),
);
