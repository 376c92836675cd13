// Shared query results (README "Performance" › "Response cache"). Everyone
// who opens a room's page asks the same question; Yoga's response cache
// answers repeats before parsing, validation and the database.
// - Keys: the query text, variables and viewer (anonymous callers share one
//   entry, each signed-in user has their own: owner-only fields differ), and
//   the slot of the server's clock the answer was computed in. Results that
//   depend on the time (a meeting's status, the upcoming window) are therefore
//   at most `ttlMs` old, on the server's clock.
// - Changes: every event the server publishes for live updates also reaches
//   this cache, on every instance (through Redis when configured), and purges
//   the results that contain the room or meeting it names.
// - Never cached: `serverTime` and `secondsUntilStart` (exact to the
//   request), `node` (a meeting or event looked up without its room, which the
//   room's events would not purge), mutations, subscriptions, results with errors.
import { createHash } from 'node:crypto';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { createInMemoryCache, useResponseCache, type Cache } from '@graphql-yoga/plugin-response-cache';
import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { AuthenticationError, tokenFromAuthorization, type TokenVerifier } from '../auth/token-verifier.js';
import type { Clock } from '../clock.js';
import type { Metrics } from '../observability/metrics.js';
import type { AppPubSub, Change } from '../realtime/pubsub.js';

export interface ResponseCacheSettings {
  /** How long a result is served, in the server clock's slots of this length; 0 turns caching off. */
  ttlMs: number;
  maxEntries: number;
  /** Larger results are not kept, so the cache holds at most maxEntries × maxEntryBytes. */
  maxEntryBytes: number;
}

/** A result that selects one of these is never reused: exact to the request's instant, or (node) not purged by a room's changes. */
const NEVER_CACHED = { 'Query.serverTime': 0, 'UpcomingMeeting.secondsUntilStart': 0, 'Query.node': 0 };

/** The results a published change makes stale. A room's events purge everything showing that room. */
function staleEntities(change: Change): Array<{ typename: string; id?: string }> {
  switch (change.topic) {
    case 'room:updated':
      return [{ typename: 'Room' }]; // created, renamed or deleted: also the lists and the null of a name now taken
    case 'meeting:participants':
      return [{ typename: 'Meeting', id: encodeGlobalID('Meeting', change.id) }];
    default:
      return [{ typename: 'Room', id: encodeGlobalID('Room', change.id) }];
  }
}

/** The viewer and cache key of one HTTP request, worked out once for both plugins. */
interface Lookup {
  sessionId: string | null;
  key: string;
}

/** The one execution under way for a key, and the change count when it began. */
interface Computation {
  done: Promise<void>;
  generation: number;
}

export function useSharedResponseCache(
  settings: ResponseCacheSettings,
  deps: { clock: Clock; pubsub: AppPubSub; metrics: Metrics; verifyToken: TokenVerifier },
): Plugin {
  const results = createInMemoryCache({ max: settings.maxEntries });
  // Counts the changes seen: a result computed across a change may hold rows the
  // change replaced, and storing it would undo the purge.
  let generation = 0;
  const stopFollowing = deps.pubsub.followChanges((change) => {
    generation++;
    void results.invalidate(staleEntities(change));
  });
  // One execution per key at a time: when an entry's slot passes, the requests
  // that arrive while it is recomputed wait for that one result instead of
  // each running the query (50 connections made 50 executions a second).
  const computing = new Map<string, Computation>();
  const finishers = new WeakMap<Request, () => void>();
  const lookups = new WeakMap<Request, Lookup>();
  // A request whose token fails verification is not answered from the cache:
  // it goes on to the context, which refuses it with UNAUTHENTICATED.
  const badTokens = new WeakSet<Request>();

  // The in-memory store answers synchronously.
  const cached = (key: string) => results.get(key) as ExecutionResult | null;
  const store: Cache = {
    get(key) {
      const hit = cached(key);
      if (hit) deps.metrics.responseCacheHit();
      return hit;
    },
    set(key, result, entities, ttl) {
      if (computing.get(key)?.generation !== generation) return;
      if (JSON.stringify(result).length > settings.maxEntryBytes) return;
      return results.set(key, result, entities, ttl);
    },
    invalidate: (entities) => results.invalidate(entities),
  };

  async function viewerOf(request: Request): Promise<string | null> {
    try {
      return (await tokenFromAuthorization(deps.verifyToken, request.headers.get('authorization')))?.viewer.userId ?? null;
    } catch (error) {
      if (!(error instanceof AuthenticationError)) throw error;
      badTokens.add(request);
      return null;
    }
  }

  const singleFlight: Plugin = {
    async onParams({ params, request }) {
      const sessionId = await viewerOf(request);
      const slot = Math.floor(deps.clock.now().getTime() / settings.ttlMs);
      const key = createHash('sha256')
        .update(JSON.stringify([params.query ?? '', params.operationName ?? '', params.variables ?? {}, sessionId ?? '', slot]))
        .digest('hex');
      lookups.set(request, { sessionId, key });
      if (badTokens.has(request) || cached(key)) return;
      const running = computing.get(key);
      if (running) return running.done; // then the cache below answers, or, if the result was not kept, this request runs too
      let finish!: () => void;
      computing.set(key, { done: new Promise<void>((resolve) => (finish = resolve)), generation });
      finishers.set(request, () => {
        computing.delete(key);
        finish();
      });
    },
    onResponse({ request }) {
      finishers.get(request)?.();
    },
  };

  const responseCache = useResponseCache({
    cache: store,
    // Entries live for their clock slot (in the key); older slots are never asked for
    // again and leave the LRU as new ones come in.
    ttl: Infinity,
    ttlPerSchemaCoordinate: NEVER_CACHED,
    // Over WebSocket there is no request (queries there are executed, not looked up).
    // A conditional request (If-None-Match) is answered 304 before onParams, that is
    // before a token is verified: only anonymous ones, so a bad token still gets its 401.
    enabled: (request) => request !== undefined && !badTokens.has(request) && (lookups.has(request) || !request.headers.has('authorization')),
    session: (request) => lookups.get(request)!.sessionId,
    buildResponseCacheKey: ({ request }) => lookups.get(request)!.key,
  });
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(singleFlight);
      addPlugin(responseCache);
    },
    onDispose: stopFollowing,
  };
}
