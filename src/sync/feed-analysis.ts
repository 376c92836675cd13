// What a feed yields for one room and window: parse (or take the cached
// parse), expand the window, drop cancelled instances, keep those that point
// at the room, at most maxMatched of them. Runs in a worker thread
// (feed-worker.ts): its input and output are plain data.
import type { CalendarInstance, ExpandWindow } from '../calendar/calendar-types.js';
import { FeedError, type FeedErrorCode } from '../calendar/feed-errors.js';
import { expandCalendar } from '../calendar/ics-expand.js';
import { parseCalendar } from '../calendar/ics-parse.js';
import { createRoomMatcher, eventRefersToRoom } from '../calendar/room-match.js';
import type { ParsedFeedCache } from './parsed-feed-cache.js';

export interface FeedAnalysisJob {
  /** The room whose parse is cached; null for a one-off test of a URL (nothing cached). */
  roomId: string | null;
  /** SHA-256 of the feed text: a cached parse is used only for the same text. */
  hash: string;
  /** The feed text; null when the caller hopes for a cached parse (an unchanged feed). */
  text: string | null;
  window: ExpandWindow;
  defaultTimeZone: string;
  /** Count and keep the instances that point at this room; null to count only. */
  room: { publicUrl: string; name: string } | null;
  /** Matched instances returned at most, the earliest by start time. */
  maxMatched: number;
}

export type FeedAnalysis =
  /** `text` was null and no cached parse matches the hash: send the text. */
  | { kind: 'need-text' }
  | {
      kind: 'analyzed';
      eventsInFeed: number;
      eventsInWindow: number;
      /** All instances that point at the room, also those beyond maxMatched. */
      eventsMatched: number;
      /** The first maxMatched of them by start time. */
      matched: CalendarInstance[];
    }
  | { kind: 'failed'; code: FeedErrorCode; message: string };

export function analyzeFeed(job: FeedAnalysisJob, cache: ParsedFeedCache): FeedAnalysis {
  try {
    let calendar = job.roomId === null ? undefined : cache.get(job.roomId, job.hash);
    if (!calendar) {
      if (job.text === null) return { kind: 'need-text' };
      calendar = parseCalendar(job.text);
      if (job.roomId !== null) cache.set(job.roomId, job.hash, calendar, job.text.length);
    }
    // Sorted by start: the cap keeps the earliest.
    const inWindow = expandCalendar(calendar, job.window, { defaultTimeZone: job.defaultTimeZone }).filter(
      (instance) => instance.status !== 'CANCELLED',
    );
    const matcher = job.room && createRoomMatcher(job.room.publicUrl, job.room.name);
    const matched = matcher ? inWindow.filter((instance) => eventRefersToRoom(matcher, instance)) : [];
    return {
      kind: 'analyzed',
      eventsInFeed: calendar.eventCount,
      eventsInWindow: inWindow.length,
      eventsMatched: matched.length,
      matched: matched.slice(0, job.maxMatched),
    };
  } catch (error) {
    if (error instanceof FeedError) return { kind: 'failed', code: error.code, message: error.message };
    throw error;
  }
}
