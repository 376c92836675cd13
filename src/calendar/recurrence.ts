// One RRULE's occurrences near a window, on wall times (wall-time.ts) with
// ical.js 2's RecurIterator. Simple DAILY/WEEKLY (and finer) rules without COUNT
// start iterating a whole number of periods before the window instead of at
// DTSTART, so a series that began years ago costs the same as a new one; plain
// DAILY/WEEKLY rules are computed by day arithmetic instead (simpleOccurrences).
import ICAL from 'ical.js';
import type { ExpansionBudget } from './expansion-budget.js';
import { DAY_MS, dayOf, floatingTime, MAX_MONTH_DAYS, wallMsOf, type TimeValue } from './wall-time.js';

/** Guards against rules that never reach the window (e.g. SECONDLY with a huge COUNT); far above any real series. */
const MAX_ITERATIONS_PER_RULE = 200_000;
const JUMPABLE_PERIOD_MS: Record<string, number> = {
  SECONDLY: 1_000,
  MINUTELY: 60_000,
  HOURLY: 3_600_000,
  DAILY: DAY_MS,
  WEEKLY: 7 * DAY_MS,
};

/** Wall times of one RRULE's occurrences within [fromWall, toWall]. */
export function* occurrences(
  source: ICAL.Recur,
  start: TimeValue,
  fromWall: number,
  toWall: number,
  budget: ExpansionBudget,
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
        budget.spend(simple.length);
        yield* simple;
        return;
      }
      iterationStart += periods * step;
    }
  }

  const iterator = recur.iterator(floatingTime(iterationStart, start.isDate));
  for (let i = 0; i < MAX_ITERATIONS_PER_RULE; i++) {
    budget.spend();
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
export function untilWall(recur: ICAL.Recur, start: TimeValue): number {
  const until = recur.until;
  if (!until) return Number.POSITIVE_INFINITY;
  if (until.isDate) return wallMsOf(until) + DAY_MS - 1000;
  return until.zone === ICAL.Timezone.utcTimezone ? start.zone.utcToWall(until.toUnixTime() * 1000) : wallMsOf(until);
}
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
export function isSatisfiable(recur: ICAL.Recur): boolean {
  const parts = recur.parts as Record<string, number[] | undefined>;
  if ((recur.freq === 'SECONDLY' || recur.freq === 'MINUTELY') && COARSE_PARTS.some((part) => parts[part]?.length)) {
    return false;
  }
  const months = parts.BYMONTH;
  const monthDays = parts.BYMONTHDAY;
  if (!months?.length || !monthDays?.length) return true;
  return months.some((m) => monthDays.some((d) => Math.abs(d) <= (MAX_MONTH_DAYS[m - 1] ?? 0)));
}
