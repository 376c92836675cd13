// What a feed yields for one room and window: parse (or take the cached
// parse), expand the window, drop cancelled instances, keep those that point
// at the room, at most maxMatched of them. Runs in a worker thread
// (feed-worker.ts): its input and output are plain data.
import type { CalendarInstance, ExpandWindow } from '../calendar/calendar-types.js';
import { FeedError, type FeedErrorCode } from '../calendar/feed-errors.js';
import { expandCalendar } from '../calendar/ics-expand.js';
import { parseCalendar } from '../calendar/ics-parse.js';
import { createRoomMatcher, eventRefersToRoom } from '../calendar/room-match.js';
import { matchDigestOf } from './event-content.js';
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
  /** Matched instances kept at most, the earliest by start time. */
  maxMatched: number;
  /**
   * The digest of the instances the room stores: when the kept instances hash
   * to it, they are not sent back (most syncs change nothing, and a room may
   * keep hundreds of instances).
   */
  knownMatchDigest: string | null;
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
      /** How many of them are kept: the first maxMatched by start time. */
      eventsKept: number;
      /** matchDigestOf the kept instances. */
      matchDigest: string;
      /** The kept instances; null when their digest is the job's knownMatchDigest. */
      matched: CalendarInstance[] | null;
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
    const kept = matched.slice(0, job.maxMatched);
    const matchDigest = matchDigestOf(kept);
    return {
      kind: 'analyzed',
      eventsInFeed: calendar.eventCount,
      eventsInWindow: inWindow.length,
      eventsMatched: matched.length,
      eventsKept: kept.length,
      matchDigest,
      matched: matchDigest === job.knownMatchDigest ? null : kept,
    };
  } catch (error) {
    if (error instanceof FeedError) return { kind: 'failed', code: error.code, message: error.message };
    throw error;
  }
}
