// What a stored calendar event row holds for one expanded instance, and the
// hash of what users see: a sync writes a row only when that hash moves, so
// providers that rewrite DTSTAMP on every download cause no writes.
import { createHash } from 'node:crypto';
import type { CalendarInstance } from '../calendar/calendar-types.js';

export function contentHashOf(instance: CalendarInstance): string {
  const visible = [
    instance.title,
    instance.description,
    instance.start.toISOString(),
    instance.end.toISOString(),
    instance.isAllDay,
    instance.timeZone,
    instance.location,
    instance.status,
    instance.attendees,
    instance.organizer,
  ];
  return createHash('sha256').update(JSON.stringify(visible)).digest('base64url');
}

/** Column values for a CalendarEvent row (without room, key and sync bookkeeping). */
export function eventColumns(instance: CalendarInstance) {
  return {
    title: instance.title,
    description: instance.description,
    start: instance.start,
    end: instance.end,
    isAllDay: instance.isAllDay,
    timeZone: instance.timeZone,
    location: instance.location,
    status: instance.status,
    attendees: instance.attendees as unknown as object[],
    organizer: (instance.organizer ?? undefined) as object | undefined,
    sequence: instance.sequence,
    lastModified: instance.lastModified,
    rawVevent: instance.rawVevent,
    contentHash: contentHashOf(instance),
  };
}

export const eventKey = (uid: string, recurrenceId: string) => `${uid}\u0000${recurrenceId}`;

/** Identifies the set of instances a sync keeps, with their content: equal digests, equal stored events. */
export function matchDigestOf(instances: CalendarInstance[]): string {
  const entries = instances.map((instance) => `${eventKey(instance.uid, instance.recurrenceId)}\u0000${contentHashOf(instance)}`).sort();
  return createHash('sha256').update(entries.join('\n')).digest('base64url');
}
