// Drives meetings through time (SPEC §4): pre-creates the meeting of each
// calendar event shortly before it starts (late, up to its end, if the server
// was down), moves or closes pre-created meetings whose event moved or went
// away, announces each meeting's start exactly once, and closes meetings by
// the rules in meeting-rules.ts. Every step is a conditional write, so any
// number of instances can run it at once: unique slots make one meeting per
// event, and `startedAnnouncedAt IS NULL` makes one announcement per meeting.
//
// One room cannot hold up another: starts are announced first in every tick,
// and each room gets at most MEETINGS_PER_ROOM_PER_TICK pre-creations and
// platform calls per tick, earliest start first.
import pLimit from 'p-limit';
import { Prisma, type Meeting } from '../generated/prisma/client.js';
import { calendarMetadataOf } from './calendar-metadata.js';
import { announceStarts, provisionMeeting, publishScheduleChanged, type MeetingDeps } from './meeting-provisioning.js';
import { calendarSlotOf, closeDueOf, closeReasonAt, type CloseReason, type MeetingState } from './meeting-rules.js';

/** Per room and tick; a room with thousands of due events catches up over several ticks. */
export const MEETINGS_PER_ROOM_PER_TICK = 5;
/**
 * The longest the idle scheduler sleeps. Work it knows about wakes it on time;
 * this bounds how late it notices what other writers add (an event synced
 * shortly before its start, another instance's meetings).
 */
export const MAX_IDLE_MS = 30_000;
/** Platform calls in flight at once, so one slow platform answer does not serialize every room's. */
const PROVISION_CONCURRENCY = 8;

/** What closing a meeting needs: the rules' inputs and the platform meeting to delete. */
const closableSelect = {
  id: true,
  roomId: true,
  platform: true,
  platformMeetingId: true,
  isActive: true,
  startDate: true,
  endDate: true,
  calendarSlot: true,
  participantCount: true,
  firstJoinedAt: true,
  lastParticipantLeftAt: true,
} as const;
type ClosableMeeting = MeetingState & Pick<Meeting, 'id' | 'roomId' | 'platform' | 'platformMeetingId'>;

/** Meeting rows the platform has not created yet and may be asked about (again) at `now`. */
const awaitingPlatform = (now: Date) => Prisma.sql`
  "isActive" AND "roomUrl" IS NULL AND "endDate" > ${now}`;
/** Calendar events that need a meeting and have none holding their slot (see calendarSlotOf). */
const eventsWithoutMeeting = (now: Date) => Prisma.sql`
  NOT e."isDeleted" AND e."end" > ${now} AND (e."status" IS NULL OR e."status" <> 'CANCELLED')
  AND NOT EXISTS (
    SELECT 1 FROM "Meeting" m
    WHERE m."roomId" = e."roomId" AND m."calendarSlot" IS NOT NULL AND m."startDate" = e."start" AND m."endDate" = e."end")`;

export interface MeetingSchedulerDeps extends MeetingDeps {
  precreateLeadMs: number;
}

export interface MeetingScheduler {
  /** One pass of every rule at the clock's current time; returns when there is work next (null: nothing scheduled). */
  tick(): Promise<Date | null>;
  start(intervalMs: number): void;
  stop(): Promise<void>;
}

function earliest(a: Date | null, b: Date | null): Date | null {
  if (!a || !b) return a ?? b;
  return a <= b ? a : b;
}

export function createMeetingScheduler(deps: MeetingSchedulerDeps): MeetingScheduler {
  const { db, clock, logger, pubsub, platforms } = deps;
  const platformCalls = pLimit(PROVISION_CONCURRENCY);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  /** Asks the platform for the meeting rows that do not have one yet (new, or a platform that failed before and is due again). */
  /** Asks the platform for the meetings awaiting it; true when any got its room. */
  async function provisionPending(now: Date): Promise<boolean> {
    const due = await db.$queryRaw<Array<{ id: string }>>`
      SELECT "id" FROM (
        SELECT "id", ROW_NUMBER() OVER (PARTITION BY "roomId" ORDER BY "startDate", "id") AS "rank"
        FROM "Meeting"
        WHERE ${awaitingPlatform(now)} AND ("provisionRetryAt" IS NULL OR "provisionRetryAt" <= ${now})
      ) AS pending
      WHERE "rank" <= ${MEETINGS_PER_ROOM_PER_TICK}`;
    if (due.length === 0) return false;
    const pending = await db.meeting.findMany({
      where: { id: { in: due.map((row) => row.id) } },
      include: { room: { select: { name: true } } },
      orderBy: { startDate: 'asc' },
    });
    const results = await Promise.all(pending.map((meeting) => platformCalls(() => provisionMeeting(deps, meeting, now))));
    return results.some((result) => result.ok);
  }

  /** Pre-creates meetings for events starting within the lead time (or already running) that have none yet. */
  async function precreate(now: Date): Promise<void> {
    const dueIds = await db.$queryRaw<Array<{ id: string }>>`
      SELECT "id" FROM (
        SELECT e."id", ROW_NUMBER() OVER (PARTITION BY e."roomId" ORDER BY e."start", e."id") AS "rank"
        FROM "CalendarEvent" e
        WHERE ${eventsWithoutMeeting(now)} AND e."start" <= ${new Date(now.getTime() + deps.precreateLeadMs)}
      ) AS due
      WHERE "rank" <= ${MEETINGS_PER_ROOM_PER_TICK}`;
    if (dueIds.length === 0) return;
    const due = await db.calendarEvent.findMany({
      where: { id: { in: dueIds.map((row) => row.id) } },
      include: { room: { select: { platform: true } }, meeting: { select: { id: true } } },
      orderBy: { start: 'asc' },
    });
    const slots = new Set<string>();
    for (const event of due) {
      const slot = calendarSlotOf(event);
      if (slots.has(slot)) continue;
      slots.add(slot);
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
    publishScheduleChanged(pubsub, due.map((event) => event.roomId));
  }

  /** Pre-created meetings not started yet whose events moved or went away. */
  async function followEventChanges(now: Date): Promise<void> {
    // Only those no live event holds any more: one query however many meetings are about to start.
    const orphaned = await db.$queryRaw<Array<{ id: string }>>`
      SELECT m."id" FROM "Meeting" m
      WHERE m."isActive" AND m."calendarSlot" IS NOT NULL AND m."startDate" > ${now}
        AND NOT EXISTS (
          SELECT 1 FROM "CalendarEvent" e
          WHERE e."roomId" = m."roomId" AND NOT e."isDeleted" AND e."start" = m."startDate" AND e."end" = m."endDate")`;
    if (orphaned.length === 0) return;
    const meetings = await db.meeting.findMany({ where: { id: { in: orphaned.map((row) => row.id) } }, include: { calendarEvent: true } });
    for (const meeting of meetings) {
      const event = meeting.calendarEvent;
      const newSlot = event && !event.isDeleted ? calendarSlotOf(event) : null;
      const slotTaken = newSlot !== null && (await db.meeting.count({ where: { calendarSlot: newSlot } })) > 0;
      if (event && newSlot && !slotTaken && event.end > now) {
        await db.meeting.updateMany({
          where: { id: meeting.id, startedAnnouncedAt: null },
          data: { startDate: event.start, endDate: event.end, calendarSlot: newSlot, calendarMetadata: calendarMetadataOf(event) },
        });
        logger.info({ meetingId: meeting.id, start: event.start }, 'meeting moved with its calendar event');
        publishScheduleChanged(pubsub, [meeting.roomId]);
      } else {
        const reason = closeReasonAt(meeting, now, { calendarEventGone: true });
        if (reason) await close(meeting, reason, now);
      }
    }
  }

  async function close(meeting: ClosableMeeting, reason: CloseReason, now: Date): Promise<void> {
    const { count } = await db.meeting.updateMany({
      where: { id: meeting.id, isActive: true },
      data: { isActive: false, closedAt: now, closeReason: reason },
    });
    if (count === 0) return; // closed by another instance
    logger.info({ meetingId: meeting.id, reason }, 'meeting closed');
    if (meeting.platformMeetingId) {
      try {
        // get() throws too when the platform's key was removed since: the meeting is closed all the same.
        await platforms.get(meeting.platform).deleteMeeting(meeting.platformMeetingId);
      } catch (error) {
        logger.warn({ error: String(error), meetingId: meeting.id }, 'video platform could not delete the meeting');
      }
    }
    publishScheduleChanged(pubsub, [meeting.roomId]);
  }

  /**
   * Every closing rule applies to started meetings only (a deleted event's
   * unused meeting is closed by followEventChanges). Returns when the next of
   * the remaining ones is due to close, if nothing changes meanwhile.
   */
  async function closeByRules(now: Date): Promise<Date | null> {
    const started = await db.meeting.findMany({ where: { isActive: true, startDate: { lte: now } }, select: closableSelect });
    let next: Date | null = null;
    for (const meeting of started) {
      const due = closeDueOf(meeting);
      if (due && due.at <= now) await close(meeting, due.reason, now);
      else next = earliest(next, due?.at ?? null);
    }
    return next;
  }

  /** When a meeting is next due to be pre-created, asked of its platform, or announced. */
  async function nextTimedWork(now: Date): Promise<Date | null> {
    const [row] = await db.$queryRaw<Array<{ eventStart: Date | null; platformRetry: Date | null; start: Date | null }>>`
      SELECT
        (SELECT MIN(e."start") FROM "CalendarEvent" e WHERE ${eventsWithoutMeeting(now)}) AS "eventStart",
        (SELECT MIN(COALESCE("provisionRetryAt", ${now})) FROM "Meeting" WHERE ${awaitingPlatform(now)}) AS "platformRetry",
        (SELECT MIN("startDate") FROM "Meeting" WHERE "isActive" AND "startedAnnouncedAt" IS NULL AND "roomUrl" IS NOT NULL) AS "start"`;
    if (!row) return null;
    const precreateAt = row.eventStart && new Date(row.eventStart.getTime() - deps.precreateLeadMs);
    return [precreateAt, row.platformRetry, row.start].reduce(earliest, null);
  }

  async function tick(): Promise<Date | null> {
    const now = clock.now();
    // Starts first: nothing else in the tick may delay them.
    await announceStarts(deps, now);
    await followEventChanges(now);
    await precreate(now);
    // Meetings provisioned just now whose event is already running.
    if (await provisionPending(now)) await announceStarts(deps, now);
    const nextClose = await closeByRules(now);
    return earliest(nextClose, await nextTimedWork(now));
  }

  /** Runs a tick, then sleeps until the next due work: at least `intervalMs`, at most `maxIdleMs` (other instances' writes are not signalled here). */
  function loop(intervalMs: number, maxIdleMs: number): void {
    running = tick()
      .catch((error: unknown) => {
        logger.error({ err: error }, 'meeting scheduler tick failed');
        return null;
      })
      .then((next) => {
        running = undefined;
        if (!started) return;
        const untilDue = next ? next.getTime() - clock.now().getTime() : Infinity;
        timer = setTimeout(() => loop(intervalMs, maxIdleMs), Math.max(intervalMs, Math.min(untilDue, maxIdleMs)));
        timer.unref();
      });
  }

  let started = false;
  return {
    tick,
    start(intervalMs) {
      if (started) return;
      started = true;
      loop(intervalMs, Math.max(intervalMs, MAX_IDLE_MS));
    },
    async stop() {
      started = false;
      clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}
