// Per-client rate limits (README "Limits"): mutations per user (per IP when
// anonymous), a stricter bucket for mutations that fetch feeds or create
// things, WebSocket connections per IP and operations per WebSocket. Counters
// live in Redis when REDIS_URL is set, so every instance shares them; when
// Redis cannot answer, an in-memory limiter keeps limiting on this instance.
import type { IncomingMessage } from 'node:http';
import { getOperationAST, GraphQLError, Kind, type DocumentNode, type SelectionSetNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Config } from '../config.js';
import type { Viewer } from '../auth/viewer.js';

/** Mutations that fetch a feed, create rooms or create meetings on the video platform. */
const EXPENSIVE_MUTATIONS = new Set(['testIcsUrl', 'createRoom', 'createMeeting', 'syncRoomCalendar']);

export interface RateLimits {
  mutations: RateLimiterAbstract;
  expensiveMutations: RateLimiterAbstract;
  websocketConnections: RateLimiterAbstract;
  subscriptions: RateLimiterAbstract;
  close(): Promise<void>;
}

export function createRateLimits(config: Pick<Config, 'limits' | 'redisUrl'>): RateLimits {
  const { rate } = config.limits;
  // Commands wait for the first connection, but fail within a second while Redis is away,
  // so the in-memory insurance answers instead of requests hanging.
  const redis = config.redisUrl ? new Redis(config.redisUrl, { commandTimeout: 1000, maxRetriesPerRequest: 1 }) : undefined;
  redis?.on('error', () => {}); // the insurance limiter covers outages; pubsub logs Redis trouble already
  const options = (name: string, points: number) => ({ keyPrefix: `${rate.redisPrefix}:${name}`, points, duration: rate.windowSeconds });
  const limiter = (name: string, points: number): RateLimiterAbstract => {
    const memory = new RateLimiterMemory(options(name, points));
    return redis ? new RateLimiterRedis({ ...options(name, points), storeClient: redis, insuranceLimiter: memory }) : memory;
  };
  return {
    mutations: limiter('mutations', rate.mutations),
    expensiveMutations: limiter('expensive-mutations', rate.expensiveMutations),
    websocketConnections: limiter('ws-connections', rate.websocketConnections),
    // A connection lives on one instance: its counter needs no Redis round trip.
    subscriptions: new RateLimiterMemory(options('ws-operations', rate.subscriptions)),
    close: async () => {
      if (redis) await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** Consumes points; resolves to the seconds to wait when the limit is reached, or null. */
export async function retryAfterSeconds(limiter: RateLimiterAbstract, key: string, points = 1): Promise<number | null> {
  try {
    await limiter.consume(key, points);
    return null;
  } catch (refusal) {
    if (refusal instanceof RateLimiterRes) return Math.max(1, Math.ceil(refusal.msBeforeNext / 1000));
    throw refusal;
  }
}

export function rateLimitedError(what: string, retryAfter: number): GraphQLError {
  return new GraphQLError(`Too many ${what}: try again in ${retryAfter} s`, {
    extensions: {
      code: 'RATE_LIMITED',
      retryAfterSeconds: retryAfter,
      http: { status: 429, headers: { 'Retry-After': String(retryAfter) } },
    },
  });
}

/**
 * The caller's address: the socket's peer, or behind a reverse proxy
 * (TRUST_PROXY) the address that proxy appended last to X-Forwarded-For.
 */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  const forwarded = req.headers['x-forwarded-for'];
  if (trustProxy && typeof forwarded === 'string') {
    const last = forwarded.split(',').at(-1)?.trim();
    if (last) return last;
  }
  return req.socket.remoteAddress ?? 'unknown';
}

/** Signed-in callers are limited per user, anonymous ones per address. */
function clientKey(viewer: Viewer | null, address: string): string {
  return viewer ? `user:${viewer.userId}` : `ip:${address}`;
}

/** Root field names of the operation, through inline fragments and fragment spreads. */
function rootFieldNames(document: DocumentNode, selectionSet: SelectionSetNode): string[] {
  return selectionSet.selections.flatMap((selection) => {
    if (selection.kind === Kind.FIELD) return [selection.name.value];
    if (selection.kind === Kind.INLINE_FRAGMENT) return rootFieldNames(document, selection.selectionSet);
    const fragment = document.definitions.find(
      (definition) => definition.kind === Kind.FRAGMENT_DEFINITION && definition.name.value === selection.name.value,
    );
    return fragment?.kind === Kind.FRAGMENT_DEFINITION ? rootFieldNames(document, fragment.selectionSet) : [];
  });
}

/**
 * Every mutation root field costs one point of the caller's mutation bucket,
 * expensive ones a point of the stricter bucket too. An operation over either
 * limit is refused whole, before any of its fields runs.
 */
export function useMutationRateLimit(limits: RateLimits): Plugin<{ viewer?: Viewer | null; clientIp?: string }> {
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation !== 'mutation') return;
      const fields = rootFieldNames(args.document, operation.selectionSet);
      const key = clientKey(args.contextValue.viewer ?? null, args.contextValue.clientIp ?? 'unknown');
      const expensive = fields.filter((field) => EXPENSIVE_MUTATIONS.has(field)).length;
      const wait =
        (await retryAfterSeconds(limits.mutations, key, fields.length)) ??
        (expensive > 0 ? await retryAfterSeconds(limits.expensiveMutations, key, expensive) : null);
      if (wait !== null) setResultAndStopExecution({ errors: [rateLimitedError('mutations', wait)] });
    },
  };
}
