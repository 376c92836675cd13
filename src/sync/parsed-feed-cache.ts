// Parsed calendars by room and body hash. An unchanged feed (304 or same
// hash) is re-expanded every sync because the window moves; keeping the
// parse result makes that cheap. Bounded in bytes (lru-cache), least recently
// used out first: a count bound let 20 large feeds exhaust the heap.
import { LRUCache } from 'lru-cache';
import type { ParsedCalendar } from '../calendar/calendar-types.js';

/**
 * What a parsed calendar holds per character of its text (ical.js components
 * and jCal arrays, plus the text itself): about 6.5 bytes measured on a
 * 5,000-event feed; rounded up, as the estimate must not undercount.
 */
const PARSED_BYTES_PER_CHAR = 8;

interface Entry {
  hash: string;
  calendar: ParsedCalendar;
  bytes: number;
}

export class ParsedFeedCache {
  /** Null when caching is switched off (a budget of 0 bytes). */
  private readonly entries: LRUCache<string, Entry> | null;

  constructor(maxBytes: number) {
    // An entry larger than maxSize is not stored at all (lru-cache's maxEntrySize defaults to maxSize).
    this.entries = maxBytes > 0 ? new LRUCache<string, Entry>({ maxSize: maxBytes, sizeCalculation: (entry) => entry.bytes }) : null;
  }

  get(roomId: string, hash: string): ParsedCalendar | undefined {
    const entry = this.entries?.get(roomId);
    return entry?.hash === hash ? entry.calendar : undefined;
  }

  set(roomId: string, hash: string, calendar: ParsedCalendar, textLength: number): void {
    this.entries?.set(roomId, { hash, calendar, bytes: Math.max(1, textLength * PARSED_BYTES_PER_CHAR) });
  }

  /** The estimated bytes held now; never above the budget. */
  get bytes(): number {
    return this.entries?.calculatedSize ?? 0;
  }
}
