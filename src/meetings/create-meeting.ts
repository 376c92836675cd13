// Starting an unscheduled meeting in a room, now (SPEC §4). Who may is the
// room's meetingStartPolicy: by default anyone who can see the room (SPEC §5);
// the owner can narrow it to signed-in users or to themselves. Abuse stays
// bounded without sign-in: at most MAX_ACTIVE_UNSCHEDULED run per room, and
// one nobody joins closes after the empty grace period (meeting-rules.ts).
import type { Room } from '../generated/prisma/client.js';
import {
  MeetingPlatformError,
  NotAllowedToStartMeetingError,
  SignInRequiredError,
  TooManyUnscheduledMeetingsError,
} from './meeting-errors.js';
import { announceStarts, provisionMeeting, type MeetingDeps } from './meeting-provisioning.js';
import { MAX_MEETING_MS, provisionRetryDelayMs } from './meeting-rules.js';

/** A room may not hold more unscheduled meetings at once than this. */
export const MAX_ACTIVE_UNSCHEDULED = 10;

/** Why the caller (userId null: anonymous) may not start a meeting in the room; null when they may. */
export function startMeetingRefusal(
  room: Pick<Room, 'ownerId' | 'meetingStartPolicy'>,
  userId: string | null,
): SignInRequiredError | NotAllowedToStartMeetingError | null {
  if (room.meetingStartPolicy === 'ANYONE' || userId === room.ownerId) return null;
  if (userId === null) return new SignInRequiredError();
  return room.meetingStartPolicy === 'OWNER' ? new NotAllowedToStartMeetingError() : null;
}

/** Creates, provisions and announces the meeting; returns its id. Throws a MeetingError subclass when refused. */
export async function createMeeting(deps: MeetingDeps, input: { room: Room; userId: string | null }): Promise<string> {
  const { room, userId } = input;
  const { db } = deps;
  const refusal = startMeetingRefusal(room, userId);
  if (refusal) throw refusal;
  const unavailable = deps.platforms.unavailableReason(room.platform);
  if (unavailable) throw new MeetingPlatformError(unavailable);
  const active = await db.meeting.count({ where: { roomId: room.id, isActive: true, calendarSlot: null } });
  if (active >= MAX_ACTIVE_UNSCHEDULED) throw new TooManyUnscheduledMeetingsError(active, 60);

  const now = deps.clock.now();
  const meeting = await db.meeting.create({
    data: {
      roomId: room.id,
      platform: room.platform,
      startDate: now,
      endDate: new Date(now.getTime() + MAX_MEETING_MS),
      // This request provisions it; the scheduler steps in only if the process dies before it is done.
      provisionRetryAt: new Date(now.getTime() + provisionRetryDelayMs(1)),
    },
  });
  const provisioned = await provisionMeeting(deps, { ...meeting, room: { name: room.name } }, now);
  if (!provisioned.ok) {
    await db.meeting.delete({ where: { id: meeting.id } });
    throw new MeetingPlatformError(`The video platform could not create the meeting (${provisioned.error}); try again shortly`);
  }
  await announceStarts(deps, now, meeting.id);
  return meeting.id;
}
