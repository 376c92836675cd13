// The two steps every meeting goes through, whoever made it (the scheduler for
// calendar events, createMeeting for unscheduled ones): the video platform
// creates it, then its start is announced exactly once.
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { Prisma, type Meeting } from '../generated/prisma/client.js';
import type { Logger } from '../logger.js';
import type { AppPubSub } from '../realtime/pubsub.js';
import { provisionRetryDelayMs } from './meeting-rules.js';
import { PlatformNotConfiguredError, type PlatformRegistry } from './platform-registry.js';
import { VideoPlatformError } from './platforms/video-platform.js';

export interface MeetingDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  pubsub: AppPubSub;
  platforms: PlatformRegistry;
}

export type MeetingToProvision = Pick<Meeting, 'id' | 'roomId' | 'platform' | 'startDate' | 'endDate' | 'provisioningError' | 'provisioningFailures'> & {
  room: { name: string };
};

export type ProvisionResult = { ok: true } | { ok: false; error: string };

/** Tells room pages to re-read their schedule. */
export function publishScheduleChanged(pubsub: AppPubSub, roomIds: Iterable<string>): void {
  for (const roomId of new Set(roomIds)) pubsub.publish('room:schedule', roomId, { roomId });
}

/** Our platform errors say what went wrong without secrets, so the owner may read them; other errors are bugs. */
const isPlatformFailure = (error: unknown): error is Error =>
  error instanceof VideoPlatformError || error instanceof PlatformNotConfiguredError;

/**
 * Asks the meeting's platform for it and stores the URLs. A failure is recorded
 * on the meeting (provisioningError, shown to the owner) with the time of the
 * next attempt, backing off exponentially; it is logged when the error changes,
 * not on every attempt.
 */
export async function provisionMeeting(deps: MeetingDeps, meeting: MeetingToProvision, now: Date): Promise<ProvisionResult> {
  const { db, logger } = deps;
  try {
    const platform = deps.platforms.get(meeting.platform);
    const created = await platform.createMeeting({
      roomName: meeting.room.name,
      meetingId: meeting.id,
      startDate: meeting.startDate,
      endDate: meeting.endDate,
    });
    const { count } = await db.meeting.updateMany({
      where: { id: meeting.id, roomUrl: null },
      data: {
        platformMeetingId: created.platformMeetingId,
        roomUrl: created.roomUrl,
        hostRoomUrl: created.hostRoomUrl,
        provisioningError: null,
        provisioningFailures: 0,
        provisionRetryAt: null,
      },
    });
    // Another instance provisioned it meanwhile: ours is surplus.
    if (count === 0) await platform.deleteMeeting(created.platformMeetingId).catch(() => {});
    else if (meeting.provisioningError) logger.info({ meetingId: meeting.id }, 'video platform created the meeting after failing before');
    return { ok: true };
  } catch (error) {
    const expected = isPlatformFailure(error);
    const message = expected ? error.message : 'Unexpected error while creating the meeting on the video platform';
    const failures = meeting.provisioningFailures + 1;
    const retryInMs = provisionRetryDelayMs(failures);
    await db.meeting.updateMany({
      where: { id: meeting.id, roomUrl: null },
      data: { provisioningError: message, provisioningFailures: failures, provisionRetryAt: new Date(now.getTime() + retryInMs) },
    });
    if (message !== meeting.provisioningError) {
      // Platform failures need no stack; an unexpected error does, once.
      const details = expected ? { error: message } : { err: error };
      logger.warn({ ...details, meetingId: meeting.id, platform: meeting.platform, retryInMs }, 'video platform could not create the meeting; retrying with back-off');
    }
    return { ok: false, error: message };
  }
}

/**
 * Publishes meetingStarted for each provisioned meeting that reached its start
 * and was not announced yet (all of them, or only `meetingId`). The conditional
 * write makes it once per meeting whichever instance or request gets there first.
 */
export async function announceStarts(deps: Pick<MeetingDeps, 'db' | 'pubsub'>, now: Date, meetingId?: string): Promise<void> {
  const onlyThis = meetingId === undefined ? Prisma.empty : Prisma.sql`AND "id" = ${meetingId}::uuid`;
  const started = await deps.db.$queryRaw<Array<{ id: string; roomId: string }>>`
    UPDATE "Meeting" SET "startedAnnouncedAt" = ${now}
    WHERE "isActive" AND "startedAnnouncedAt" IS NULL AND "startDate" <= ${now} AND "roomUrl" IS NOT NULL ${onlyThis}
    RETURNING "id", "roomId"`;
  for (const meeting of started) deps.pubsub.publish('room:meeting-started', meeting.roomId, { meetingId: meeting.id });
  publishScheduleChanged(deps.pubsub, started.map((meeting) => meeting.roomId));
}
