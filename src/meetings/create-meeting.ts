// Starting an unscheduled meeting in a room, now (SPEC §4). Who may: the room's
// owner always; other signed-in users when the owner allowed it
// (Room.signedInUsersMayStartMeetings); anonymous callers never. Nobody
// joining closes it after the empty grace period (meeting-rules.ts).
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

export function mayStartMeeting(room: Pick<Room, 'ownerId' | 'signedInUsersMayStartMeetings'>, userId: string | null): boolean {
  return userId !== null && (userId === room.ownerId || room.signedInUsersMayStartMeetings);
}

/** Creates, provisions and announces the meeting; returns its id. Throws a MeetingError subclass when refused. */
export async function createMeeting(deps: MeetingDeps, input: { room: Room; userId: string | null }): Promise<string> {
  const { room, userId } = input;
  const { db } = deps;
  if (userId === null) throw new SignInRequiredError();
  if (!mayStartMeeting(room, userId)) throw new NotAllowedToStartMeetingError();
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
