// Deterministic generator of a large, realistic ICS feed for the expansion benchmark:
// single events, daily and weekly series (some years old) with EXDATEs and RECURRENCE-ID
// overrides, two VTIMEZONEs, attendees. Same options => same text.

export interface FeedOptions {
  /** Events and series are placed around this instant (the benchmark passes today's midnight UTC). */
  anchor: Date;
  /** Number of VEVENT components, overrides included. */
  events?: number;
  seed?: number;
}

const VTIMEZONES = [
  [
    'BEGIN:VTIMEZONE',
    'TZID:Europe/Berlin',
    'BEGIN:DAYLIGHT',
    'TZOFFSETFROM:+0100',
    'TZOFFSETTO:+0200',
    'TZNAME:CEST',
    'DTSTART:19700329T020000',
    'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU',
    'END:DAYLIGHT',
    'BEGIN:STANDARD',
    'TZOFFSETFROM:+0200',
    'TZOFFSETTO:+0100',
    'TZNAME:CET',
    'DTSTART:19701025T030000',
    'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU',
    'END:STANDARD',
    'END:VTIMEZONE',
  ],
  [
    'BEGIN:VTIMEZONE',
    'TZID:America/New_York',
    'BEGIN:DAYLIGHT',
    'TZOFFSETFROM:-0500',
    'TZOFFSETTO:-0400',
    'TZNAME:EDT',
    'DTSTART:19700308T020000',
    'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU',
    'END:DAYLIGHT',
    'BEGIN:STANDARD',
    'TZOFFSETFROM:-0400',
    'TZOFFSETTO:-0500',
    'TZNAME:EST',
    'DTSTART:19701101T020000',
    'RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU',
    'END:STANDARD',
    'END:VTIMEZONE',
  ],
];
const ZONES = ['Europe/Berlin', 'America/New_York'];
const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR'];
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** mulberry32: a tiny seeded PRNG, so the feed is reproducible. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Local wall time as an ICS date-time, e.g. 20250310T090000 (the fields of `wallMs` read as UTC). */
function icsTime(wallMs: number): string {
  return new Date(wallMs).toISOString().replace(/[-:]/g, '').slice(0, 15);
}

export function generateFeed({ anchor, events = 5000, seed = 42 }: FeedOptions): string {
  const rnd = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;
  const anchorDay = Math.floor(anchor.getTime() / DAY) * DAY;
  const lines = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//roomcal//bench//EN', ...VTIMEZONES.flat()];

  const attendees = (): string[] =>
    Array.from({ length: Math.floor(rnd() * 5) }, (_, i) => {
      const who = `person${Math.floor(rnd() * 500)}`;
      return `ATTENDEE;CN=Person ${who};PARTSTAT=${pick(['ACCEPTED', 'TENTATIVE', 'NEEDS-ACTION'])};ROLE=REQ-PARTICIPANT:mailto:${who}.${i}@example.com`;
    });

  let written = 0;
  for (let n = 0; written < events; n++) {
    const uid = `bench-${n}@example.com`;
    const zone = pick(ZONES);
    const hour = 7 + Math.floor(rnd() * 11);
    const durationMin = pick([15, 30, 45, 60, 90]);
    const common = [
      `UID:${uid}`,
      'DTSTAMP:20250101T000000Z',
      `SUMMARY:Meeting ${n}`,
      `LOCATION:https://rooms.example.com/room-${n % 40}`,
      `DESCRIPTION:Agenda for meeting ${n}\\, see notes.`,
      `ORGANIZER;CN=Owner ${n % 17}:mailto:owner${n % 17}@example.com`,
      ...attendees(),
    ];
    const kind = rnd();
    if (kind < 0.6 || events - written < 3) {
      // A single event within ±60 days of the anchor.
      const start = anchorDay + Math.floor(rnd() * 120 - 60) * DAY + hour * HOUR;
      lines.push('BEGIN:VEVENT', ...common, `DTSTART;TZID=${zone}:${icsTime(start)}`, `DTEND;TZID=${zone}:${icsTime(start + durationMin * 60_000)}`, 'END:VEVENT');
      written++;
      continue;
    }
    // A daily or weekly series that began up to two years ago, with EXDATEs and one or two overrides.
    const daily = kind < 0.75;
    const stepDays = daily ? 1 : 7;
    const periods = 10 + Math.floor(rnd() * (daily ? 700 : 100));
    const start = anchorDay - periods * stepDays * DAY + hour * HOUR;
    const slot = (k: number) => start + k * stepDays * DAY;
    const rule = daily ? 'FREQ=DAILY' : `FREQ=WEEKLY;BYDAY=${WEEKDAYS[new Date(start).getUTCDay() - 1] ?? 'MO'}`;
    const exdates = [periods - 3, periods + 2].map((k) => icsTime(slot(k)));
    lines.push(
      'BEGIN:VEVENT',
      ...common,
      `DTSTART;TZID=${zone}:${icsTime(start)}`,
      `DTEND;TZID=${zone}:${icsTime(start + durationMin * 60_000)}`,
      `RRULE:${rule}`,
      `EXDATE;TZID=${zone}:${exdates.join(',')}`,
      'END:VEVENT',
    );
    written++;
    // Overrides: one moved by two hours near the anchor, one moved into today from last week.
    for (const k of [periods + 1, periods - 1].slice(0, Math.min(2, events - written))) {
      const moved = k === periods - 1 ? anchorDay + (hour + 1) * HOUR : slot(k) + 2 * HOUR;
      lines.push(
        'BEGIN:VEVENT',
        ...common,
        `RECURRENCE-ID;TZID=${zone}:${icsTime(slot(k))}`,
        `DTSTART;TZID=${zone}:${icsTime(moved)}`,
        `DTEND;TZID=${zone}:${icsTime(moved + durationMin * 60_000)}`,
        'SEQUENCE:1',
        'END:VEVENT',
      );
      written++;
    }
  }
  lines.push('END:VCALENDAR', '');
  return lines.join('\r\n');
}
