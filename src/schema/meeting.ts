// Meetings of a room: active and upcoming ones for the room page and its
// countdowns, joining, unscheduled meetings, and the meetingStarted,
// participantCount and roomScheduleChanged streams. Title, times, duration and
// participant count are public to room viewers; the host URL and calendar
// details (organizer, attendees, description) are the owner's only.
import { calendarMetadataOfMeeting, type CalendarMetadata } from '../meetings/calendar-metadata.js';
import { createMeeting } from '../meetings/create-meeting.js';
import { MeetingError } from '../meetings/meeting-errors.js';
import { calendarSlotOf } from '../meetings/meeting-rules.js';
import type { CalendarEvent, Meeting } from '../generated/prisma/client.js';
import { builder } from './builder.js';
import type { AppContext } from './context.js';
import { appError, notFound } from './errors.js';
import { roomOwnerOnly } from './owner-only.js';
import { findRoom } from './room.js';
import { CalendarEventRef, Attendee } from './calendar.js';

const MeetingStatus = builder.enumType('MeetingStatus', {
  values: {
    UPCOMING: { description: 'Created, not started yet: joining lands on a waiting state.' },
    ACTIVE: {},
    ENDED: {},
  } as const,
});

function statusOf(meeting: Meeting, now: Date): 'UPCOMING' | 'ACTIVE' | 'ENDED' {
  if (!meeting.isActive) return 'ENDED';
  return meeting.startDate > now ? 'UPCOMING' : 'ACTIVE';
}

const MeetingCalendarDetails = builder.objectRef<CalendarMetadata>('MeetingCalendarDetails').implement({
  description: "The calendar event behind a meeting, as it was when the meeting was created. Owner only.",
  fields: (t) => ({
    description: t.string({ nullable: true, resolve: (details) => details.description ?? null }),
    organizer: t.field({ type: Attendee, nullable: true, resolve: (details) => details.organizer ?? null }),
    attendees: t.field({ type: [Attendee], resolve: (details) => details.attendees ?? [] }),
    recurrenceId: t.string({ nullable: true, resolve: (details) => details.recurrenceId ?? null }),
  }),
});

export const MeetingRef = builder.prismaObject('Meeting', {
  fields: (t) => ({
    id: t.exposeID('id'),
    title: t.string({ nullable: true, description: 'The calendar event\'s title; null for an unscheduled meeting.', resolve: (meeting) => calendarMetadataOfMeeting(meeting).title ?? null }),
    startDate: t.expose('startDate', { type: 'DateTime' }),
    endDate: t.expose('endDate', { type: 'DateTime' }),
    durationSeconds: t.int({ resolve: (meeting) => Math.round((meeting.endDate.getTime() - meeting.startDate.getTime()) / 1000) }),
    isScheduled: t.boolean({ description: 'Created from a calendar event.', resolve: (meeting) => meeting.calendarSlot !== null }),
    status: t.field({ type: MeetingStatus, resolve: (meeting, _args, context) => statusOf(meeting, context.services.clock.now()) }),
    participantCount: t.exposeInt('participantCount'),
    closedAt: t.expose('closedAt', { type: 'DateTime', nullable: true }),
    closeReason: t.exposeString('closeReason', { nullable: true }),
    calendarEvent: t.relation('calendarEvent', { nullable: true }),
    hostRoomUrl: t.string({
      ...roomOwnerOnly,
      resolve: (meeting) => meeting.hostRoomUrl,
    }),
    provisioningError: t.string({
      ...roomOwnerOnly,
      description: 'Why the video platform has not created this meeting yet (retried with back-off); null once it has. Owner only.',
      resolve: (meeting) => meeting.provisioningError,
    }),
    calendarDetails: t.field({
      type: MeetingCalendarDetails,
      ...roomOwnerOnly,
      resolve: (meeting) => (meeting.calendarSlot ? calendarMetadataOfMeeting(meeting) : null),
    }),
  }),
});

interface UpcomingShape {
  roomId: string;
  event: CalendarEvent;
}

const UpcomingMeeting = builder.objectRef<UpcomingShape>('UpcomingMeeting').implement({
  description: 'A scheduled meeting starting soon: its calendar event, and the meeting once it has been pre-created.',
  fields: (t) => ({
    title: t.string({ resolve: ({ event }) => event.title }),
    startsAt: t.field({ type: 'DateTime', resolve: ({ event }) => event.start }),
    endsAt: t.field({ type: 'DateTime', resolve: ({ event }) => event.end }),
    secondsUntilStart: t.int({
      description: 'At the server time of this response; use serverTime for the clock offset.',
      resolve: ({ event }, _args, context) => Math.max(0, Math.ceil((event.start.getTime() - context.services.clock.now().getTime()) / 1000)),
    }),
    calendarEvent: t.prismaField({
      type: CalendarEventRef,
      resolve: (query, { event }, _args, context) => context.services.db.calendarEvent.findUniqueOrThrow({ ...query, where: { id: event.id } }),
    }),
    meeting: t.prismaField({
      type: MeetingRef,
      nullable: true,
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
  upcomingMeetings: t.field({
    type: [UpcomingMeeting],
    description: 'Scheduled meetings starting within the next withinMinutes, by start. Events sharing start and end share one entry.',
    args: { withinMinutes: t.arg.int({ defaultValue: 30 }) },
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

const JoinMeetingResult = builder.objectRef<JoinShape>('JoinMeetingResult').implement({
  fields: (t) => ({
    state: t.field({ type: JoinState, resolve: (join) => join.state }),
    roomUrl: t.string({ nullable: true, description: 'Only once the meeting has started.', resolve: (join) => join.roomUrl }),
    startsAt: t.field({ type: 'DateTime', resolve: (join) => join.meeting.startDate }),
    serverTime: t.field({ type: 'DateTime', resolve: (join) => join.serverTime }),
    meeting: t.prismaField({
      type: MeetingRef,
      resolve: (query, join, _args, context) => context.services.db.meeting.findUniqueOrThrow({ ...query, where: { id: join.meeting.id } }),
    }),
  }),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A meeting by id; null for an unknown or malformed id (not a database error). */
function findMeeting(context: AppContext, meetingId: string | number): Promise<Meeting | null> {
  const id = String(meetingId);
  return UUID.test(id) ? context.services.db.meeting.findUnique({ where: { id } }) : Promise.resolve(null);
}

builder.mutationFields((t) => ({
  createMeeting: t.prismaField({
    type: MeetingRef,
    description:
      "Starts an unscheduled meeting in the room now: the room's owner, or any signed-in user when the room allows it (signedInUsersMayStartMeetings). It closes when nobody has joined within 15 minutes, 15 minutes after the last participant left, or after 8 hours.",
    args: { roomName: t.arg.string({ required: true }) },
    resolve: async (query, _root, { roomName }, context) => {
      const room = await findRoom(context, roomName);
      const meetingId = await createMeeting(context.services, { room, userId: context.viewer?.userId ?? null }).catch((error: unknown) => {
        throw error instanceof MeetingError ? appError(error.code, error.message, error.details) : error;
      });
      return context.services.db.meeting.findUniqueOrThrow({ ...query, where: { id: meetingId } });
    },
  }),
  joinMeeting: t.field({
    type: JoinMeetingResult,
    description: 'Joins a meeting of the room: its URL when it is running, a waiting state with the start time when it is early.',
    args: { roomName: t.arg.string({ required: true }), meetingId: t.arg.id({ required: true }) },
    resolve: async (_root, { roomName, meetingId }, context): Promise<JoinShape> => {
      const room = await findRoom(context, roomName);
      const meeting = await findMeeting(context, meetingId);
      if (!meeting || meeting.roomId !== room.id) throw appError('NOT_FOUND', 'No such meeting in this room');
      if (!meeting.isActive) throw appError('MEETING_ENDED', `This meeting ended${meeting.closedAt ? ` at ${meeting.closedAt.toISOString()}` : ''}`);
      if (!meeting.roomUrl) throw appError('MEETING_NOT_ACTIVE', 'The meeting is being set up on the video platform; try again in a moment');
      const serverTime = context.services.clock.now();
      const started = meeting.startDate <= serverTime;
      return { state: started ? 'JOIN' : 'WAIT', meeting, roomUrl: started ? meeting.roomUrl : null, serverTime };
    },
  }),
}));

const ParticipantCountUpdate = builder.objectRef<{ meetingId: string; participantCount: number }>('ParticipantCountUpdate').implement({
  fields: (t) => ({
    meetingId: t.exposeID('meetingId'),
    participantCount: t.exposeInt('participantCount'),
    meeting: t.prismaField({
      type: MeetingRef,
      resolve: (query, update, _args, context) => context.services.db.meeting.findUniqueOrThrow({ ...query, where: { id: update.meetingId } }),
    }),
  }),
});

builder.subscriptionFields((t) => ({
  meetingStarted: t.prismaField({
    type: MeetingRef,
    description: 'Each meeting of the room, once, when it starts (an unscheduled one: when created).',
    args: { roomName: t.arg.string({ required: true }) },
    subscribe: async (_root, { roomName }, context) =>
      context.services.pubsub.subscribe('room:meeting-started', (await findRoom(context, roomName)).id),
    resolve: (query, payload, _args, context) =>
      context.services.db.meeting.findUniqueOrThrow({ ...query, where: { id: (payload as { meetingId: string }).meetingId } }),
  }),
  participantCount: t.field({
    type: ParticipantCountUpdate,
    description: "The meeting's participant count, on every change.",
    args: { meetingId: t.arg.id({ required: true }) },
    subscribe: async (_root, { meetingId }, context) => {
      const meeting = await findMeeting(context, meetingId);
      if (!meeting) throw notFound('No such meeting');
      return context.services.pubsub.subscribe('meeting:participants', meeting.id);
    },
    resolve: (payload) => payload,
  }),
  roomScheduleChanged: t.prismaField({
    type: 'Room',
    nullable: true,
    description: 'The room whenever its schedule changed (events synced, meetings created, moved, started or closed): re-read upcomingMeetings and activeMeetings.',
    args: { roomName: t.arg.string({ required: true }) },
    subscribe: async (_root, { roomName }, context) =>
      context.services.pubsub.subscribe('room:schedule', (await findRoom(context, roomName)).id),
    resolve: (query, payload, _args, context) =>
      context.services.db.room.findUnique({ ...query, where: { id: (payload as { roomId: string }).roomId } }),
  }),
}));
