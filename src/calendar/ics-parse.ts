// Parsing an ICS feed into VEVENTs indexed by UID, on top of ical.js 2.
//
// The text is first cut into top-level VEVENT / VTIMEZONE blocks by a line scan and
// each block is parsed by ical.js on its own. That keeps the original VEVENT text for
// `rawVevent`, lets one malformed event be skipped instead of failing the whole feed
// (Exchange writes broken lines such as `DTSTART;TZID="W. Europe Standard Time:2020…"`),
// and builds the UID index in one linear pass.
import { createHash } from 'node:crypto';
import ICAL from 'ical.js';

export class IcsParseError extends Error {
  constructor(
    readonly code: 'NOT_A_CALENDAR' | 'PARSE_ERROR',
    message: string,
  ) {
    super(message);
    this.name = 'IcsParseError';
  }
}

export interface ParsedCalendar {
  readonly eventCount: number;
  readonly calendarTimeZone: string | null;
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

/** Splits the feed into top-level blocks, checking BEGIN/END balance (a truncated download is an error). */
function scanBlocks(text: string): { blocks: Block[]; wrTimeZone: string | null } {
  const lines = text.split(/\r\n|\n|\r/);
  const blocks: Block[] = [];
  const stack: string[] = [];
  let wrTimeZone: string | null = null;
  let blockStart = -1;

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const marker = BEGIN_OR_END.exec(line);
    if (marker) {
      const name = (marker[2] ?? '').toUpperCase();
      if ((marker[1] ?? '').toUpperCase() === 'BEGIN') {
        if (stack.length === 1 && (name === 'VEVENT' || name === 'VTIMEZONE')) blockStart = i;
        stack.push(name);
      } else {
        if (stack.pop() !== name) throw new IcsParseError('PARSE_ERROR', `unexpected END:${name} on line ${i + 1}`);
        if (stack.length === 1 && blockStart >= 0) {
          blocks.push({ name: name as Block['name'], text: lines.slice(blockStart, i + 1).join('\r\n') });
          blockStart = -1;
        }
      }
    } else if (stack.length === 1 && /^X-WR-TIMEZONE[;:]/i.test(line)) {
      let value = line.slice(line.indexOf(':') + 1);
      while (/^[ \t]/.test(lines[i + 1] ?? '')) value += (lines[++i] ?? '').slice(1);
      wrTimeZone = value.trim() || null;
    }
  }
  if (stack.length > 0) throw new IcsParseError('PARSE_ERROR', `calendar is truncated: END:${stack.at(-1)} missing`);
  return { blocks, wrTimeZone };
}

type JCalComponent = [string, JCalProperty[], JCalComponent[]];
type JCalProperty = [string, Record<string, unknown>, string, ...unknown[]];

/** ical.js reads `DTSTART:20180110` (a DATE without VALUE=DATE) as the date-time "2018-01-10T::": make it a DATE. */
function repairBareDates(component: JCalComponent): void {
  for (const prop of component[1]) {
    if (prop[2] !== 'date-time') continue;
    const values = prop.slice(3);
    if (values.length > 0 && values.every((v) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T::$/.test(v))) {
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
function parseWhole(text: string, blocks: readonly Block[]): (ICAL.Component | null)[] | null {
  const calendar = parseComponent(text);
  if (!calendar) return null;
  const components = calendar.getAllSubcomponents().filter((c) => c.name === 'vevent' || c.name === 'vtimezone');
  if (components.length !== blocks.length) return null;
  return components.every((c, i) => c.name === blocks[i]?.name.toLowerCase()) ? components : null;
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
    const uidValue = component.getFirstPropertyValue('uid');
    const uid = typeof uidValue === 'string' && uidValue.trim() ? uidValue.trim() : derivedUid(block.text);
    const record: VeventRecord = {
      component,
      raw: block.text,
      sequence: Number(component.getFirstPropertyValue('sequence')) || 0,
    };
    let group = groups.get(uid);
    if (!group) {
      group = { uid, master: null, overrides: [] };
      groups.set(uid, group);
    }
    if (component.hasProperty('recurrence-id')) group.overrides.push(record);
    // A master re-issued with a higher SEQUENCE replaces the older copy (its EXDATE/RDATE sets too);
    // on equal SEQUENCE the later copy in the file wins.
    else if (!group.master || record.sequence >= group.master.sequence) group.master = record;
  }

  if (eventCount === 0 && brokenEvents > 0) {
    throw new IcsParseError('PARSE_ERROR', `none of the ${brokenEvents} VEVENTs could be parsed`);
  }
  return new IcsCalendar([...groups.values()], feedZones, wrTimeZone, eventCount);
}
