// The RECURRENCE-ID overrides and EXDATEs of one UID, matched against the
// slots of its series: which instances an override replaces or moves
// (RANGE=THISANDFUTURE), and which EXDATE removes.
import type { EventGroup, VeventRecord } from './ics-parse.js';
import { DAY_MS, dayOf, instantOf, isoOf, type EndRule, type TimeValue } from './wall-time.js';

/** How overrides read a VEVENT's dates: the expansion's zone resolution and end rules. */
export interface DateReader {
  readProperty(component: VeventRecord['component'], name: string): TimeValue | null;
  endRule(component: VeventRecord['component'], start: TimeValue): EndRule;
  timeValues(prop: ReturnType<VeventRecord['component']['getAllProperties']>[number]): TimeValue[];
}

interface OverrideEntry {
  record: VeventRecord;
  recurrenceId: TimeValue;
  thisAndFuture: boolean;
}

export class Overrides {
  readonly all: OverrideEntry[];
  readonly masterEndRule: EndRule;
  private readonly byInstant = new Map<number, OverrideEntry>();
  // DATE-valued matches: a DATE RECURRENCE-ID, or Outlook's local-midnight DATE-TIME RECURRENCE-ID on an all-day series.
  private readonly byDate = new Map<number, OverrideEntry>();
  private readonly exInstants = new Set<number>();
  private readonly exDates = new Set<number>();
  private readonly future: { recurrenceUtc: number; record: VeventRecord; shiftMs: number; endRule: EndRule }[] = [];
  private readonly masterStart: TimeValue | null;

  constructor(
    expansion: DateReader,
    group: EventGroup,
    master: VeventRecord | null,
  ) {
    this.masterStart = master ? expansion.readProperty(master.component, 'dtstart') : null;
    this.masterEndRule = master && this.masterStart
      ? expansion.endRule(master.component, this.masterStart)
      : { wallClock: true, deltaMs: 0 };

    for (const prop of master?.component.getAllProperties('exdate') ?? []) {
      for (const ex of expansion.timeValues(prop)) {
        if (ex.isDate) this.exDates.add(dayOf(ex.wallMs));
        else this.exInstants.add(instantOf(ex));
      }
    }

    // The same RECURRENCE-ID may be listed twice: the highest SEQUENCE (then the later copy) wins.
    const unique = new Map<string, OverrideEntry>();
    for (const record of group.overrides) {
      const prop = record.component.getFirstProperty('recurrence-id');
      const recurrenceId = expansion.readProperty(record.component, 'recurrence-id');
      if (!prop || !recurrenceId) continue;
      const key = recurrenceId.isDate ? `date:${dayOf(recurrenceId.wallMs)}` : `time:${instantOf(recurrenceId)}`;
      const previous = unique.get(key);
      if (previous && previous.record.sequence > record.sequence) continue;
      unique.set(key, {
        record,
        recurrenceId,
        thisAndFuture: String(prop.getParameter('range') ?? '').toUpperCase() === 'THISANDFUTURE',
      });
    }
    this.all = [...unique.values()];
    for (const entry of this.all) {
      const { record, recurrenceId } = entry;
      if (recurrenceId.isDate || this.masterStart?.isDate) this.byDate.set(dayOf(recurrenceId.wallMs), entry);
      if (!recurrenceId.isDate) this.byInstant.set(instantOf(recurrenceId), entry);
      if (entry.thisAndFuture) {
        const start = expansion.readProperty(record.component, 'dtstart') ?? recurrenceId;
        this.future.push({
          recurrenceUtc: instantOf(recurrenceId),
          record,
          shiftMs: start.wallMs - recurrenceId.wallMs,
          endRule: expansion.endRule(record.component, start),
        });
      }
    }
    this.future.sort((a, b) => a.recurrenceUtc - b.recurrenceUtc);
  }

  isExdate(slot: TimeValue): boolean {
    return this.exInstants.has(instantOf(slot)) || this.exDates.has(dayOf(slot.wallMs));
  }

  replaces(slot: TimeValue): boolean {
    return this.byInstant.has(instantOf(slot)) || this.byDate.has(dayOf(slot.wallMs));
  }

  thisAndFutureFor(slotUtc: number) {
    let found: (typeof this.future)[number] | undefined;
    for (const entry of this.future) {
      if (entry.recurrenceUtc > slotUtc) break;
      found = entry;
    }
    return found;
  }

  /** The series slot an override replaces: a DATE RECURRENCE-ID on a timed series keeps the series' time of day. */
  slotOf(entry: OverrideEntry): TimeValue {
    const master = this.masterStart;
    if (!master || !entry.recurrenceId.isDate || master.isDate) return entry.recurrenceId;
    const timeOfDay = master.wallMs - dayOf(master.wallMs) * DAY_MS;
    return { ...master, wallMs: dayOf(entry.recurrenceId.wallMs) * DAY_MS + timeOfDay };
  }

  originalStart(entry: OverrideEntry): string {
    return isoOf(this.slotOf(entry));
  }
}
