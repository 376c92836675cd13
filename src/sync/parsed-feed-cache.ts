// Parsed calendars by room and body hash. An unchanged feed (304 or same
// hash) is re-expanded every sync because the window moves; keeping the
// parse result makes that cheap. Bounded, least recently used out first.
import type { ParsedCalendar } from '../calendar/calendar-types.js';

export class ParsedFeedCache {
  private readonly entries = new Map<string, { hash: string; calendar: ParsedCalendar }>();

  constructor(private readonly maxEntries: number) {}

  get(roomId: string, hash: string): ParsedCalendar | undefined {
    const entry = this.entries.get(roomId);
    if (!entry || entry.hash !== hash) return undefined;
    this.entries.delete(roomId);
    this.entries.set(roomId, entry);
    return entry.calendar;
  }

  set(roomId: string, hash: string, calendar: ParsedCalendar): void {
    this.entries.delete(roomId);
    this.entries.set(roomId, { hash, calendar });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}
