// Drives meetings through time (SPEC §4): pre-creates the meeting of each
// calendar event shortly before it starts (late, up to its end, if the server
// was down), moves or closes pre-created meetings whose event moved or went
// away, announces each meeting's start exactly once, and closes meetings by
// the rules in meeting-rules.ts. Every step is a conditional write, so any
// number of instances can run it at once: unique slots make one meeting per
// event, and `startedAnnouncedAt IS NULL` makes one announcement per meeting.
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { Prisma, type CalendarEvent, type Meeting } from '../generated/prisma/client.js';
import type { Logger } from '../logger.js';
import type { AppPubSub } from '../realtime/pubsub.js';
import { calendarSlotOf, EMPTY_GRACE_MS, MAX_MEETING_MS, NO_SHOW_AFTER_END_MS, type CloseReason } from './meeting-rules.js';
import type { PlatformRegistry } from './platform-registry.js';

export interface MeetingSchedulerDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  pubsub: AppPubSub;
  platforms: PlatformRegistry;
  precreateLeadMs: number;
}

export interface MeetingScheduler {
  /** One pass of every rule at the clock's current time. */
  tick(): Promise<void>;
  start(intervalMs: number): void;
  stop(): Promise<void>;
}

function calendarMetadataOf(event: CalendarEvent): Prisma.InputJsonObject {
  return {
    title: event.title,
    description: event.description,
    organizer: event.organizer as Prisma.InputJsonValue,
    attendees: event.attendees as Prisma.InputJsonValue,
    recurrenceId: event.recurrenceId || null,
    icsUid: event.icsUid,
  };
}

export function createMeetingScheduler(deps: MeetingSchedulerDeps): MeetingScheduler {
  const { db, clock, logger, pubsub, platforms } = deps;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const scheduleChanged = (roomIds: Iterable<string>) => {
    for (const roomId of new Set(roomIds)) pubsub.publish('room:schedule', roomId, { roomId });
  };

  /** Asks the platform for the meeting rows that do not have one yet (new, or a platform that failed before). */
  async function provisionPending(now: Date): Promise<void> {
    const pending = await db.meeting.findMany({
      where: { isActive: true, roomUrl: null, endDate: { gt: now } },
      include: { room: { select: { name: true } } },
    });
    for (const meeting of pending) {
      try {
        const created = await platforms.get(meeting.platform).createMeeting({
          roomName: meeting.room.name,
          meetingId: meeting.id,
          startDate: meeting.startDate,
          endDate: meeting.endDate,
        });
        const { count } = await db.meeting.updateMany({
          where: { id: meeting.id, roomUrl: null },
          data: { platformMeetingId: created.platformMeetingId, roomUrl: created.roomUrl, hostRoomUrl: created.hostRoomUrl },
        });
        // Another instance provisioned it meanwhile: ours is surplus.
        if (count === 0) await platforms.get(meeting.platform).deleteMeeting(created.platformMeetingId).catch(() => {});
      } catch (error) {
        logger.warn({ err: error, meetingId: meeting.id }, 'video platform could not create the meeting; retrying next tick');
      }
    }
  }

  /** Pre-creates meetings for events starting within the lead time (or already running). */
  async function precreate(now: Date): Promise<void> {
    const due = await db.calendarEvent.findMany({
      where: {
        isDeleted: false,
        start: { lte: new Date(now.getTime() + deps.precreateLeadMs) },
        end: { gt: now },
        OR: [{ status: null }, { status: { not: 'CANCELLED' } }],
      },
      include: { room: { select: { platform: true } }, meeting: { select: { id: true } } },
      orderBy: { start: 'asc' },
    });
    if (due.length === 0) return;
    const slots = [...new Set(due.map(calendarSlotOf))];
    const existing = new Set(
      (await db.meeting.findMany({ where: { calendarSlot: { in: slots } }, select: { calendarSlot: true } })).map((m) => m.calendarSlot),
    );
    const created = new Set<string>();
    for (const event of due) {
      const slot = calendarSlotOf(event);
      if (existing.has(slot) || created.has(slot)) continue;
      created.add(slot);
      // ON CONFLICT DO NOTHING: an instance racing us on the same slot wins quietly.
      await db.meeting.createMany({
        data: [
          {
            roomId: event.roomId,
            // An event that already named another meeting (it moved after that one started) stays linked there.
            calendarEventId: event.meeting ? null : event.id,
            calendarSlot: slot,
            calendarMetadata: calendarMetadataOf(event),
            platform: event.room.platform,
            startDate: event.start,
            endDate: event.end,
          },
        ],
        skipDuplicates: true,
      });
    }
    if (created.size > 0) scheduleChanged(due.filter((event) => created.has(calendarSlotOf(event))).map((event) => event.roomId));
  }

  /** Pre-created meetings not started yet whose events moved or went away. */
  async function followEventChanges(now: Date): Promise<void> {
    const notStarted = await db.meeting.findMany({
      where: { isActive: true, calendarSlot: { not: null }, startDate: { gt: now } },
      include: { calendarEvent: true },
    });
    for (const meeting of notStarted) {
      const stillThere = await db.calendarEvent.count({
        where: { roomId: meeting.roomId, isDeleted: false, start: meeting.startDate, end: meeting.endDate },
      });
      if (stillThere > 0) continue;
      const event = meeting.calendarEvent;
      const newSlot = event && !event.isDeleted ? calendarSlotOf(event) : null;
      const slotTaken = newSlot !== null && (await db.meeting.count({ where: { calendarSlot: newSlot } })) > 0;
      if (event && newSlot && !slotTaken && event.end > now) {
        await db.meeting.updateMany({
          where: { id: meeting.id, startedAnnouncedAt: null },
          data: { startDate: event.start, endDate: event.end, calendarSlot: newSlot, calendarMetadata: calendarMetadataOf(event) },
        });
        logger.info({ meetingId: meeting.id, start: event.start }, 'meeting moved with its calendar event');
        scheduleChanged([meeting.roomId]);
      } else if (meeting.firstJoinedAt === null) {
        await close([meeting], 'calendar_event_deleted', now);
      }
    }
  }

  /** Publishes meetingStarted once per meeting that reached its start. */
  async function announceStarts(now: Date): Promise<void> {
    const started = await db.$queryRaw<Array<{ id: string; roomId: string }>>`
      UPDATE "Meeting" SET "startedAnnouncedAt" = ${now}
      WHERE "isActive" AND "startedAnnouncedAt" IS NULL AND "startDate" <= ${now} AND "roomUrl" IS NOT NULL
      RETURNING "id", "roomId"`;
    for (const meeting of started) pubsub.publish('room:meeting-started', meeting.roomId, { meetingId: meeting.id });
    if (started.length > 0) scheduleChanged(started.map((meeting) => meeting.roomId));
  }

  async function close(meetings: Meeting[], reason: CloseReason, now: Date): Promise<void> {
    for (const meeting of meetings) {
      const { count } = await db.meeting.updateMany({
        where: { id: meeting.id, isActive: true },
        data: { isActive: false, closedAt: now, closeReason: reason },
      });
      if (count === 0) continue; // closed by another instance
      logger.info({ meetingId: meeting.id, reason }, 'meeting closed');
      if (meeting.platformMeetingId) {
        await platforms
          .get(meeting.platform)
          .deleteMeeting(meeting.platformMeetingId)
          .catch((error: unknown) => logger.warn({ err: error, meetingId: meeting.id }, 'video platform could not delete the meeting'));
      }
      scheduleChanged([meeting.roomId]);
    }
  }

  async function closeByRules(now: Date): Promise<void> {
    const t = now.getTime();
    await close(
      await db.meeting.findMany({ where: { isActive: true, startDate: { lte: new Date(t - MAX_MEETING_MS) } } }),
      'max_duration',
      now,
    );
    await close(
      await db.meeting.findMany({
        where: { isActive: true, participantCount: 0, lastParticipantLeftAt: { lte: new Date(t - EMPTY_GRACE_MS) } },
      }),
      'empty_after_grace',
      now,
    );
    await close(
      await db.meeting.findMany({
        where: {
          isActive: true,
          calendarSlot: { not: null },
          participantCount: 0,
          firstJoinedAt: null,
          endDate: { lte: new Date(t - NO_SHOW_AFTER_END_MS) },
        },
      }),
      'no_show',
      now,
    );
  }

  async function tick(): Promise<void> {
    const now = clock.now();
    await followEventChanges(now);
    await precreate(now);
    await provisionPending(now);
    await announceStarts(now);
    await closeByRules(now);
  }

  return {
    tick,
    start(intervalMs) {
      if (timer) return;
      timer = setInterval(() => {
        if (running) return;
        running = tick()
          .catch((error: unknown) => logger.error({ err: error }, 'meeting scheduler tick failed'))
          .finally(() => (running = undefined));
      }, intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}
