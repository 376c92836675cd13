// Wall times: a date-time's fields read as if they were UTC, in milliseconds.
// Recurrence arithmetic runs on wall times; a zone (time-zones.ts) turns one
// into an instant only at the end. Plain jCal date strings are read by hand:
// this runs for every DTSTART, EXDATE and RECURRENCE-ID of a feed.
import ICAL from 'ical.js';

export const DAY_MS = 86_400_000;

/** Turns wall times into instants and back (time-zones.ts makes them from TZIDs). */
export interface Zone {
  readonly id: string;
  /** Instant (ms since epoch) of a wall time in this zone. Gaps use the offset before the transition, overlaps the first occurrence. */
  wallToUtc(wallMs: number): number;
  /** Wall time in this zone of an instant. */
  utcToWall(utcMs: number): number;
}

/** A DTSTART-like value: its wall time and the zone that turns it into an instant. */
export interface TimeValue {
  wallMs: number;
  isDate: boolean;
  zone: Zone;
}

/** How an instance's end follows from its start: wall-clock (same zone, DURATION) or exact. */
export interface EndRule {
  wallClock: boolean;
  deltaMs: number;
}

export const MAX_MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The wall time of an ICAL.Time as ms (its fields read as UTC); years < 100 are kept as such. */
export function wallMsOf(time: ICAL.Time): number {
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
export function plainTimeOf(value: unknown): { wallMs: number; isDate: boolean; isUtc: boolean } | null {
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

export function floatingTime(wallMs: number, isDate: boolean): ICAL.Time {
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

export function dayOf(wallMs: number): number {
  return Math.floor(wallMs / DAY_MS);
}

export function instantOf(value: TimeValue): number {
  return value.zone.wallToUtc(value.wallMs);
}

export function isoOf(value: TimeValue): string {
  return new Date(instantOf(value)).toISOString();
}
