// Testing a feed URL for a user (the testIcsUrl mutation): fetch, parse,
// expand the sync window and count what the feed yields, and what points at
// a room; nothing is stored. Bounded: the same URL and room tested again while
// a test of it runs, or within RESULT_TTL_MS after, gets that test's result
// (GraphQL runs a mutation's fields one after the other, so aliases of
// testIcsUrl in one request make one fetch, not one each); each caller runs a few
// tests at a time; parsing and expansion take a worker thread like any sync.
import { LRUCache } from 'lru-cache';
import pLimit, { type LimitFunction } from 'p-limit';
import { feedFailureOf, type FeedErrorCode } from '../calendar/feed-errors.js';
import type { FeedFetcher } from '../calendar/feed-fetcher.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { FeedAnalyzer } from './feed-workers.js';
import { windowAt } from './room-sync.js';

export type FeedTestResult =
  | {
      ok: true;
      eventsInFeed: number;
      eventsInWindow: number;
      /** Only when a room name is given. */
      eventsMatched: number | null;
    }
  | { ok: false; code: FeedErrorCode; message: string; httpStatus: number | null };

export interface FeedTestRequest {
  /** A URL already checked by normalizeIcsUrl. */
  url: string;
  roomName: string | null;
  /** Who asks: their tests run at most TESTS_PER_CALLER at a time. */
  callerId: string;
}

/** Feed tests of one caller that run at once; more wait their turn. */
const TESTS_PER_CALLER = 2;
/** How long a finished test's result answers the same test again: long enough for a burst, short enough for "I fixed my feed, test again". */
const RESULT_TTL_MS = 10_000;
/** Finished results kept at most. */
const MAX_RESULTS = 1_000;

export type FeedTester = (request: FeedTestRequest) => Promise<FeedTestResult>;

export function createFeedTester(deps: {
  fetcher: FeedFetcher;
  analyzer: FeedAnalyzer;
  clock: Clock;
  logger: Logger;
  config: Pick<Config, 'publicUrl' | 'ics' | 'sync'>;
}): FeedTester {
  const { fetcher, analyzer, clock, logger, config } = deps;
  // Running and recently finished tests by URL and room name (times from the injected clock).
  const recent = new LRUCache<string, { result: Promise<FeedTestResult>; finishedAt: number | null }>({ max: MAX_RESULTS });
  const callers = new Map<string, LimitFunction>();

  async function run(url: string, roomName: string | null): Promise<FeedTestResult> {
    try {
      const fetched = await fetcher.fetch(url);
      // Without validators sent, the fetcher never answers not-modified.
      if (fetched.kind !== 'fetched') throw new Error('not-modified without validators');
      const analysis = await analyzer.analyze({
        roomId: null, // nothing cached, so no hash needed
        hash: '',
        text: fetched.body,
        window: windowAt(clock.now(), config.sync),
        defaultTimeZone: config.ics.defaultTimeZone,
        room: roomName === null ? null : { publicUrl: config.publicUrl, name: roomName },
        maxMatched: 0,
        knownMatchDigest: null,
      });
      return {
        ok: true,
        eventsInFeed: analysis.eventsInFeed,
        eventsInWindow: analysis.eventsInWindow,
        eventsMatched: roomName === null ? null : analysis.eventsMatched,
      };
    } catch (error) {
      const failure = feedFailureOf(error);
      if (failure.code === 'INTERNAL') logger.error({ err: error }, 'testIcsUrl failed unexpectedly');
      return { ok: false, ...failure };
    }
  }

  function limiterOf(callerId: string): LimitFunction {
    let limit = callers.get(callerId);
    if (!limit) {
      limit = pLimit(TESTS_PER_CALLER);
      callers.set(callerId, limit);
    }
    return limit;
  }

  return (request) => {
    const key = JSON.stringify([request.url, request.roomName]);
    const shared = recent.get(key);
    if (shared && (shared.finishedAt === null || clock.now().getTime() - shared.finishedAt < RESULT_TTL_MS)) return shared.result;
    const limit = limiterOf(request.callerId);
    const entry = { result: limit(() => run(request.url, request.roomName)), finishedAt: null as number | null };
    void entry.result.finally(() => {
      entry.finishedAt = clock.now().getTime();
      if (limit.activeCount === 0 && limit.pendingCount === 0) callers.delete(request.callerId);
    });
    recent.set(key, entry);
    return entry.result;
  };
}
