// Expansion of parsed VEVENTs (ics-parse.ts) into the instances that overlap a
// time window: series from DTSTART, RRULE (recurrence.ts) and RDATE, minus
// EXDATEs, with RECURRENCE-ID overrides applied (overrides.ts), each occurrence
// turned from a wall time (wall-time.ts) into an instant only at the end.
// Every step is counted against the calendar's budget (expansion-budget.ts).
import ICAL from 'ical.js';
import type { CalendarInstance, ExpandWindow, ParsedCalendar } from './calendar-types.js';
import { eventDetails, type EventDetails } from './event-details.js';
import { ExpansionBudget, ExpansionBudgetExceeded } from './expansion-budget.js';
import { IcsCalendar, type EventGroup, type VeventRecord } from './ics-parse.js';
import { Overrides } from './overrides.js';
import { isSatisfiable, occurrences, untilWall } from './recurrence.js';
import { intlZone, resolveTzid, UTC_ZONE } from './time-zones.js';
import { DAY_MS, instantOf, isoOf, plainTimeOf, wallMsOf, type EndRule, type TimeValue, type Zone } from './wall-time.js';

/** Wall time and instant differ by at most ±26 h; occurrences are pre-filtered on wall times with this margin. */
const WALL_SLACK_MS = 30 * 3_600_000;
/**
 * Instances are looked for at most this long before the window, however long
 * the event lasts: a recurring event longer than a year is a broken export
 * (a DTSTART typo in the year), and honouring it would scan the whole series.
 */
const MAX_LOOKBACK_MS = 366 * 86_400_000;

interface Series {
  start: TimeValue;
  endRule: EndRule;
  rrules: ICAL.Recur[];
  rdates: ICAL.Property[];
  recurring: boolean;
  startIsInstance: boolean;
}

interface Slot {
  wallMs: number;
  /** End instant given by an RDATE PERIOD. */
  endUtc?: number;
}

class Expansion {
  private readonly zones = new Map<string, Zone | null>();
  private readonly detailCache = new Map<ICAL.Component, EventDetails>();
  readonly calendarZone: Zone;
  private readonly windowStart: number;
  private readonly windowEnd: number;
  readonly budget = new ExpansionBudget();

  constructor(
    private readonly calendar: IcsCalendar,
    window: ExpandWindow,
    defaultTimeZone: string | undefined,
  ) {
    this.windowStart = window.start.getTime();
    this.windowEnd = window.end.getTime();
    const wr = calendar.calendarTimeZone ? this.zone(calendar.calendarTimeZone) : null;
    this.calendarZone = wr ?? (defaultTimeZone ? intlZone(defaultTimeZone) : null) ?? UTC_ZONE;
  }

  private zone(tzid: string): Zone | null {
    let zone = this.zones.get(tzid);
    if (zone === undefined) {
      zone = resolveTzid(tzid, this.calendar.feedZones);
      this.zones.set(tzid, zone);
    }
    return zone;
  }

  /** Half-open overlap; zero-length events count at their start; an instant window t matches start <= t < end. */
  overlaps(start: number, end: number): boolean {
    const ws = this.windowStart;
    const we = this.windowEnd;
    if (ws === we) return start <= ws && (end > ws || start === ws);
    if (start === end) return ws <= start && start < we;
    return start < we && end > ws;
  }

  timeValue(time: ICAL.Time, tzid: string | null): TimeValue {
    const isUtc = !time.isDate && time.zone === ICAL.Timezone.utcTimezone;
    return { wallMs: wallMsOf(time), isDate: time.isDate, zone: this.zoneFor(isUtc, tzid) };
  }

  private zoneFor(isUtc: boolean, tzid: string | null): Zone {
    return isUtc ? UTC_ZONE : ((tzid ? this.zone(tzid) : null) ?? this.calendarZone);
  }

  /**
   * The DATE / DATE-TIME values of a property. Plain values are read straight from the jCal strings:
   * creating ical.js Time objects for every DTSTART, EXDATE and RECURRENCE-ID was most of the cost of
   * a large feed. Anything else goes through ical.js as before.
   */
  timeValues(prop: ICAL.Property): TimeValue[] {
    const tzid = tzidOf(prop);
    if (prop.type === 'date' || prop.type === 'date-time') {
      const values: TimeValue[] = [];
      for (let i = 3; i < prop.jCal.length; i++) {
        const plain = plainTimeOf(prop.jCal[i]);
        if (!plain) break;
        values.push({ wallMs: plain.wallMs, isDate: plain.isDate, zone: this.zoneFor(plain.isUtc, tzid) });
      }
      if (values.length === prop.jCal.length - 3) return values;
    }
    return prop.getValues().flatMap((value) => (value instanceof ICAL.Time ? [this.timeValue(value, tzid)] : []));
  }

  readProperty(component: ICAL.Component, name: string): TimeValue | null {
    const prop = component.getFirstProperty(name);
    if (!prop) return null;
    if (prop.type === 'date' || prop.type === 'date-time') {
      const plain = plainTimeOf(prop.jCal[3]);
      if (plain) return { wallMs: plain.wallMs, isDate: plain.isDate, zone: this.zoneFor(plain.isUtc, tzidOf(prop)) };
    }
    const value = prop.getFirstValue();
    return value instanceof ICAL.Time ? this.timeValue(value, tzidOf(prop)) : null;
  }

  endRule(component: ICAL.Component, start: TimeValue): EndRule {
    const end = this.readProperty(component, 'dtend');
    if (end) {
      if (end.zone === start.zone && end.isDate === start.isDate) return { wallClock: true, deltaMs: end.wallMs - start.wallMs };
      return { wallClock: false, deltaMs: instantOf(end) - instantOf(start) };
    }
    const duration = component.getFirstPropertyValue('duration');
    if (duration instanceof ICAL.Duration) return { wallClock: true, deltaMs: duration.toSeconds() * 1000 };
    return { wallClock: true, deltaMs: start.isDate ? DAY_MS : 0 };
  }

  expandGroup(group: EventGroup, out: CalendarInstance[]): void {
    const master = group.master;
    const lone = master && group.overrides.length === 0 && !['rrule', 'rdate', 'exdate'].some((name) => master.component.hasProperty(name));
    if (master && lone) {
      // Most VEVENTs of a feed are lone single events: they need none of the override bookkeeping.
      const start = this.readProperty(master.component, 'dtstart');
      const series = start ? this.series(master, this.endRule(master.component, start)) : null;
      if (series) this.emit(out, group.uid, master, series.start, series.endRule, undefined, '', null);
      return;
    }
    const overrides = new Overrides(this, group, master);
    const series = master ? this.series(master, overrides.masterEndRule) : null;
    if (master && series) this.expandMaster(group.uid, master, series, overrides, out);
    for (const override of overrides.all) {
      if (overrides.isExdate(overrides.slotOf(override))) continue; // a re-issued master deleted that modification
      // An override older than a re-issued master counts only if its slot still belongs to the series.
      if (master && series && override.record.sequence < master.sequence) {
        const slot = overrides.slotOf(override);
        const wallMs = slot.zone === series.start.zone ? slot.wallMs : series.start.zone.utcToWall(instantOf(slot));
        if (!this.slots(series, wallMs, wallMs).has(wallMs)) continue;
      }
      const start = this.readProperty(override.record.component, 'dtstart') ?? override.recurrenceId;
      const rule = override.record.component.hasProperty('dtend') || override.record.component.hasProperty('duration') || !master
        ? this.endRule(override.record.component, start)
        : overrides.masterEndRule;
      this.emit(out, group.uid, override.record, start, rule, undefined, overrides.originalStart(override), master);
    }
  }

  /** The recurrence definition of a master; null without a usable DTSTART. */
  private series(master: VeventRecord, masterEndRule: EndRule): Series | null {
    const component = master.component;
    let start = this.readProperty(component, 'dtstart');
    if (!start) return null;
    let endRule = masterEndRule;
    if (endRule.deltaMs < 0) {
      // Broken exports put DTEND before DTSTART; read them swapped, as the reference does.
      start = { ...start, wallMs: start.wallMs + endRule.deltaMs };
      endRule = { ...endRule, deltaMs: -endRule.deltaMs };
    }
    // An empty `RRULE:` line (seen in calendarlabs.com feeds) is no rule at all.
    const rrules = component
      .getAllProperties('rrule')
      .map((prop) => prop.getFirstValue())
      .filter((recur): recur is ICAL.Recur => recur instanceof ICAL.Recur && Boolean(recur.freq) && isSatisfiable(recur));
    const rdates = component.getAllProperties('rdate');
    return {
      start,
      endRule,
      rrules,
      rdates,
      recurring: rrules.length > 0 || rdates.length > 0,
      // DTSTART is the first instance (RFC 5545 §3.8.5.3) unless every rule ends before it (Confluence writes such rules).
      startIsInstance: rdates.length > 0 || rrules.length === 0 || rrules.some((recur) => untilWall(recur, start) >= start.wallMs),
    };
  }

  /** The series' slots with wall times in [fromWall, toWall] (PERIOD RDATEs: any that may still be running). */
  private slots(series: Series, fromWall: number, toWall: number): Map<number, Slot> {
    const { start } = series;
    const slots = new Map<number, Slot>();
    const addSlot = (slot: Slot) => {
      if (!slots.has(slot.wallMs)) slots.set(slot.wallMs, slot);
    };
    if (series.startIsInstance && start.wallMs >= fromWall && start.wallMs <= toWall) addSlot({ wallMs: start.wallMs });
    for (const recur of series.rrules) {
      for (const wallMs of occurrences(recur, start, fromWall, toWall, this.budget)) addSlot({ wallMs });
    }
    for (const prop of series.rdates) {
      for (const value of prop.getValues()) {
        const slot = this.rdateSlot(value, tzidOf(prop), start);
        if (slot && slot.wallMs <= toWall && (slot.endUtc !== undefined || slot.wallMs >= fromWall)) addSlot(slot);
      }
    }
    return slots;
  }

  private expandMaster(uid: string, master: VeventRecord, series: Series, overrides: Overrides, out: CalendarInstance[]): void {
    const { start, endRule } = series;
    if (!series.recurring) {
      if (!overrides.replaces(start)) this.emit(out, uid, master, start, endRule, undefined, '', null);
      return;
    }
    const fromWall = this.windowStart - Math.min(Math.max(endRule.deltaMs, 0), MAX_LOOKBACK_MS) - WALL_SLACK_MS;
    const slots = this.slots(series, fromWall, this.windowEnd + WALL_SLACK_MS);
    for (const slot of slots.values()) {
      const slotStart: TimeValue = { ...start, wallMs: slot.wallMs };
      if (overrides.isExdate(slotStart) || overrides.replaces(slotStart)) continue;
      const originalStart = isoOf(slotStart);
      const future = overrides.thisAndFutureFor(instantOf(slotStart));
      if (future) {
        // RANGE=THISANDFUTURE: later instances take the override's content and its shift in time.
        const shifted = { ...slotStart, wallMs: slotStart.wallMs + future.shiftMs };
        this.emit(out, uid, future.record, shifted, future.endRule, undefined, originalStart, master);
      } else {
        this.emit(out, uid, master, slotStart, endRule, slot.endUtc, originalStart, master);
      }
    }
  }

  /** An RDATE value as a slot in the series' zone (RDATEs may carry their own TZID or be PERIODs). */
  private rdateSlot(value: unknown, tzid: string | null, seriesStart: TimeValue): Slot | null {
    const period = value instanceof ICAL.Period ? value : null;
    const time = period ? period.start : value;
    if (!(time instanceof ICAL.Time)) return null;
    const own = this.timeValue(time, tzid);
    const wallMs = own.zone === seriesStart.zone ? own.wallMs : seriesStart.zone.utcToWall(instantOf(own));
    if (!period) return { wallMs };
    const startUtc = instantOf(own);
    const endUtc = period.end
      ? instantOf(this.timeValue(period.end, tzid))
      : startUtc + (period.duration?.toSeconds() ?? 0) * 1000;
    return { wallMs, endUtc };
  }

  private emit(
    out: CalendarInstance[],
    uid: string,
    record: VeventRecord,
    start: TimeValue,
    endRule: EndRule,
    endUtcOverride: number | undefined,
    recurrenceId: string,
    master: VeventRecord | null,
  ): void {
    // Cheap wall-time rejection first: most events of a feed are far from the window.
    const wallEnd = start.wallMs + Math.max(endRule.deltaMs, 0);
    if (endUtcOverride === undefined && (start.wallMs > this.windowEnd + WALL_SLACK_MS || wallEnd < this.windowStart - WALL_SLACK_MS)) return;
    const startUtc = instantOf(start);
    const endUtc = endUtcOverride
      ?? (endRule.wallClock ? start.zone.wallToUtc(start.wallMs + endRule.deltaMs) : startUtc + endRule.deltaMs);
    if (!this.overlaps(startUtc, endUtc)) return;
    this.budget.spend();
    const rrule = (master ?? record).component.getFirstProperty('rrule');
    out.push({
      uid,
      recurrenceId,
      ...this.details(record.component),
      start: new Date(startUtc),
      end: new Date(endUtc),
      isAllDay: start.isDate,
      timeZone: start.zone.id,
      recurrenceRule: rrule ? rrule.toICALString().replace(/^RRULE:/i, '') : null,
      rawVevent: record.raw,
    });
  }

  private details(component: ICAL.Component): EventDetails {
    let details = this.detailCache.get(component);
    if (!details) {
      details = eventDetails(component);
      this.detailCache.set(component, details);
    }
    return { ...details, attendees: details.attendees.map((a) => ({ ...a })), organizer: details.organizer && { ...details.organizer } };
  }
}

function tzidOf(prop: ICAL.Property): string | null {
  const tzid = prop.getParameter('tzid');
  return typeof tzid === 'string' && tzid ? tzid : null;
}

export function expandCalendar(
  cal: ParsedCalendar,
  window: ExpandWindow,
  options: { defaultTimeZone?: string } = {},
): CalendarInstance[] {
  if (!(cal instanceof IcsCalendar)) throw new TypeError('expandCalendar expects the result of parseCalendar');
  const expansion = new Expansion(cal, window, options.defaultTimeZone);
  const out: CalendarInstance[] = [];
  for (const group of cal.groups) {
    expansion.budget.spend();
    try {
      expansion.expandGroup(group, out);
    } catch (error) {
      // A malformed event (e.g. an RRULE ical.js rejects) must not hide the rest of the feed.
      if (error instanceof ExpansionBudgetExceeded) throw error;
    }
  }
  return out.sort((a, b) => a.start.getTime() - b.start.getTime() || a.uid.localeCompare(b.uid));
}
