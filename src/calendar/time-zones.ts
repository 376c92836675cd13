// Time-zone resolution for ICS TZIDs.
//
// All recurrence arithmetic happens on "wall" times: the local clock fields of a
// value encoded as if they were UTC (`Date.UTC(y, m, d, h, mi, s)`). A Zone turns
// such a wall time into a real instant and back. Zones are resolved in this order:
//   1. an IANA name the platform's Intl database knows (also inside prefixed TZIDs
//      such as `/mozilla.org/20070129_1/Europe/Berlin`): preferred over the feed's
//      VTIMEZONE, because many feeds ship VTIMEZONEs that cover only a few years;
//   2. a Windows zone id as Outlook/Exchange write it (`W. Europe Standard Time`);
//   3. a Windows display name (`(UTC-05:00) Eastern Time (US & Canada)`);
//   4. the feed's own VTIMEZONE with that TZID;
//   5. the fixed offset in a display-name prefix (`(UTC+07:00) …`);
//   otherwise the value is treated as floating (read in the calendar's zone).
import ICAL from 'ical.js';
import { findIana } from 'windows-iana';
import { DAY_MS, type Zone } from './wall-time.js';

export const UTC_ZONE: Zone = { id: 'UTC', wallToUtc: (ms) => ms, utcToWall: (ms) => ms };

function fixedOffsetZone(id: string, offsetMs: number): Zone {
  return { id, wallToUtc: (ms) => ms - offsetMs, utcToWall: (ms) => ms + offsetMs };
}

/** Shared wall→instant conversion for zones that can only tell the offset at an instant. */
function wallToUtcVia(offsetAt: (utcMs: number) => number, wallMs: number): number {
  // A transition rarely lies within a day of another: try the offset of the day before
  // (covers ordinary times, gaps and the first occurrence of overlaps), then the day after.
  const before = offsetAt(wallMs - DAY_MS);
  const first = wallMs - before;
  if (offsetAt(first) === before) return first;
  const after = offsetAt(wallMs + DAY_MS);
  const second = wallMs - after;
  return offsetAt(second) === after ? second : first;
}

/**
 * A bounded memo of a ms → ms conversion. An expansion converts the same wall times over and over
 * (each slot is checked against EXDATEs and overrides, then emitted), and each conversion costs three
 * offset look-ups.
 */
function memoized(convert: (ms: number) => number): (ms: number) => number {
  const cache = new Map<number, number>();
  return (ms) => {
    let result = cache.get(ms);
    if (result === undefined) {
      result = convert(ms);
      if (cache.size > 50_000) cache.clear();
      cache.set(ms, result);
    }
    return result;
  };
}

class IntlZone implements Zone {
  private readonly format: Intl.DateTimeFormat;
  // Offsets per 15-minute UTC bucket: transitions fall on quarter hours.
  private readonly offsetCache = new Map<number, number>();

  constructor(readonly id: string) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone: id,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
  }

  offsetAt(utcMs: number): number {
    const bucket = Math.floor(utcMs / 900_000);
    let offset = this.offsetCache.get(bucket);
    if (offset === undefined) {
      const bucketStart = bucket * 900_000;
      const f: Record<string, number> = {};
      let bc = false;
      for (const part of this.format.formatToParts(bucketStart)) {
        if (part.type === 'era') bc = part.value.startsWith('B');
        else if (part.type !== 'literal') f[part.type] = Number(part.value);
      }
      const year = bc ? 1 - (f.year ?? 0) : (f.year ?? 1970);
      const wall = new Date(0);
      wall.setUTCFullYear(year, (f.month ?? 1) - 1, f.day ?? 1);
      wall.setUTCHours(f.hour ?? 0, f.minute ?? 0, f.second ?? 0, 0);
      offset = wall.getTime() - bucketStart;
      if (this.offsetCache.size > 50_000) this.offsetCache.clear();
      this.offsetCache.set(bucket, offset);
    }
    return offset;
  }

  readonly wallToUtc = memoized((wallMs) => wallToUtcVia((ms) => this.offsetAt(ms), wallMs));

  utcToWall(utcMs: number): number {
    return utcMs + this.offsetAt(utcMs);
  }
}

/** A zone defined only by the feed's VTIMEZONE component. */
class VtimezoneZone implements Zone {
  constructor(
    readonly id: string,
    private readonly timezone: ICAL.Timezone,
  ) {}

  private offsetAt(utcMs: number): number {
    const utc = ICAL.Time.fromJSDate(new Date(utcMs), true);
    return utc.convertToZone(this.timezone).utcOffset() * 1000;
  }

  // Each offset look-up builds ical.js Time objects.
  readonly wallToUtc = memoized((wallMs) => wallToUtcVia((ms) => this.offsetAt(ms), wallMs));
  readonly utcToWall = memoized((utcMs) => utcMs + this.offsetAt(utcMs));
}

const intlZones = new Map<string, Zone | null>();

/** The platform zone for an IANA name, or null when Intl does not know it. */
export function intlZone(name: string): Zone | null {
  let zone = intlZones.get(name);
  if (zone === undefined) {
    try {
      zone = name.toUpperCase() === 'UTC' || name === 'Z' ? UTC_ZONE : new IntlZone(name);
    } catch {
      zone = null;
    }
    intlZones.set(name, zone);
  }
  return zone;
}

// Exchange/OWA display names (the text after the "(UTC±hh:mm) " prefix) → Windows zone ids,
// for the zones Outlook users most often publish from. windows-iana maps the ids.
const DISPLAY_NAME_TO_WINDOWS: Record<string, string> = {
  'eastern time (us & canada)': 'Eastern Standard Time',
  'central time (us & canada)': 'Central Standard Time',
  'mountain time (us & canada)': 'Mountain Standard Time',
  'pacific time (us & canada)': 'Pacific Standard Time',
  'arizona': 'US Mountain Standard Time',
  'alaska': 'Alaskan Standard Time',
  'hawaii': 'Hawaiian Standard Time',
  'atlantic time (canada)': 'Atlantic Standard Time',
  'brasilia': 'E. South America Standard Time',
  'coordinated universal time': 'UTC',
  'dublin, edinburgh, lisbon, london': 'GMT Standard Time',
  'greenwich mean time : dublin, edinburgh, lisbon, london': 'GMT Standard Time',
  'amsterdam, berlin, bern, rome, stockholm, vienna': 'W. Europe Standard Time',
  'brussels, copenhagen, madrid, paris': 'Romance Standard Time',
  'belgrade, bratislava, budapest, ljubljana, prague': 'Central Europe Standard Time',
  'sarajevo, skopje, warsaw, zagreb': 'Central European Standard Time',
  'athens, bucharest': 'GTB Standard Time',
  'helsinki, kyiv, riga, sofia, tallinn, vilnius': 'FLE Standard Time',
  'jerusalem': 'Israel Standard Time',
  'moscow, st. petersburg': 'Russian Standard Time',
  'moscow, st. petersburg, volgograd': 'Russian Standard Time',
  'abu dhabi, muscat': 'Arabian Standard Time',
  'chennai, kolkata, mumbai, new delhi': 'India Standard Time',
  'bangkok, hanoi, jakarta': 'SE Asia Standard Time',
  'beijing, chongqing, hong kong, urumqi': 'China Standard Time',
  'kuala lumpur, singapore': 'Singapore Standard Time',
  'osaka, sapporo, tokyo': 'Tokyo Standard Time',
  'seoul': 'Korea Standard Time',
  'brisbane': 'E. Australia Standard Time',
  'canberra, melbourne, sydney': 'AUS Eastern Standard Time',
  'auckland, wellington': 'New Zealand Standard Time',
};

const DISPLAY_PREFIX = /^\((?:UTC|GMT)(?:([+-])(\d{1,2}):?(\d{2}))?\)\s*(.*)$/i;

function windowsZone(name: string): Zone | null {
  const iana = findIana(name)[0];
  return iana ? intlZone(iana) : null;
}

/** Resolves a TZID; null means "unknown, treat as floating". */
export function resolveTzid(rawTzid: string, feedZones: ReadonlyMap<string, ICAL.Timezone>): Zone | null {
  const tzid = rawTzid.trim().replace(/^"|"$/g, '');
  const direct = intlZone(tzid);
  if (direct) return direct;

  // Globally unique TZIDs: "/mozilla.org/20070129_1/America/New_York" and similar.
  const segments = tzid.split('/').filter(Boolean);
  for (let i = 1; i < segments.length - 1; i++) {
    const zone = intlZone(segments.slice(i).join('/'));
    if (zone) return zone;
  }

  const windows = windowsZone(tzid) ?? windowsZone(tzid.replace(/:$/, ''));
  if (windows) return windows;

  const display = DISPLAY_PREFIX.exec(tzid);
  const displayWindowsId = display ? DISPLAY_NAME_TO_WINDOWS[(display[4] ?? '').toLowerCase()] : undefined;
  const fromDisplay = displayWindowsId ? windowsZone(displayWindowsId) : null;
  if (fromDisplay) return fromDisplay;

  const feedZone = feedZones.get(tzid);
  if (feedZone) return new VtimezoneZone(tzid, feedZone);

  if (display) {
    const [, sign, hours, minutes] = display;
    const offset = sign ? (Number(hours) * 60 + Number(minutes)) * 60_000 * (sign === '-' ? -1 : 1) : 0;
    return fixedOffsetZone(tzid, offset);
  }
  return null;
}
