// Brings a room's stored events in line with the instances its feed yields
// for the current window (SPEC §3 steps 5–6). Runs inside the sync's
// transaction: either every change of a sync lands, or none does.
import type { CalendarInstance } from '../calendar/ics-expand.js';
import { Prisma } from '../generated/prisma/client.js';
import { eventColumns, eventKey } from './event-content.js';

type Tx = Prisma.TransactionClient;

export interface ReconcileCounts {
  created: number;
  updated: number;
  deleted: number;
  restored: number;
}

export async function reconcileRoomEvents(
  tx: Tx,
  input: { roomId: string; instances: CalendarInstance[]; now: Date; windowEnd: Date },
): Promise<ReconcileCounts> {
  const { roomId, instances, now, windowEnd } = input;
  const counts: ReconcileCounts = { created: 0, updated: 0, deleted: 0, restored: 0 };

  const uids = [...new Set(instances.map((instance) => instance.uid))];
  const recurrenceIds = [...new Set(instances.map((instance) => instance.recurrenceId))];
  const existing =
    instances.length === 0
      ? []
      : await tx.calendarEvent.findMany({
          where: { roomId, icsUid: { in: uids }, recurrenceId: { in: recurrenceIds } },
          select: { id: true, icsUid: true, recurrenceId: true, contentHash: true, isDeleted: true },
        });
  const existingByKey = new Map(existing.map((row) => [eventKey(row.icsUid, row.recurrenceId), row]));

  const seen = new Set<string>();
  for (const instance of instances) {
    const key = eventKey(instance.uid, instance.recurrenceId);
    if (seen.has(key)) continue; // a feed listing the same instance twice
    seen.add(key);
    const columns = eventColumns(instance);
    const row = existingByKey.get(key);
    if (!row) {
      await tx.calendarEvent.create({
        data: { ...columns, roomId, icsUid: instance.uid, recurrenceId: instance.recurrenceId, lastSynced: now },
      });
      counts.created++;
    } else if (row.isDeleted || row.contentHash !== columns.contentHash) {
      await tx.calendarEvent.update({ where: { id: row.id }, data: { ...columns, isDeleted: false, lastSynced: now } });
      if (row.isDeleted) counts.restored++;
      else counts.updated++;
    }
  }

  // Future events of the window the feed no longer yields; past ones stay.
  const vanished = await tx.calendarEvent.findMany({
    where: { roomId, isDeleted: false, start: { gt: now, lt: windowEnd } },
    select: { id: true, icsUid: true, recurrenceId: true },
  });
  const vanishedIds = vanished.filter((row) => !seen.has(eventKey(row.icsUid, row.recurrenceId))).map((row) => row.id);
  if (vanishedIds.length > 0) {
    const { count } = await tx.calendarEvent.updateMany({
      where: { id: { in: vanishedIds } },
      data: { isDeleted: true, lastSynced: now },
    });
    counts.deleted = count;
  }
  return counts;
}
