// Expansion of parsed VEVENTs into the instances that overlap a time window.
//
// Recurrence arithmetic runs on wall times (see time-zones.ts) with ical.js 2's
// RecurIterator on floating ICAL.Time values; each occurrence is converted to an
// instant only at the end. Simple DAILY/WEEKLY (and finer) rules without COUNT start
// iterating a whole number of periods before the window instead of at DTSTART, so a
// series that began years ago costs the same as a new one and is never cut off; there, plain
// DAILY/WEEKLY rules are computed by day arithmetic instead of ical.js's iterator (simpleOccurrences).
// DTSTART, EXDATE and RECURRENCE-ID values are read from ical.js's jCal strings without building
// ICAL.Time objects when they have the plain shape (plainTimeOf).
import ICAL from 'ical.js';
import { IcsCalendar, IcsParseError, type EventGroup, type ParsedCalendar, type VeventRecord } from './ics-parse.js';
import { intlZone, resolveTzid, UTC_ZONE, type Zone } from './time-zones.js';

export { IcsParseError, parseCalendar, type ParsedCalendar } from './ics-parse.js';

export interface Attendee {
  email: string | null;
  name: string | null;
  partstat: string | null;
  role: string | null;
  isOrganizer: boolean;
}

export interface CalendarInstance {
  uid: string;
  /** '' for a non-recurring event, else the instance's original start as a UTC ISO string. */
  recurrenceId: string;
  title: string;
  description: string | null;
  location: string | null;
  start: Date;
  end: Date;
  isAllDay: boolean;
  status: string | null;
  attendees: Attendee[];
  organizer: Attendee | null;
  sequence: number;
  lastModified: Date | null;
  recurrenceRule: string | null;
  rawVevent: string;
}

export interface ExpandWindow {
  start: Date;
  end: Date;
}

const DAY_MS = 86_400_000;
/** Wall time and instant differ by at most ±26 h; occurrences are pre-filtered on wall times with this margin. */
const WALL_SLACK_MS = 30 * 3_600_000;
/** Guards against rules that never reach the window (e.g. SECONDLY with a huge COUNT); far above any real series. */
const MAX_ITERATIONS_PER_RULE = 200_000;
/**
 * Wall-clock budget for expanding one calendar. A real 5,000-event feed takes
 * ~250 ms; hostile rules could otherwise hold the event loop for seconds each.
 */
const EXPANSION_BUDGET_MS = 2_000;
/**
 * Instances are looked for at most this long before the window, however long
 * the event lasts: a recurring event longer than a year is a broken export
 * (a DTSTART typo in the year), and honouring it would scan the whole series.
 */
const MAX_LOOKBACK_MS = 366 * 86_400_000;

class ExpansionBudgetExceeded extends IcsParseError {
  constructor() {
    super('TOO_COMPLEX', 'The calendar\'s recurrence rules are too complex to expand');
  }
}
const JUMPABLE_PERIOD_MS: Record<string, number> = {
  SECONDLY: 1_000,
  MINUTELY: 60_000,
  HOURLY: 3_600_000,
  DAILY: DAY_MS,
  WEEKLY: 7 * DAY_MS,
};

/** A DTSTART-like value: its wall time and the zone that turns it into an instant. */
interface TimeValue {
  wallMs: number;
  isDate: boolean;
  zone: Zone;
}

/** How an instance's end follows from its start: wall-clock (same zone, DURATION) or exact. */
interface EndRule {
  wallClock: boolean;
  deltaMs: number;
}

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
  private readonly detailCache = new Map<ICAL.Component, Omit<CalendarInstance, 'uid' | 'recurrenceId' | 'start' | 'end' | 'isAllDay' | 'recurrenceRule' | 'rawVevent'>>();
  readonly calendarZone: Zone;
  private readonly windowStart: number;
  private readonly windowEnd: number;
  private readonly deadline = performance.now() + EXPANSION_BUDGET_MS;
  readonly checkBudget = () => {
    if (performance.now() > this.deadline) throw new ExpansionBudgetExceeded();
  };

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
      for (const wallMs of occurrences(recur, start, fromWall, toWall, this.checkBudget)) addSlot({ wallMs });
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
    const rrule = (master ?? record).component.getFirstProperty('rrule');
    out.push({
      uid,
      recurrenceId,
      ...this.details(record.component),
      start: new Date(startUtc),
      end: new Date(endUtc),
      isAllDay: start.isDate,
      recurrenceRule: rrule ? rrule.toICALString().replace(/^RRULE:/i, '') : null,
      rawVevent: record.raw,
    });
  }

  private details(component: ICAL.Component) {
    let details = this.detailCache.get(component);
    if (!details) {
      const status = textOf(component, 'status');
      const lastModified = component.getFirstPropertyValue('last-modified');
      details = {
        title: textOf(component, 'summary') ?? '',
        description: textOf(component, 'description'),
        location: textOf(component, 'location'),
        status: status ? status.toUpperCase() : null,
        attendees: component.getAllProperties('attendee').flatMap((prop) => attendeesOf(prop, false)),
        organizer: organizerOf(component),
        sequence: Number(component.getFirstPropertyValue('sequence')) || 0,
        lastModified: lastModified instanceof ICAL.Time ? new Date(lastModified.toUnixTime() * 1000) : null,
      };
      this.detailCache.set(component, details);
    }
    return { ...details, attendees: details.attendees.map((a) => ({ ...a })), organizer: details.organizer && { ...details.organizer } };
  }
}

interface OverrideEntry {
  record: VeventRecord;
  recurrenceId: TimeValue;
  thisAndFuture: boolean;
}

/** The RECURRENCE-ID overrides and EXDATEs of one UID, matched against series slots. */
class Overrides {
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
    expansion: Expansion,
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

/** Wall times of one RRULE's occurrences within [fromWall, toWall]. */
function* occurrences(
  source: ICAL.Recur,
  start: TimeValue,
  fromWall: number,
  toWall: number,
  checkBudget: () => void,
): Generator<number> {
  const recur = source.clone();
  // ical.js compares UNTIL with our floating occurrences as wall times: express it in the series' zone.
  if (recur.until) recur.until = floatingTime(untilWall(recur, start), false);
  if (recur.count !== null && recur.count <= 0) recur.count = null; // COUNT=-1 (Confluence): ignored, as the reference does

  let iterationStart = start.wallMs;
  const period = JUMPABLE_PERIOD_MS[recur.freq];
  if (period && !recur.count) {
    // Skip whole periods before the window; the phase of the rule (weekday, INTERVAL) is unchanged.
    const step = period * (recur.interval || 1);
    const periods = Math.floor((fromWall - start.wallMs) / step) - 1;
    if (periods > 0) {
      const simple = simpleOccurrences(recur, start, fromWall, toWall);
      if (simple) {
        yield* simple;
        return;
      }
      iterationStart += periods * step;
    }
  }

  const iterator = recur.iterator(floatingTime(iterationStart, start.isDate));
  for (let i = 0; i < MAX_ITERATIONS_PER_RULE; i++) {
    if (i % 1024 === 1023) checkBudget();
    const next = iterator.next();
    if (!next) return;
    const wallMs = wallMsOf(next);
    if (wallMs > toWall) return;
    if (wallMs >= fromWall) yield wallMs;
  }
}

const WEEKDAYS: Record<string, number> = { SU: 0, MO: 1, TU: 2, WE: 3, TH: 4, FR: 5, SA: 6 };

/** 0 = Sunday, for a day number counted from 1970-01-01 (a Thursday). */
function weekdayOf(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

/**
 * Occurrences in [fromWall, toWall] of a DAILY or WEEKLY rule whose only part is a BYDAY of plain
 * weekdays, by day arithmetic: ical.js's iterator allocates several Time objects per step, which made it
 * the main cost of expanding a feed of long-running series. Null for any other rule. The caller uses it
 * only for a window at least one period after the start, where ical.js also yields the plain pattern:
 * every INTERVAL-th day, or the BYDAY days (else DTSTART's weekday) of every INTERVAL-th week from the
 * WKST-aligned week of DTSTART, at DTSTART's time of day, up to UNTIL.
 */
function simpleOccurrences(recur: ICAL.Recur, start: TimeValue, fromWall: number, toWall: number): number[] | null {
  if (recur.count || (recur.freq !== 'DAILY' && recur.freq !== 'WEEKLY')) return null;
  const parts = recur.parts as Record<string, unknown[] | undefined>;
  if (Object.keys(parts).some((key) => key !== 'BYDAY' && parts[key]?.length)) return null;
  const byDay = parts.BYDAY?.length ? parts.BYDAY.map((day) => WEEKDAYS[String(day)]) : null;
  if (byDay?.some((day) => day === undefined)) return null; // ordinals such as 1MO
  const weekdays = byDay as number[] | null;

  const startDay = dayOf(start.wallMs);
  const timeOfDay = start.wallMs - startDay * DAY_MS;
  const weekly = recur.freq === 'WEEKLY';
  const stepDays = (weekly ? 7 : 1) * (recur.interval || 1);
  // A period is a day, or a week starting on WKST (ical.js numbers weekdays from 1 = Sunday).
  const firstPeriod = weekly ? startDay - ((weekdayOf(startDay) - (recur.wkst - 1) + 7) % 7) : startDay;
  const offsets = !weekly
    ? [0]
    : (weekdays ?? [weekdayOf(startDay)]).map((day) => (day - (recur.wkst - 1) + 7) % 7).sort((a, b) => a - b);
  const lastWall = Math.min(toWall, untilWall(recur, start));

  const out: number[] = [];
  let period = firstPeriod + Math.max(0, Math.floor((dayOf(fromWall) - firstPeriod) / stepDays) - 1) * stepDays;
  for (; period * DAY_MS + timeOfDay <= lastWall; period += stepDays) {
    for (const offset of offsets) {
      const day = period + offset;
      if (!weekly && weekdays && !weekdays.includes(weekdayOf(day))) continue;
      const wallMs = day * DAY_MS + timeOfDay;
      if (wallMs > lastWall) break;
      if (wallMs >= fromWall && wallMs >= start.wallMs) out.push(wallMs);
    }
  }
  return out;
}

/** The wall time of a rule's UNTIL in the series' zone (+∞ without UNTIL); a DATE UNTIL includes its whole day. */
function untilWall(recur: ICAL.Recur, start: TimeValue): number {
  const until = recur.until;
  if (!until) return Number.POSITIVE_INFINITY;
  if (until.isDate) return wallMsOf(until) + DAY_MS - 1000;
  return until.zone === ICAL.Timezone.utcTimezone ? start.zone.utcToWall(until.toUnixTime() * 1000) : wallMsOf(until);
}

const MAX_MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Sub-hourly rules narrowed by a larger unit (e.g. SECONDLY with BYMONTH)
 * make one step of ical.js's iterator scan up to millions of seconds: a feed
 * of them would hold the event loop for minutes. No calendar application
 * writes them, so they are treated as no rule at all.
 */
const COARSE_PARTS = ['BYMONTH', 'BYMONTHDAY', 'BYYEARDAY', 'BYWEEKNO', 'BYDAY', 'BYHOUR', 'BYSETPOS'];

/**
 * Whether ical.js can iterate the rule in reasonable time: it loops forever on
 * day-level rules no date can satisfy (BYMONTH=2;BYMONTHDAY=30), and crawls on
 * the sub-hourly ones above; those are refused.
 */
function isSatisfiable(recur: ICAL.Recur): boolean {
  const parts = recur.parts as Record<string, number[] | undefined>;
  if ((recur.freq === 'SECONDLY' || recur.freq === 'MINUTELY') && COARSE_PARTS.some((part) => parts[part]?.length)) {
    return false;
  }
  const months = parts.BYMONTH;
  const monthDays = parts.BYMONTHDAY;
  if (!months?.length || !monthDays?.length) return true;
  return months.some((m) => monthDays.some((d) => Math.abs(d) <= (MAX_MONTH_DAYS[m - 1] ?? 0)));
}

function tzidOf(prop: ICAL.Property): string | null {
  const tzid = prop.getParameter('tzid');
  return typeof tzid === 'string' && tzid ? tzid : null;
}

function textOf(component: ICAL.Component, name: string): string | null {
  const value = component.getFirstPropertyValue(name);
  return typeof value === 'string' ? value : null;
}

function paramOf(prop: ICAL.Property, name: string): string | null {
  const value = prop.getParameter(name);
  const text = Array.isArray(value) ? value.join(',') : value;
  return typeof text === 'string' && text ? text.replace(/^"|"$/g, '') : null;
}

function attendeesOf(prop: ICAL.Property, isOrganizer: boolean): Attendee[] {
  const addresses = prop.getValues().flatMap((value) => String(value).split(',')).map((a) => a.trim()).filter(Boolean);
  const partstat = paramOf(prop, 'partstat');
  const role = paramOf(prop, 'role');
  // CN names one person; when one value lists several addresses it cannot be attributed.
  const name = addresses.length === 1 ? paramOf(prop, 'cn') : null;
  return addresses.map((address) => {
    const email = address.replace(/^mailto:/i, '').trim();
    return {
      email: email.includes('@') ? email : null,
      name,
      partstat: partstat?.toUpperCase() ?? null,
      role: role?.toUpperCase() ?? null,
      isOrganizer,
    };
  });
}

function organizerOf(component: ICAL.Component): Attendee | null {
  const prop = component.getFirstProperty('organizer');
  return prop ? (attendeesOf(prop, true)[0] ?? null) : null;
}

/** The wall time of an ICAL.Time as ms (its fields read as UTC); years < 100 are kept as such. */
function wallMsOf(time: ICAL.Time): number {
  return time.isDate ? wallMs(time.year, time.month, time.day, 0, 0, 0) : wallMs(time.year, time.month, time.day, time.hour, time.minute, time.second);
}

function wallMs(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  if (year >= 100) return Date.UTC(year, month - 1, day, hour, minute, second);
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second);
  return date.getTime();
}

/** The number written by `length` ASCII digits of `text` at `at`; NaN when one is not a digit. */
function digits(text: string, at: number, length: number): number {
  let value = 0;
  for (let i = at; i < at + length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (!(digit >= 0 && digit <= 9)) return Number.NaN;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * A jCal DATE (`2025-03-10`) or DATE-TIME (`2025-03-10T08:00:00[Z]`) string as ical.js would read it
 * (a trailing Z means UTC whatever the TZID); null for any other shape or an out-of-range field,
 * which ical.js would normalize: those take the ical.js path. Read by hand: it runs for every date of the feed.
 */
function plainTimeOf(value: unknown): { wallMs: number; isDate: boolean; isUtc: boolean } | null {
  if (typeof value !== 'string') return null;
  const isDate = value.length === 10;
  const isUtc = value.length === 20 && value[19] === 'Z';
  if (!isDate && value.length !== 19 && !isUtc) return null;
  if (value[4] !== '-' || value[7] !== '-') return null;
  if (!isDate && (value[10] !== 'T' || value[13] !== ':' || value[16] !== ':')) return null;
  const year = digits(value, 0, 4);
  const month = digits(value, 5, 2);
  const day = digits(value, 8, 2);
  const hour = isDate ? 0 : digits(value, 11, 2);
  const minute = isDate ? 0 : digits(value, 14, 2);
  const second = isDate ? 0 : digits(value, 17, 2);
  // NaN fails every comparison below, so a non-digit also returns null.
  if (!(month >= 1 && month <= 12 && day >= 1 && hour <= 23 && minute <= 59 && second <= 59 && year >= 0)) return null;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 && !leap ? 28 : (MAX_MONTH_DAYS[month - 1] ?? 0))) return null; // e.g. 30 February
  return { wallMs: wallMs(year, month, day, hour, minute, second), isDate, isUtc };
}

function floatingTime(wallMs: number, isDate: boolean): ICAL.Time {
  const date = new Date(wallMs);
  return ICAL.Time.fromData({
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    hour: date.getUTCHours(),
    minute: date.getUTCMinutes(),
    second: date.getUTCSeconds(),
    isDate,
  });
}

function dayOf(wallMs: number): number {
  return Math.floor(wallMs / DAY_MS);
}

function instantOf(value: TimeValue): number {
  return value.zone.wallToUtc(value.wallMs);
}

function isoOf(value: TimeValue): string {
  return new Date(instantOf(value)).toISOString();
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
    try {
      expansion.expandGroup(group, out);
    } catch (error) {
      // A malformed event (e.g. an RRULE ical.js rejects) must not hide the rest of the feed.
      if (error instanceof ExpansionBudgetExceeded) throw error;
    }
  }
  return out.sort((a, b) => a.start.getTime() - b.start.getTime() || a.uid.localeCompare(b.uid));
}
