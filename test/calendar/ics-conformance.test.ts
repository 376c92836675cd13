// Conformance of the ICS engine against the vendored corpus (test/fixtures/ics-corpus,
// see its README.md for the case format and SOURCES.md for licenses).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import type { CalendarInstance } from '../../src/calendar/calendar-types.js';
import { expandCalendar } from '../../src/calendar/ics-expand.js';
import { parseCalendar } from '../../src/calendar/ics-parse.js';

const corpusDir = fileURLToPath(new URL('../fixtures/ics-corpus/', import.meta.url));

interface Expected {
  count?: number;
  countMin?: number;
  starts?: string[];
  ends?: string[];
  startDates?: string[];
  absentStartDates?: string[];
  summaries?: string[];
  uids?: string[];
  statuses?: (string | null)[];
  localHours?: number[];
  durations?: number[];
  startTimes?: string[];
  endTimes?: string[];
}

interface Case {
  id: string;
  file: string;
  window: { tz: string; startUtc: string; endUtc: string };
  expected: Expected;
  note: string;
}

interface ProviderReference {
  file: string;
  window: { startUtc: string; endUtc: string; tz: string };
  reference: { count?: number; error?: string; instances?: { start: string; summary: string }[] };
}

/**
 * Every case that does not pass, with the reason. Each runs as an expected failure, so a fix
 * shows up as a failing `test.fails` and the entry must then be removed.
 */
const EXPECTED_FAILURES: Record<string, string> = {
  // Empty: all 191 cases pass, including the two invalid inputs (`issue_201…`, `end-before-start`).
};

const cases = JSON.parse(readFileSync(`${corpusDir}cases.json`, 'utf8')) as Case[];
const calendarTexts = new Map<string, string>();
function calendarText(dir: string, file: string): string {
  const path = `${corpusDir}${dir}/${file}`;
  let text = calendarTexts.get(path);
  if (text === undefined) {
    text = readFileSync(path, 'utf8');
    calendarTexts.set(path, text);
  }
  return text;
}

/** Wall-clock fields of an instant in a zone. */
function local(date: Date, timeZone: string) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    })
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  );
  return { date: `${parts.year}-${parts.month}-${parts.day}`, hour: Number(parts.hour), time: `${parts.hour}:${parts.minute}` };
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * `starts`/`ends` hold `YYYY-MM-DD` for DATE values (compared with the all-day instances' dates in the
 * calendar's zone) and ISO date-times with offset (compared as instants with every instance).
 */
function expectPoints(actual: { date: Date; isAllDay: boolean }[], expected: string[], zone: string, what: string): void {
  const dates = expected.filter((v) => DATE_ONLY.test(v));
  const instants = expected.filter((v) => !DATE_ONLY.test(v)).map((v) => new Date(v).toISOString());
  expectContains(actual.filter((a) => a.isAllDay).map((a) => local(a.date, zone).date), dates, what);
  expectContains(actual.map((a) => a.date.toISOString()), instants, what);
}

/** Every expected value is present, counting repeats. */
function expectContains<T>(actual: T[], expected: T[], what: string): void {
  const remaining = [...actual];
  for (const value of expected) {
    const index = remaining.indexOf(value);
    expect(index, `${what}: ${JSON.stringify(value)} missing from ${JSON.stringify(actual)}`).toBeGreaterThanOrEqual(0);
    remaining.splice(index, 1);
  }
}

function checkCase(c: Case, instances: CalendarInstance[], zone: string): void {
  const e = c.expected;
  const localStarts = instances.map((i) => local(i.start, zone));
  const summaries = instances.map((i) => i.title);
  if (e.count !== undefined) expect(instances.length, `count; got ${JSON.stringify(summaries)}`).toBe(e.count);
  if (e.countMin !== undefined) expect(instances.length).toBeGreaterThanOrEqual(e.countMin);
  if (e.starts) expectPoints(instances.map((i) => ({ date: i.start, isAllDay: i.isAllDay })), e.starts, zone, 'starts');
  if (e.ends) expectPoints(instances.map((i) => ({ date: i.end, isAllDay: i.isAllDay })), e.ends, zone, 'ends');
  if (e.startDates) expectContains([...new Set(localStarts.map((s) => s.date))], [...new Set(e.startDates)], 'startDates');
  for (const date of e.absentStartDates ?? []) expect(localStarts.map((s) => s.date)).not.toContain(date);
  if (e.summaries) {
    if (e.count !== undefined) expect([...summaries].sort()).toEqual([...e.summaries].sort());
    else expectContains(summaries, e.summaries, 'summaries');
  }
  if (e.uids) expectContains(instances.map((i) => i.uid), e.uids, 'uids');
  if (e.statuses) expectContains(instances.map((i) => i.status), e.statuses, 'statuses');
  if (e.localHours) expectContains(localStarts.map((s) => s.hour), e.localHours, 'localHours');
  if (e.durations) expectContains(instances.map((i) => (i.end.getTime() - i.start.getTime()) / 1000), e.durations, 'durations');
  if (e.startTimes) expectContains(localStarts.map((s) => s.time), e.startTimes, 'startTimes');
  if (e.endTimes) expectContains(instances.map((i) => local(i.end, zone).time), e.endTimes, 'endTimes');
}

describe('ICS conformance corpus (cases.json)', () => {
  for (const c of cases) {
    const reason = EXPECTED_FAILURES[c.id];
    const run = reason ? test.fails : test;
    run(`${c.id}: ${c.note}${reason ? ` [expected failure: ${reason}]` : ''}`, () => {
      const calendar = parseCalendar(calendarText('calendars', c.file));
      const window = { start: new Date(c.window.startUtc), end: new Date(c.window.endUtc) };
      const instances = expandCalendar(calendar, window, { defaultTimeZone: c.window.tz });
      checkCase(c, instances, calendar.calendarTimeZone ?? c.window.tz);
    });
  }

  test('every listed expected failure is a real case', () => {
    const ids = new Set(cases.map((c) => c.id));
    expect(Object.keys(EXPECTED_FAILURES).filter((id) => !ids.has(id))).toEqual([]);
  });
});

const providerReferences = JSON.parse(
  readFileSync(`${corpusDir}providers/provider_reference.json`, 'utf8'),
) as ProviderReference[];

/** Feeds where the reference library is wrong or fails (providers/README.md): what we check instead. */
const PROVIDER_OVERRIDES: Record<string, (instances: CalendarInstance[]) => void> = {
  // No VTIMEZONE and display-name TZIDs: the reference reads them as floating; 13:30 Sydney is 02:30Z.
  'Office-2012-owa.ics': (instances) => {
    expect(instances).toHaveLength(90);
    const sydney = instances.find((i) => i.title === ' TEST Syd');
    expect(sydney?.start.toISOString()).toBe('2020-10-28T02:30:00.000Z');
  },
  // The reference refuses the file (`DTSTART;TZID="W. Europe Standard Time:20200609T090000"`); we repair that line.
  'ms_timezones.ics': (instances) => {
    const jira = instances.filter((i) => i.title === "Log Yesterday's Jira time");
    expect(jira[0]?.start.toISOString()).toBe('2020-06-09T07:00:00.000Z');
    expect(instances.length).toBeGreaterThan(300);
  },
  // The reference refuses `RDATE:20131210Z`; we read it as the DATE 2013-12-10.
  'google_birthday.ics': (instances) => {
    expect(instances.map((i) => i.start.toISOString().slice(0, 10))).toContain('2013-12-10');
  },
  // DATE with a TZID: the reference turns it into 00:00 Berlin, as we do, but we keep it all-day.
  'sabredav-school-holidays.ics': (instances) => {
    expect(instances).toHaveLength(1);
    expect(instances[0]?.start.toISOString()).toBe('2018-07-01T22:00:00.000Z');
    expect(instances[0]?.isAllDay).toBe(true);
  },
};

/** A reference start as a comparable key: DATE as is, a date-time as its instant (no offset: floating, read as UTC). */
function referenceKey(value: string): string {
  if (DATE_ONLY.test(value)) return value;
  return new Date(/(Z|[+-]\d{2}:\d{2})$/.test(value) ? value : `${value}Z`).toISOString();
}

describe('provider feeds (providers/provider_reference.json)', () => {
  for (const ref of providerReferences) {
    test(ref.file, () => {
      const calendar = parseCalendar(calendarText('providers', ref.file));
      const window = { start: new Date(ref.window.startUtc), end: new Date(ref.window.endUtc) };
      const instances = expandCalendar(calendar, window, { defaultTimeZone: ref.window.tz });
      const override = PROVIDER_OVERRIDES[ref.file];
      if (override) return override(instances);
      const zone = calendar.calendarTimeZone ?? ref.window.tz;
      const expected = (ref.reference.instances ?? []).map((i) => referenceKey(i.start));
      const actual = instances.map((i) => (i.isAllDay ? local(i.start, zone).date : i.start.toISOString()));
      expect(actual.sort()).toEqual(expected.sort());
    });
  }
});
