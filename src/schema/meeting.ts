// Meetings of a room: active and upcoming ones for the room page and its
// countdowns, joining, unscheduled meetings, and the meetingStarted,
// participantCount and roomScheduleChanged streams. Title, times, duration and
// participant count are public to room viewers; the host URL, platform id,
// closing details and calendar details are the owner's only.
import { encodeGlobalID } from '@pothos/plugin-relay';
import { calendarMetadataOfMeeting, type CalendarMetadata } from '../meetings/calendar-metadata.js';
import { createMeeting, MAX_ACTIVE_UNSCHEDULED } from '../meetings/create-meeting.js';
import { MeetingPlatformError, NotAllowedToStartMeetingError, SignInRequiredError, TooManyUnscheduledMeetingsError } from '../meetings/meeting-errors.js';
import { CLOSE_REASONS, calendarSlotOf, type CloseReason } from '../meetings/meeting-rules.js';
import type { CalendarEvent, Meeting } from '../generated/prisma/client.js';
import { builder, databaseIdOf, rowQuery } from './builder.js';
import type { AppContext } from './context.js';
import { OWNER_ONLY, roomOwnerOnly } from './owner-only.js';
import { findRoom } from './room.js';
import { CalendarEventRef, Attendee } from './calendar.js';
import { forbidden, unauthenticated } from './errors.js';
import { MeetingEndedError, MeetingNotActiveError, NotFoundError, PlatformUnavailableError, RateLimitedError } from './user-errors.js';

const MeetingStatus = builder.enumType('MeetingStatus', {
  description: 'Where a meeting is in its life.',
  values: {
    UPCOMING: { description: 'Created, not started yet: joining lands on a waiting state.' },
    ACTIVE: { description: 'Started and open: join it.' },
    ENDED: { description: 'Closed (see closeReason).' },
  } as const,
});

const closeReasonDescriptions: Record<CloseReason, string> = {
  empty_after_grace: 'Nobody was left in it for the grace period (15 minutes).',
  no_show: 'A calendar meeting nobody joined, 30 minutes after its scheduled end.',
  max_duration: 'It reached the 8-hour limit (also the life of an unscheduled meeting).',
  calendar_event_deleted: 'Its calendar event was removed before anyone joined.',
};

const MeetingCloseReason = builder.enumType('MeetingCloseReason', {
  description: 'Why a meeting was closed.',
  values: Object.fromEntries(
    CLOSE_REASONS.map((reason) => [reason.toUpperCase(), { value: reason, description: closeReasonDescriptions[reason] }]),
  ) as Record<string, { value: CloseReason; description: string }>,
});

function statusOf(meeting: Pick<Meeting, 'isActive' | 'startDate'>, now: Date): 'UPCOMING' | 'ACTIVE' | 'ENDED' {
  if (!meeting.isActive) return 'ENDED';
  return meeting.startDate > now ? 'UPCOMING' : 'ACTIVE';
}

const MeetingCalendarDetails = builder.objectRef<CalendarMetadata>('MeetingCalendarDetails').implement({
  description: `The calendar event behind a meeting, as it was when the meeting was created. ${OWNER_ONLY.replace('null', 'Meeting.calendarDetails is null')}`,
  fields: (t) => ({
    description: t.string({ nullable: true, description: "The event's description.", resolve: (details) => details.description ?? null }),
    organizer: t.field({ type: Attendee, nullable: true, description: "The event's organizer.", resolve: (details) => details.organizer ?? null }),
    attendees: t.field({ type: [Attendee], description: "The event's attendees.", resolve: (details) => details.attendees ?? [] }),
    recurrenceId: t.string({
      nullable: true,
      description: "For an instance of a recurring series: its original start (UTC ISO); null otherwise.",
      resolve: (details) => details.recurrenceId ?? null,
    }),
  }),
});

export const MeetingRef = builder.prismaNode('Meeting', {
  id: { field: 'id' },
  nullable: true,
  description: 'A video meeting of a room: pre-created for a calendar event, or started on demand (unscheduled).',
  // Select mode: a row is loaded with only the columns its queried fields name.
  select: { id: true },
  fields: (t) => ({
    title: t.string({
      nullable: true,
      description: "The calendar event's title; null for an unscheduled meeting.",
      select: { calendarMetadata: true },
      resolve: (meeting) => calendarMetadataOfMeeting(meeting).title ?? null,
    }),
    startsAt: t.expose('startDate', { type: 'DateTime', description: 'Scheduled start (an unscheduled meeting: when it was started).' }),
    endsAt: t.expose('endDate', { type: 'DateTime', description: 'Scheduled end (an unscheduled meeting: 8 hours after its start).' }),
    durationSeconds: t.int({
      description: 'endsAt − startsAt, in seconds.',
      select: { startDate: true, endDate: true },
      resolve: (meeting) => Math.round((meeting.endDate.getTime() - meeting.startDate.getTime()) / 1000),
    }),
    isScheduled: t.boolean({ description: 'Created from a calendar event.', select: { calendarSlot: true }, resolve: (meeting) => meeting.calendarSlot !== null }),
    status: t.field({
      type: MeetingStatus,
      description: 'Upcoming, active or ended, at the server time of this response.',
      select: { isActive: true, startDate: true },
      resolve: (meeting, _args, context) => statusOf(meeting, context.services.clock.now()),
    }),
    participantCount: t.exposeInt('participantCount', { description: 'People in the meeting now, as the video platform reports them.' }),
    calendarEvent: t.relation('calendarEvent', {
      nullable: true,
      description: 'The calendar event it was created for; null for an unscheduled meeting or when the event is gone.',
    }),
    closedAt: t.field({ type: 'DateTime', ...roomOwnerOnly('When it was closed; null while open.', { closedAt: true }, (meeting: Pick<Meeting, 'closedAt'>) => meeting.closedAt) }),
    closeReason: t.field({
      type: MeetingCloseReason,
      ...roomOwnerOnly('Why it was closed; null while open.', { closeReason: true }, (meeting: Pick<Meeting, 'closeReason'>) => meeting.closeReason as CloseReason | null),
    }),
    peakParticipantCount: t.int(
      roomOwnerOnly('Most participants at once so far.', { peakParticipantCount: true }, (meeting: Pick<Meeting, 'peakParticipantCount'>) => meeting.peakParticipantCount),
    ),
    platformMeetingId: t.string(
      roomOwnerOnly(
        "The meeting's id on its video platform: data.meetingId in the platform's webhooks. On the LOCAL platform it is local-<meeting uuid>; POST it to /webhooks/local to simulate participants (see README). Null until the platform has created the meeting.",
        { platformMeetingId: true },
        (meeting: Pick<Meeting, 'platformMeetingId'>) => meeting.platformMeetingId,
      ),
    ),
    hostRoomUrl: t.string(roomOwnerOnly('The host link on the video platform.', { hostRoomUrl: true }, (meeting: Pick<Meeting, 'hostRoomUrl'>) => meeting.hostRoomUrl)),
    provisioningError: t.string(
      roomOwnerOnly(
        'Why the video platform has not created this meeting yet (retried with back-off); null once it has.',
        { provisioningError: true },
        (meeting: Pick<Meeting, 'provisioningError'>) => meeting.provisioningError,
      ),
    ),
    calendarDetails: t.field({
      type: MeetingCalendarDetails,
      ...roomOwnerOnly('Details of its calendar event; null also for an unscheduled meeting.', { calendarSlot: true, calendarMetadata: true }, (meeting: Pick<Meeting, 'calendarSlot' | 'calendarMetadata'>) =>
        meeting.calendarSlot ? calendarMetadataOfMeeting(meeting) : null,
      ),
    }),
  }),
});

/** The columns of an upcoming event the entry shows (and its meeting's slot is made of). */
const UPCOMING_EVENT_COLUMNS = { id: true, roomId: true, title: true, start: true, end: true } as const;

interface UpcomingShape {
  roomId: string;
  event: Pick<CalendarEvent, keyof typeof UPCOMING_EVENT_COLUMNS>;
}

const UpcomingMeeting = builder.objectRef<UpcomingShape>('UpcomingMeeting').implement({
  description: 'A scheduled meeting starting soon: its calendar event, and the meeting once it has been pre-created.',
  fields: (t) => ({
    title: t.string({ description: "The calendar event's title.", resolve: ({ event }) => event.title }),
    startsAt: t.field({ type: 'DateTime', description: 'When it starts.', resolve: ({ event }) => event.start }),
    endsAt: t.field({ type: 'DateTime', description: 'When it ends.', resolve: ({ event }) => event.end }),
    secondsUntilStart: t.int({
      description: 'At the server time of this response; use serverTime for the clock offset. A query that selects it is never answered from the response cache.',
      resolve: ({ event }, _args, context) => Math.max(0, Math.ceil((event.start.getTime() - context.services.clock.now().getTime()) / 1000)),
    }),
    calendarEvent: t.prismaField({
      type: CalendarEventRef,
      description: 'The calendar event (one of them, when several share the slot).',
      resolve: (query, { event }, _args, context) => context.services.db.calendarEvent.findUniqueOrThrow({ ...query, where: { id: event.id } }),
    }),
    meeting: t.prismaField({
      type: MeetingRef,
      nullable: true,
      description: 'The pre-created meeting (1 minute before the start by default); null until then.',
      resolve: (query, { event }, _args, context) =>
        context.services.db.meeting.findUnique({ ...query, where: { calendarSlot: calendarSlotOf(event) } }),
    }),
  }),
});

builder.prismaObjectFields('Room', (t) => ({
  activeMeetings: t.relation('meetings', {
    description: 'Meetings that have started and are not closed, oldest first. Several can be active at once.',
    query: (_args, context: AppContext) => ({
      where: { isActive: true, startDate: { lte: context.services.clock.now() }, roomUrl: { not: null } },
      orderBy: { startDate: 'asc' },
    }),
  }),
  meetings: t.relatedConnection('meetings', {
    cursor: 'id',
    description: 'Closed meetings, most recent first: the room\'s history. Owners also see closedAt, closeReason and peakParticipantCount.',
    query: () => ({ where: { isActive: false }, orderBy: [{ startDate: 'desc' }, { id: 'asc' }] }),
  }, { name: 'MeetingConnection' }, { name: 'MeetingEdge' }),
  upcomingMeetings: t.field({
    type: [UpcomingMeeting],
    description: 'Scheduled meetings starting within the next withinMinutes, by start. Events sharing start and end share one entry.',
    args: { withinMinutes: t.arg.int({ defaultValue: 30, description: 'How far ahead to look, in minutes (0 to 1440).' }) },
    select: { id: true },
    resolve: async (room, { withinMinutes }, context) => {
      const minutes = Math.min(Math.max(withinMinutes ?? 30, 0), 24 * 60);
      const now = context.services.clock.now();
      const events = await context.services.db.calendarEvent.findMany({
        where: {
          roomId: room.id,
          isDeleted: false,
          start: { gt: now, lte: new Date(now.getTime() + minutes * 60_000) },
          OR: [{ status: null }, { status: { not: 'CANCELLED' } }],
        },
        select: UPCOMING_EVENT_COLUMNS,
        orderBy: [{ start: 'asc' }, { title: 'asc' }],
      });
      const seenSlots = new Set<string>();
      return events
        .filter((event) => {
          const slot = calendarSlotOf(event);
          if (seenSlots.has(slot)) return false;
          seenSlots.add(slot);
          return true;
        })
        .map((event) => ({ roomId: room.id, event }));
    },
  }),
}));

const JoinState = builder.enumType('JoinState', {
  description: 'What the client should do after joinMeeting.',
  values: {
    JOIN: { description: 'The meeting is running: open roomUrl.' },
    WAIT: { description: 'Early: wait until startsAt (meetingStarted announces it), then join.' },
  } as const,
});

interface JoinShape {
  state: 'JOIN' | 'WAIT';
  meeting: Meeting;
  roomUrl: string | null;
  serverTime: Date;
}

const MeetingJoin = builder.objectRef<JoinShape>('MeetingJoin').implement({
  description: 'How to join: now (roomUrl) or after a wait.',
  fields: (t) => ({
    state: t.field({ type: JoinState, description: 'Join now or wait.', resolve: (join) => join.state }),
    roomUrl: t.string({ nullable: true, description: "The meeting's link; only once it has started.", resolve: (join) => join.roomUrl }),
    startsAt: t.field({ type: 'DateTime', description: 'When the meeting starts.', resolve: (join) => join.meeting.startDate }),
    serverTime: t.field({ type: 'DateTime', description: 'The server time of this response, for the countdown.', resolve: (join) => join.serverTime }),
    meeting: t.prismaField({
      type: MeetingRef,
      description: 'The meeting.',
      resolve: (query, join, _args, context) => context.services.db.meeting.findUniqueOrThrow({ ...query, where: { id: join.meeting.id } }),
    }),
  }),
});

/** A meeting by its global id; null for an unknown or malformed id (not a database error). */
function findMeeting(context: AppContext, meetingId: string | number): Promise<Meeting | null> {
  const id = databaseIdOf(String(meetingId), 'Meeting');
  return id ? context.services.db.meeting.findUnique({ where: { id } }) : Promise.resolve(null);
}

/** Sign-in and permission refusals stay GraphQL errors; the rest become typed results. */
function typedMeetingError(error: unknown): unknown {
  if (error instanceof SignInRequiredError) return unauthenticated(error.message);
  if (error instanceof NotAllowedToStartMeetingError) return forbidden(error.message);
  if (error instanceof TooManyUnscheduledMeetingsError) return new RateLimitedError(error.message, error.retryAfterSeconds);
  if (error instanceof MeetingPlatformError) return new PlatformUnavailableError(error.message);
  return error;
}

builder.mutationFields((t) => ({
  createMeeting: t.prismaField({
    type: MeetingRef,
    description:
      `Starts an unscheduled meeting in the room now. Who may is the room's meetingStartPolicy (anyone by default; otherwise an UNAUTHENTICATED or FORBIDDEN error); at most ${MAX_ACTIVE_UNSCHEDULED} run in a room at once (RateLimited). It closes when nobody has joined within 15 minutes, 15 minutes after the last participant left, or after 8 hours.`,
    errors: {
      types: [NotFoundError, RateLimitedError, PlatformUnavailableError],
      dataField: { name: 'meeting', description: 'The new meeting.' },
    },
    args: { roomName: t.arg.string({ required: true, description: "The room's name." }) },
    resolve: async (query, _root, { roomName }, context) => {
      const room = await findRoom(context, roomName);
      const meetingId = await createMeeting(context.services, { room, userId: context.viewer?.userId ?? null }).catch((error: unknown) => {
        throw typedMeetingError(error);
      });
      return context.services.db.meeting.findUniqueOrThrow({ ...rowQuery(query), where: { id: meetingId } });
    },
  }),
  joinMeeting: t.field({
    type: MeetingJoin,
    description: 'Joins a meeting of the room: its URL when it is running, a waiting state with the start time when it is early.',
    errors: {
      types: [NotFoundError, MeetingEndedError, MeetingNotActiveError],
      dataField: { name: 'join', description: 'How to join.' },
    },
    args: {
      roomName: t.arg.string({ required: true, description: "The room's name." }),
      meetingId: t.arg.id({ required: true, description: "The meeting's global id (Meeting.id)." }),
    },
    resolve: async (_root, { roomName, meetingId }, context): Promise<JoinShape> => {
      const room = await findRoom(context, roomName);
      const meeting = await findMeeting(context, meetingId);
      if (!meeting || meeting.roomId !== room.id) throw new NotFoundError('No such meeting in this room');
      if (!meeting.isActive) {
        throw new MeetingEndedError(`This meeting ended${meeting.closedAt ? ` at ${meeting.closedAt.toISOString()}` : ''}`, meeting.closedAt);
      }
      if (!meeting.roomUrl) throw new MeetingNotActiveError('The meeting is being set up on the video platform; try again in a moment');
      const serverTime = context.services.clock.now();
      const started = meeting.startDate <= serverTime;
      return { state: started ? 'JOIN' : 'WAIT', meeting, roomUrl: started ? meeting.roomUrl : null, serverTime };
    },
  }),
}));

const ParticipantCountUpdate = builder.objectRef<{ meetingId: string; participantCount: number }>('ParticipantCountUpdate').implement({
  description: "A change of a meeting's participant count.",
  fields: (t) => ({
    meetingId: t.id({ description: "The meeting's global id.", resolve: (update) => encodeGlobalID('Meeting', update.meetingId) }),
    participantCount: t.exposeInt('participantCount', { description: 'People in the meeting now.' }),
    meeting: t.prismaField({
      type: MeetingRef,
      description: 'The meeting as it is now.',
      resolve: (query, update, _args, context) => context.services.db.meeting.findUniqueOrThrow({ ...query, where: { id: update.meetingId } }),
    }),
  }),
});

builder.subscriptionFields((t) => ({
  meetingStarted: t.prismaField({
    type: MeetingRef,
    description: 'Each meeting of the room, once, when it starts (an unscheduled one: when created).',
    args: { roomName: t.arg.string({ required: true, description: "The room's name." }) },
    subscribe: async (_root, { roomName }, context) =>
      context.services.pubsub.subscribe('room:meeting-started', (await findRoom(context, roomName)).id),
    resolve: (query, payload, _args, context) =>
      context.services.db.meeting.findUniqueOrThrow({ ...query, where: { id: (payload as { meetingId: string }).meetingId } }),
  }),
  participantCount: t.field({
    type: ParticipantCountUpdate,
    description: "The meeting's participant count, on every change.",
    args: { meetingId: t.arg.id({ required: true, description: "The meeting's global id (Meeting.id)." }) },
    subscribe: async (_root, { meetingId }, context) => {
      const meeting = await findMeeting(context, meetingId);
      if (!meeting) throw new NotFoundError('No such meeting');
      return context.services.pubsub.subscribe('meeting:participants', meeting.id);
    },
    resolve: (payload) => payload,
  }),
  roomScheduleChanged: t.prismaField({
    type: 'Room',
    nullable: true,
    description: 'The room whenever its schedule changed (events synced, meetings created, moved, started or closed): re-read upcomingMeetings and activeMeetings.',
    args: { roomName: t.arg.string({ required: true, description: "The room's name." }) },
    subscribe: async (_root, { roomName }, context) =>
      context.services.pubsub.subscribe('room:schedule', (await findRoom(context, roomName)).id),
    resolve: (query, payload, _args, context) =>
      context.services.db.room.findUnique({ ...query, where: { id: (payload as { roomId: string }).roomId } }),
  }),
}));
