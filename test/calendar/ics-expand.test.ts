// Product behaviour of the ICS engine (the corpus conformance is in ics-conformance.test.ts).
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { expandCalendar } from '../../src/calendar/ics-expand.js';
import { IcsParseError, parseCalendar } from '../../src/calendar/ics-parse.js';

const HOUR = 3_600_000;

function ics(...lines: string[]): string {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//roomcal//test//EN', ...lines, 'END:VCALENDAR', ''].join('\r\n');
}

function expand(text: string, start: string, end: string, defaultTimeZone?: string) {
  return expandCalendar(parseCalendar(text), { start: new Date(start), end: new Date(end) }, { defaultTimeZone });
}

/** The product's sync window around an instant: [now − 1 h, now + 24 h]. */
function syncWindow(now: Date) {
  return { start: new Date(now.getTime() - HOUR), end: new Date(now.getTime() + 24 * HOUR) };
}

function parseErrorCode(text: string): string | null {
  try {
    parseCalendar(text);
    return null;
  } catch (error) {
    return error instanceof IcsParseError ? error.code : 'OTHER';
  }
}

describe('recurrence', () => {
  test('a daily series that began 10 years ago yields today’s instance', () => {
    const now = new Date();
    const tenYearsAgo = new Date(now.getTime() - 3653 * 24 * HOUR);
    const y = tenYearsAgo.getUTCFullYear();
    const m = String(tenYearsAgo.getUTCMonth() + 1).padStart(2, '0');
    const d = String(tenYearsAgo.getUTCDate()).padStart(2, '0');
    const text = ics(
      'BEGIN:VEVENT',
      'UID:standup@example.com',
      `DTSTART;TZID=Europe/Berlin:${y}${m}${d}T090000`,
      `DTEND;TZID=Europe/Berlin:${y}${m}${d}T091500`,
      'RRULE:FREQ=DAILY',
      'SUMMARY:Stand-up',
      'END:VEVENT',
    );
    const instances = expandCalendar(parseCalendar(text), syncWindow(now));
    expect(instances.length).toBeGreaterThanOrEqual(1);
    expect(instances.length).toBeLessThanOrEqual(2);
    for (const instance of instances) {
      const berlinTime = instance.start.toLocaleTimeString('en-GB', { timeZone: 'Europe/Berlin' });
      expect(berlinTime).toBe('09:00:00');
      expect(instance.end.getTime() - instance.start.getTime()).toBe(15 * 60_000);
      expect(instance.recurrenceId).toBe(instance.start.toISOString());
      expect(instance.recurrenceRule).toBe('FREQ=DAILY');
    }
  });

  test('an override moved into the window from outside it keeps its original start as recurrenceId', () => {
    const text = ics(
      'BEGIN:VEVENT',
      'UID:weekly@example.com',
      'DTSTART:20250106T100000Z',
      'DTEND:20250106T110000Z',
      'RRULE:FREQ=WEEKLY;BYDAY=MO',
      'SUMMARY:Weekly',
      'END:VEVENT',
      'BEGIN:VEVENT',
      'UID:weekly@example.com',
      'RECURRENCE-ID:20250113T100000Z',
      'DTSTART:20250301T150000Z',
      'DTEND:20250301T160000Z',
      'SUMMARY:Weekly (moved)',
      'END:VEVENT',
    );
    const inWindow = expand(text, '2025-03-01T00:00:00Z', '2025-03-02T00:00:00Z');
    expect(inWindow).toHaveLength(1);
    expect(inWindow[0]).toMatchObject({ title: 'Weekly (moved)', recurrenceId: '2025-01-13T10:00:00.000Z' });
    expect(inWindow[0]?.start.toISOString()).toBe('2025-03-01T15:00:00.000Z');
    expect(inWindow[0]?.rawVevent).toContain('RECURRENCE-ID:20250113T100000Z');
    // …and its original slot is gone.
    expect(expand(text, '2025-01-13T00:00:00Z', '2025-01-14T00:00:00Z')).toEqual([]);
  });

  test('a cancelled instance is returned with status CANCELLED', () => {
    const text = ics(
      'BEGIN:VEVENT',
      'UID:daily@example.com',
      'DTSTART:20250310T080000Z',
      'DURATION:PT30M',
      'RRULE:FREQ=DAILY;COUNT=5',
      'END:VEVENT',
      'BEGIN:VEVENT',
      'UID:daily@example.com',
      'RECURRENCE-ID:20250311T080000Z',
      'DTSTART:20250311T080000Z',
      'DURATION:PT30M',
      'STATUS:cancelled',
      'END:VEVENT',
    );
    const statuses = expand(text, '2025-03-10T00:00:00Z', '2025-03-13T00:00:00Z').map((i) => i.status);
    expect(statuses).toEqual([null, 'CANCELLED', null]);
  });

  test('recurrenceId is empty for a single event', () => {
    const text = ics('BEGIN:VEVENT', 'UID:one@example.com', 'DTSTART:20250310T080000Z', 'END:VEVENT');
    const [instance] = expand(text, '2025-03-10T00:00:00Z', '2025-03-11T00:00:00Z');
    expect(instance?.recurrenceId).toBe('');
    expect(instance?.recurrenceRule).toBeNull();
  });
});

describe('event details', () => {
  test('attendees and organizer', () => {
    const text = ics(
      'BEGIN:VEVENT',
      'UID:people@example.com',
      'DTSTART:20250310T080000Z',
      'DTEND:20250310T090000Z',
      'SUMMARY:Planning\\, Q2',
      'LOCATION:https://rooms.example.com/room/planning',
      'DESCRIPTION:Agenda:\\n1. budget',
      'ORGANIZER;CN="Olga Organizer":mailto:olga@example.com',
      'ATTENDEE;CN=Ann Example;PARTSTAT=accepted;ROLE=REQ-PARTICIPANT:MAILTO:ann@example.com',
      'ATTENDEE;PARTSTAT=NEEDS-ACTION;ROLE=OPT-PARTICIPANT:mailto:bob@example.com,mailto:carol@exa',
      ' mple.com',
      'END:VEVENT',
    );
    const [instance] = expand(text, '2025-03-10T00:00:00Z', '2025-03-11T00:00:00Z');
    expect(instance?.title).toBe('Planning, Q2');
    expect(instance?.description).toBe('Agenda:\n1. budget');
    expect(instance?.organizer).toEqual({
      email: 'olga@example.com',
      name: 'Olga Organizer',
      partstat: null,
      role: null,
      isOrganizer: true,
    });
    expect(instance?.attendees).toEqual([
      { email: 'ann@example.com', name: 'Ann Example', partstat: 'ACCEPTED', role: 'REQ-PARTICIPANT', isOrganizer: false },
      { email: 'bob@example.com', name: null, partstat: 'NEEDS-ACTION', role: 'OPT-PARTICIPANT', isOrganizer: false },
      { email: 'carol@example.com', name: null, partstat: 'NEEDS-ACTION', role: 'OPT-PARTICIPANT', isOrganizer: false },
    ]);
  });

  test('a missing UID gives an id that is stable across downloads (DTSTAMP ignored)', () => {
    const feed = (dtstamp: string) =>
      ics('BEGIN:VEVENT', `DTSTAMP:${dtstamp}`, 'DTSTART:20250310T080000Z', 'SUMMARY:No UID', 'END:VEVENT');
    const uidOf = (text: string) => expand(text, '2025-03-10T00:00:00Z', '2025-03-11T00:00:00Z')[0]?.uid;
    const first = uidOf(feed('20250101T000000Z'));
    expect(first).toMatch(/^generated-[0-9a-f]{40}@roomcal$/);
    expect(uidOf(feed('20250102T000000Z'))).toBe(first);
  });
});

describe('invalid input', () => {
  test('text without BEGIN:VCALENDAR is NOT_A_CALENDAR', () => {
    expect(parseErrorCode('<html><body>Sign in</body></html>')).toBe('NOT_A_CALENDAR');
    expect(parseErrorCode('')).toBe('NOT_A_CALENDAR');
  });

  test('a truncated or unparsable calendar is PARSE_ERROR', () => {
    expect(parseErrorCode('BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20250310T080000Z\r\n')).toBe('PARSE_ERROR');
    expect(parseErrorCode('BEGIN:VCALENDAR\r\nEND:VEVENT\r\nEND:VCALENDAR')).toBe('PARSE_ERROR');
    expect(parseErrorCode(ics('BEGIN:VEVENT', 'this is not a content line', 'END:VEVENT'))).toBe('PARSE_ERROR');
  });

  test('a series whose DTSTART year lost a digit (lasting 2,000 years) expands without scanning the whole series', () => {
    const calendar = parseCalendar(
      ics(
        'BEGIN:VEVENT',
        'UID:typo@example.com',
        'DTSTART;TZID=W. Europe Standard Time: 0250310T080000',
        'DTEND;TZID=W. Europe Standard Time:20250310T090000',
        'RRULE:FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20260101T000000Z',
        'END:VEVENT',
        'BEGIN:VEVENT',
        'UID:typo@example.com',
        'RECURRENCE-ID;RANGE=THISANDFUTURE:20250317T070000Z',
        'DTSTART:20250317T100000Z',
        'DURATION:PT1H',
        'END:VEVENT',
      ),
    );
    const instances = expandCalendar(calendar, { start: new Date('2025-06-01T00:00:00Z'), end: new Date('2025-06-08T00:00:00Z') });
    expect(instances.length).toBeGreaterThan(0);
  });

  test('sub-hourly rules narrowed by month or day are not expanded (ical.js would crawl through every second)', () => {
    const calendar = parseCalendar(
      ics('BEGIN:VEVENT', 'UID:secondly@example.com', 'DTSTART:20250101T000000Z', 'DTEND:20250101T000001Z', 'RRULE:FREQ=SECONDLY;BYMONTH=12;BYMONTHDAY=31', 'END:VEVENT'),
    );
    const instances = expandCalendar(calendar, { start: new Date('2024-12-31T00:00:00Z'), end: new Date('2025-01-02T00:00:00Z') });
    expect(instances.map((instance) => instance.start.toISOString())).toEqual(['2025-01-01T00:00:00.000Z']); // DTSTART only
  });

  test('a calendar whose rules take too long to expand is refused with IcsParseError, not left blocking the server', () => {
    const calendar = parseCalendar(
      ics(
        ...Array.from({ length: 5 }, (_, i) => [
          'BEGIN:VEVENT',
          `UID:hourly-${i}@example.com`,
          'DTSTART:19000101T000000Z',
          'DTEND:19000101T003000Z',
          'RRULE:FREQ=HOURLY;COUNT=100000000;BYMONTH=12;BYMONTHDAY=31',
          'END:VEVENT',
        ]).flat(),
      ),
    );
    expect(() => expandCalendar(calendar, { start: new Date('2025-01-01T00:00:00Z'), end: new Date('2025-01-02T00:00:00Z') })).toThrow(
      /too complex/,
    );
  });

  test('random and mutated ICS never throws anything but IcsParseError, and terminates', () => {
    const seed = ics(
      'X-WR-TIMEZONE:Europe/Berlin',
      'BEGIN:VEVENT',
      'UID:seed@example.com',
      'DTSTART;TZID=W. Europe Standard Time:20250310T080000',
      'DTEND;TZID=W. Europe Standard Time:20250310T090000',
      'RRULE:FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20260101T000000Z',
      'EXDATE;TZID=W. Europe Standard Time:20250312T080000',
      'RDATE;VALUE=PERIOD:20250315T100000Z/PT2H',
      'ATTENDEE;CN=A:mailto:a@example.com',
      'END:VEVENT',
      'BEGIN:VEVENT',
      'UID:seed@example.com',
      'RECURRENCE-ID;RANGE=THISANDFUTURE:20250317T070000Z',
      'DTSTART:20250317T100000Z',
      'DURATION:PT1H',
      'END:VEVENT',
    );
    const seedLines = seed.split('\r\n');
    const mutation = fc.record({
      index: fc.nat(seedLines.length - 1),
      at: fc.nat(80),
      text: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom(':', ';', '=', ',', 'Z', 'T', '-', '\r\n', ' ', '99999999', 'FREQ=SECONDLY', 'BYMONTH=2;BYMONTHDAY=31', 'COUNT=0')),
      remove: fc.nat(6),
    });
    const mutated = fc.array(mutation, { maxLength: 6 }).map((mutations) => {
      const lines = [...seedLines];
      for (const { index, at, text, remove } of mutations) {
        const line = lines[index] ?? '';
        const position = Math.min(at, line.length);
        lines[index] = line.slice(0, position) + text + line.slice(position + remove);
      }
      return lines.join('\r\n');
    });
    const input = fc.oneof(mutated, fc.string({ maxLength: 200 }), fc.string({ maxLength: 200 }).map((s) => ics(s)));

    fc.assert(
      fc.property(input, (text) => {
        try {
          const calendar = parseCalendar(text);
          expandCalendar(calendar, { start: new Date('2025-01-01T00:00:00Z'), end: new Date('2025-12-31T00:00:00Z') });
        } catch (error) {
          if (!(error instanceof IcsParseError)) throw error;
        }
      }),
      { numRuns: 300, interruptAfterTimeLimit: 60_000 },
    );
  });
});
