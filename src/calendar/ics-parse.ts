// Parsing an ICS feed into VEVENTs indexed by UID, on top of ical.js 2.
//
// The text is first cut into top-level VEVENT / VTIMEZONE blocks by a line scan and
// each block is parsed by ical.js on its own. That keeps the original VEVENT text for
// `rawVevent`, lets one malformed event be skipped instead of failing the whole feed
// (Exchange writes broken lines such as `DTSTART;TZID="W. Europe Standard Time:2020…"`),
// and builds the UID index in one linear pass.
import { createHash } from 'node:crypto';
import ICAL from 'ical.js';
import type { ParsedCalendar } from './calendar-types.js';
import { FeedError } from './feed-errors.js';

/** The feed's text cannot be read as a calendar, or its recurrences cannot be expanded within the budget. */
export class IcsParseError extends FeedError {
  override name = 'IcsParseError';
  constructor(
    override readonly code: 'NOT_A_CALENDAR' | 'PARSE_ERROR' | 'TOO_COMPLEX',
    message: string,
  ) {
    super(code, message);
  }
}

export interface VeventRecord {
  readonly component: ICAL.Component;
  readonly raw: string;
  readonly sequence: number;
}

/** All VEVENTs sharing one UID: the master (series or single event) and its RECURRENCE-ID overrides. */
export interface EventGroup {
  readonly uid: string;
  master: VeventRecord | null;
  readonly overrides: VeventRecord[];
}

/** The opaque result of parseCalendar; only ics-expand reads its fields. */
export class IcsCalendar implements ParsedCalendar {
  constructor(
    readonly groups: readonly EventGroup[],
    readonly feedZones: ReadonlyMap<string, ICAL.Timezone>,
    readonly calendarTimeZone: string | null,
    readonly eventCount: number,
  ) {}
}

interface Block {
  readonly name: 'VEVENT' | 'VTIMEZONE';
  readonly text: string;
}

const BEGIN_OR_END = /^(BEGIN|END):([A-Za-z0-9-]+)\s*$/i;
const LONE_CR_OR_LF = /\r(?!\n)|(?<!\r)\n/;

/**
 * Splits the feed into top-level blocks, checking BEGIN/END balance (a truncated download is an error).
 * Walks the text line by line with indexOf instead of splitting it: block texts are then substrings of
 * the feed, not copies, which keeps a large feed's garbage (and GC time) low.
 */
function scanBlocks(feed: string): { blocks: Block[]; wrTimeZone: string | null } {
  // Block texts use CRLF line ends whatever the feed used.
  const text = LONE_CR_OR_LF.test(feed) ? feed.replace(/\r\n|\n|\r/g, '\r\n') : feed;
  const blocks: Block[] = [];
  const stack: string[] = [];
  let wrTimeZone: string | null = null;
  let blockStart = -1;

  for (let lineStart = 0, lineNumber = 1; lineStart < text.length; lineNumber++) {
    const found = text.indexOf('\r\n', lineStart);
    const lineEnd = found < 0 ? text.length : found;
    const start = lineStart;
    lineStart = lineEnd + 2;
    // Only lines starting with B, E or X matter: test the first letter before any regex.
    const first = text.charCodeAt(start) | 0x20;
    if (first !== 0x62 && first !== 0x65 && first !== 0x78) continue;
    const line = text.slice(start, lineEnd);
    const marker = first === 0x78 ? null : BEGIN_OR_END.exec(line);
    if (marker) {
      const name = (marker[2] ?? '').toUpperCase();
      if ((marker[1] ?? '').toUpperCase() === 'BEGIN') {
        if (stack.length === 1 && (name === 'VEVENT' || name === 'VTIMEZONE')) blockStart = start;
        stack.push(name);
      } else {
        if (stack.pop() !== name) throw new IcsParseError('PARSE_ERROR', `unexpected END:${name} on line ${lineNumber}`);
        if (stack.length === 1 && blockStart >= 0) {
          blocks.push({ name: name as Block['name'], text: text.slice(blockStart, lineEnd) });
          blockStart = -1;
        }
      }
    } else if (stack.length === 1 && /^X-WR-TIMEZONE[;:]/i.test(line)) {
      let value = line.slice(line.indexOf(':') + 1);
      // Folded continuation lines start with a space or a tab.
      while (lineStart < text.length && (text[lineStart] === ' ' || text[lineStart] === '\t')) {
        const next = text.indexOf('\r\n', lineStart);
        const nextEnd = next < 0 ? text.length : next;
        value += text.slice(lineStart + 1, nextEnd);
        lineStart = nextEnd + 2;
        lineNumber++;
      }
      wrTimeZone = value.trim() || null;
    }
  }
  if (stack.length > 0) throw new IcsParseError('PARSE_ERROR', `calendar is truncated: END:${stack.at(-1)} missing`);
  return { blocks, wrTimeZone };
}

type JCalComponent = [string, JCalProperty[], JCalComponent[]];
type JCalProperty = [string, Record<string, unknown>, string, ...unknown[]];

const BARE_DATE = /^\d{4}-\d{2}-\d{2}T::$/;

/** ical.js reads `DTSTART:20180110` (a DATE without VALUE=DATE) as the date-time "2018-01-10T::": make it a DATE. */
function repairBareDates(component: JCalComponent): void {
  for (const prop of component[1]) {
    if (prop[2] !== 'date-time' || prop.length < 4) continue;
    let bare = true;
    for (let i = 3; i < prop.length && bare; i++) bare = typeof prop[i] === 'string' && BARE_DATE.test(prop[i] as string);
    if (bare) {
      prop[2] = 'date';
      for (let i = 3; i < prop.length; i++) prop[i] = (prop[i] as string).slice(0, 10);
    }
  }
  for (const child of component[2]) repairBareDates(child);
}

function parseComponent(text: string): ICAL.Component | null {
  try {
    const jcal = ICAL.parse(text) as unknown as JCalComponent;
    if (typeof jcal[0] !== 'string') return null;
    repairBareDates(jcal);
    return new ICAL.Component(jcal);
  } catch {
    return null;
  }
}

/**
 * Fast path: one ical.js parse of the whole feed, its VEVENTs/VTIMEZONEs paired with the scanned blocks
 * by position. Null when ical.js rejects the feed; the blocks are then parsed one by one.
 */
function parseWhole(text: string, blocks: readonly Block[]): ICAL.Component[] | null {
  const calendar = parseComponent(text);
  if (!calendar) return null;
  const children = (calendar.jCal as JCalComponent)[2].filter((c) => c[0] === 'vevent' || c[0] === 'vtimezone');
  if (children.length !== blocks.length || children.some((c, i) => c[0] !== blocks[i]?.name.toLowerCase())) return null;
  // Wrapped as getAllSubcomponents() would (the calendar as parent, for TZID lookups), without hydrating the rest.
  return children.map((child) => new ICAL.Component(child, calendar));
}

/** A property's first value: from the jCal for types ical.js leaves unwrapped (text, integer), else through ical.js. */
function firstValue(component: ICAL.Component, name: string): unknown {
  for (const prop of (component.jCal as JCalComponent)[1]) {
    if (prop[0] === name) return prop[2] === 'text' || prop[2] === 'integer' ? prop[3] : component.getFirstPropertyValue(name);
  }
  return null;
}

/** Exchange writes `DTSTART;TZID="W. Europe Standard Time:20200609T090000"` (value inside the quotes). */
function repairQuotedValue(text: string): string {
  return text.replace(/^([A-Za-z-]+;(?:[^"\r\n]*;)?TZID=)"([^":\r\n]+):(\d{8}(?:T\d{6}Z?)?)"[ \t]*$/gim, '$1"$2":$3');
}

/** A UID for a VEVENT without one, stable across downloads (DTSTAMP is rewritten by some providers on every download). */
function derivedUid(raw: string): string {
  const content = raw.replace(/^DTSTAMP[;:].*(\r\n[ \t].*)*/gim, '');
  return `generated-${createHash('sha1').update(content).digest('hex')}@roomcal`;
}

export function parseCalendar(text: string): ParsedCalendar {
  if (!/^BEGIN:VCALENDAR\s*$/im.test(text)) throw new IcsParseError('NOT_A_CALENDAR', 'no BEGIN:VCALENDAR found');
  const { blocks, wrTimeZone } = scanBlocks(text);

  const feedZones = new Map<string, ICAL.Timezone>();
  const groups = new Map<string, EventGroup>();
  let eventCount = 0;
  let brokenEvents = 0;

  const components = parseWhole(text, blocks);
  for (const [index, block] of blocks.entries()) {
    const component = components?.[index] ?? parseComponent(block.text) ?? parseComponent(repairQuotedValue(block.text));
    if (block.name === 'VTIMEZONE') {
      const tzid = component?.getFirstPropertyValue('tzid');
      if (component && typeof tzid === 'string') {
        // Thunderbird writes "TZID:Pacific Standard Time:" while events say "Pacific Standard Time".
        feedZones.set(tzid.trim().replace(/:$/, ''), new ICAL.Timezone(component));
      }
      continue;
    }
    if (!component) {
      brokenEvents++;
      continue;
    }
    eventCount++;
    const uidValue = firstValue(component, 'uid');
    const uid = typeof uidValue === 'string' && uidValue.trim() ? uidValue.trim() : derivedUid(block.text);
    const record: VeventRecord = {
      component,
      raw: block.text,
      sequence: Number(firstValue(component, 'sequence')) || 0,
    };
    let group = groups.get(uid);
    if (!group) {
      group = { uid, master: null, overrides: [] };
      groups.set(uid, group);
    }
    if ((component.jCal as JCalComponent)[1].some((prop) => prop[0] === 'recurrence-id')) group.overrides.push(record);
    // A master re-issued with a higher SEQUENCE replaces the older copy (its EXDATE/RDATE sets too);
    // on equal SEQUENCE the later copy in the file wins.
    else if (!group.master || record.sequence >= group.master.sequence) group.master = record;
  }

  if (eventCount === 0 && brokenEvents > 0) {
    throw new IcsParseError('PARSE_ERROR', `none of the ${brokenEvents} VEVENTs could be parsed`);
  }
  return new IcsCalendar([...groups.values()], feedZones, wrTimeZone, eventCount);
}
