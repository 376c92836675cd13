// Brings a room's stored events in line with the instances its feed yields
// for the current window (SPEC §3 steps 5–6), in two steps: `planReconcile`
// reads what is stored (one query) and works out the changes; `applyReconcile`
// writes them with at most three statements, inside the sync's transaction.
// Most syncs change nothing, and then nothing is written and no transaction
// is opened. The room's sync lease keeps other writers away in between.
import type { CalendarInstance } from '../calendar/calendar-types.js';
import type { Db } from '../db/client.js';
import type { Prisma } from '../generated/prisma/client.js';
import { eventColumns, eventKey } from './event-content.js';

export interface ReconcileCounts {
  created: number;
  updated: number;
  deleted: number;
  restored: number;
}

type EventColumns = ReturnType<typeof eventColumns>;

export interface ReconcilePlan {
  creates: Array<EventColumns & { icsUid: string; recurrenceId: string }>;
  updates: Array<EventColumns & { id: string }>;
  deleteIds: string[];
  counts: ReconcileCounts;
}

export const emptyPlan = (): ReconcilePlan => ({
  creates: [],
  updates: [],
  deleteIds: [],
  counts: { created: 0, updated: 0, deleted: 0, restored: 0 },
});

export const hasChanges = (plan: ReconcilePlan) => plan.creates.length + plan.updates.length + plan.deleteIds.length > 0;

export async function planReconcile(
  db: Db,
  input: { roomId: string; instances: CalendarInstance[]; now: Date; windowEnd: Date },
): Promise<ReconcilePlan> {
  const { roomId, instances, now, windowEnd } = input;
  const uids = [...new Set(instances.map((instance) => instance.uid))];
  const recurrenceIds = [...new Set(instances.map((instance) => instance.recurrenceId))];
  // The stored rows of these instances, and every live future event of the
  // window (candidates for deletion), in one read.
  const stored = await db.calendarEvent.findMany({
    where: {
      roomId,
      OR: [
        ...(instances.length > 0 ? [{ icsUid: { in: uids }, recurrenceId: { in: recurrenceIds } }] : []),
        { isDeleted: false, start: { gt: now, lt: windowEnd } },
      ],
    },
    select: { id: true, icsUid: true, recurrenceId: true, contentHash: true, isDeleted: true, start: true },
  });
  const storedByKey = new Map(stored.map((row) => [eventKey(row.icsUid, row.recurrenceId), row]));

  const plan = emptyPlan();
  const seen = new Set<string>();
  for (const instance of instances) {
    const key = eventKey(instance.uid, instance.recurrenceId);
    if (seen.has(key)) continue; // a feed listing the same instance twice
    seen.add(key);
    const columns = eventColumns(instance);
    const row = storedByKey.get(key);
    if (!row) {
      plan.creates.push({ ...columns, icsUid: instance.uid, recurrenceId: instance.recurrenceId });
    } else if (row.isDeleted || row.contentHash !== columns.contentHash) {
      plan.updates.push({ ...columns, id: row.id });
      if (row.isDeleted) plan.counts.restored++;
      else plan.counts.updated++;
    }
  }
  // Future events of the window the feed no longer yields; past ones stay.
  plan.deleteIds = stored
    .filter((row) => !row.isDeleted && row.start > now && row.start < windowEnd && !seen.has(eventKey(row.icsUid, row.recurrenceId)))
    .map((row) => row.id);
  plan.counts.created = plan.creates.length;
  plan.counts.deleted = plan.deleteIds.length;
  return plan;
}

export async function applyReconcile(tx: Prisma.TransactionClient, plan: ReconcilePlan, roomId: string, now: Date): Promise<void> {
  if (plan.creates.length > 0) {
    await tx.calendarEvent.createMany({ data: plan.creates.map((row) => ({ ...row, roomId, lastSynced: now })) });
  }
  if (plan.updates.length > 0) await updateEvents(tx, plan.updates, now);
  if (plan.deleteIds.length > 0) {
    await tx.calendarEvent.updateMany({ where: { id: { in: plan.deleteIds } }, data: { isDeleted: true, lastSynced: now } });
  }
}

/** One UPDATE … FROM unnest(…) for every changed row, instead of a statement per row. */
async function updateEvents(tx: Prisma.TransactionClient, rows: Array<EventColumns & { id: string }>, now: Date): Promise<void> {
  const column = <T>(pick: (row: EventColumns & { id: string }) => T) => rows.map(pick);
  const json = (value: unknown) => (value === undefined || value === null ? null : JSON.stringify(value));
  const iso = (date: Date | null) => date?.toISOString() ?? null;
  await tx.$executeRaw`
    UPDATE "CalendarEvent" AS e SET
      "title" = v.title, "description" = v.description,
      "start" = v.start AT TIME ZONE 'UTC', "end" = v.finish AT TIME ZONE 'UTC', "isAllDay" = v.all_day, "timeZone" = v.time_zone,
      "location" = v.location, "status" = v.status, "attendees" = v.attendees, "organizer" = v.organizer,
      "sequence" = v.seq, "lastModified" = v.last_modified AT TIME ZONE 'UTC', "rawVevent" = v.raw,
      "contentHash" = v.hash, "isDeleted" = false, "lastSynced" = ${now}, "updatedAt" = ${now}
    FROM unnest(
      ${column((row) => row.id)}::uuid[], ${column((row) => row.title)}::text[], ${column((row) => row.description)}::text[],
      ${column((row) => iso(row.start))}::timestamptz[], ${column((row) => iso(row.end))}::timestamptz[],
      ${column((row) => row.isAllDay)}::boolean[], ${column((row) => row.timeZone)}::text[], ${column((row) => row.location)}::text[], ${column((row) => row.status)}::text[],
      ${column((row) => json(row.attendees))}::jsonb[], ${column((row) => json(row.organizer))}::jsonb[],
      ${column((row) => row.sequence)}::int[], ${column((row) => iso(row.lastModified))}::timestamptz[],
      ${column((row) => row.rawVevent)}::text[], ${column((row) => row.contentHash)}::text[]
    ) AS v(id, title, description, start, finish, all_day, time_zone, location, status, attendees, organizer, seq, last_modified, raw, hash)
    WHERE e."id" = v.id`;
}
