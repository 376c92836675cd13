// Subscription events. Topics carry ids only: subscribers re-load the row, so
// payloads stay small and survive a trip through Redis (JSON loses Date types)
// unchanged. With REDIS_URL every instance sees every instance's events;
// without it, events stay in this process.
import { AsyncLocalStorage } from 'node:async_hooks';
import { setMaxListeners } from 'node:events';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { GraphQLError } from 'graphql';
import { createPubSub } from 'graphql-yoga';
import { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { Metrics } from '../observability/metrics.js';

export type AppTopics = {
  'room:updated': [roomId: string, payload: { roomId: string }];
  'room:sync': [roomId: string, payload: { roomId: string; phase: 'STARTED' | 'FINISHED' }];
  /** A meeting of the room reached its start (published once per meeting). */
  'room:meeting-started': [roomId: string, payload: { meetingId: string }];
  /** The room's schedule changed: events synced, meetings created, moved or closed. */
  'room:schedule': [roomId: string, payload: { roomId: string }];
  /** The count travels with the event: a later change must not rewrite what this one reported. */
  'meeting:participants': [meetingId: string, payload: { meetingId: string; participantCount: number }];
};

/** One published event, as those who follow every change (the response cache) see it: its topic and room or meeting id. */
export interface Change {
  topic: keyof AppTopics;
  id: string;
}

/** Every event of every topic is also sent here, on one channel all instances listen to. */
const CHANGES = 'app:changes';
const ALL = 'all';

export interface AppPubSub {
  publish<K extends keyof AppTopics>(topic: K, id: AppTopics[K][0], payload: AppTopics[K][1]): void;
  /** Throws a SERVICE_UNAVAILABLE GraphQL error while Redis is unreachable. */
  subscribe<K extends keyof AppTopics>(topic: K, id: AppTopics[K][0]): AsyncIterableIterator<AppTopics[K][1]>;
  /** Calls `onChange` for every event any instance publishes, until the returned stop is called. */
  followChanges(onChange: (change: Change) => void): () => void;
  /** Why this instance cannot serve subscriptions (for /ready), or undefined when it can. */
  unavailable(): string | undefined;
  /** Resolves once Redis is connected, or after `timeoutMs` when it is not (the server starts anyway). */
  connected(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

const topicWatchers = new AsyncLocalStorage<(topic: string) => void>();

/** Runs `open`, telling `onTopic` the topic of each stream it subscribes to (shared executions count their subscribers by topic). */
export function watchTopics<T>(onTopic: (topic: string) => void, open: () => T): T {
  return topicWatchers.run(onTopic, open);
}

/** In-process events; one listener per distinct subscription, so a busy room has many, which is no leak. */
function unboundedEventTarget(): EventTarget {
  const target = new EventTarget();
  setMaxListeners(0, target);
  return target;
}

/** Counts the stream as open from subscribe until it ends, however it ends. */
function counted<T>(source: AsyncIterator<T>, onEnd: () => void): AsyncIterableIterator<T> {
  let ended = false;
  const end = () => {
    if (!ended) {
      ended = true;
      onEnd();
    }
  };
  return {
    next: async () => {
      const result = await source.next();
      if (result.done) end();
      return result;
    },
    return: async (value?: unknown) => {
      end();
      return source.return ? source.return(value) : { done: true, value: undefined };
    },
    throw: async (error?: unknown) => {
      end();
      if (source.throw) return source.throw(error);
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/**
 * One ioredis connection that never crashes or floods the log: commands fail
 * at once while Redis is unreachable (no offline queue that a later reconnect
 * would replay stale), and errors are logged once per outage, not per retry.
 * ioredis reconnects on its own (every 2 s at most) and re-subscribes.
 */
function redisConnection(url: string, role: 'publish' | 'subscribe', logger: Logger): Redis {
  const client = new Redis(url, { enableOfflineQueue: false, lazyConnect: false });
  let down = false;
  client.on('error', (error: Error) => {
    if (down) return;
    down = true;
    logger.error({ err: error, redis: role }, 'Redis unreachable: subscriptions across instances are paused until it is back');
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    logger.info({ redis: role }, 'Redis connection restored');
  });
  return client;
}

/** The calls the Redis event target makes, with failures logged instead of left unhandled (they crashed the process). */
function failSoft(client: Redis, logger: Logger): Redis {
  const logged = (command: string) => (error: Error) => logger.debug({ err: error, command }, 'Redis command failed');
  return {
    on: client.on.bind(client),
    publish: (channel: string, message: string) => client.publish(channel, message).catch(logged('publish')),
    subscribe: (channel: string) => client.subscribe(channel).catch(logged('subscribe')),
    unsubscribe: (channel: string) => client.unsubscribe(channel).catch(logged('unsubscribe')),
  } as unknown as Redis;
}

function liveUpdatesUnavailable(): GraphQLError {
  return new GraphQLError('Live updates are unavailable: the server cannot reach Redis. Retry in a moment.', {
    extensions: { code: 'SERVICE_UNAVAILABLE' },
  });
}

export function createAppPubSub(options: { redisUrl?: string; metrics: Metrics; logger: Logger }): AppPubSub {
  const redis = options.redisUrl
    ? {
        publishClient: redisConnection(options.redisUrl, 'publish', options.logger),
        subscribeClient: redisConnection(options.redisUrl, 'subscribe', options.logger),
      }
    : undefined;
  const redisReady = () => !redis || (redis.publishClient.status === 'ready' && redis.subscribeClient.status === 'ready');
  const eventTarget = redis
    ? createRedisEventTarget({
        publishClient: failSoft(redis.publishClient, options.logger),
        subscribeClient: failSoft(redis.subscribeClient, options.logger),
      })
    : unboundedEventTarget();
  const pubsub = createPubSub<AppTopics>({ eventTarget });
  // Yoga's conditional tuple types do not follow a generic K; every topic here is (id, payload).
  const untyped = pubsub as unknown as {
    publish(topic: string, id: string, payload: unknown): void;
    subscribe(topic: string, id: string): AsyncIterator<never>;
  };
  return {
    publish(topic, id, payload) {
      untyped.publish(topic, id, payload);
      untyped.publish(CHANGES, ALL, { topic, id } satisfies Change);
    },
    subscribe(topic, id) {
      // Without Redis a subscriber would silently miss other instances' events.
      if (!redisReady()) throw liveUpdatesUnavailable();
      options.metrics.subscriptionStarted(topic);
      topicWatchers.getStore()?.(topic);
      return counted(untyped.subscribe(topic, id), () => options.metrics.subscriptionEnded(topic));
    },
    followChanges(onChange) {
      // A listener on the event target itself, not a subscription stream: a stream
      // buffers at most 1,024 events, and a sync of many rooms publishes more at once.
      const listener = (event: Event) => onChange((event as CustomEvent<Change>).detail);
      const follow = () => eventTarget.addEventListener(`${CHANGES}:${ALL}`, listener);
      // A SUBSCRIBE sent while Redis is unreachable is dropped, not retried; once
      // subscribed, ioredis subscribes again by itself after each reconnect.
      const subscriber = redis?.subscribeClient;
      if (!subscriber || subscriber.status === 'ready') follow();
      else subscriber.once('ready', follow);
      return () => {
        subscriber?.off('ready', follow);
        eventTarget.removeEventListener(`${CHANGES}:${ALL}`, listener);
      };
    },
    unavailable: () => (redisReady() ? undefined : 'redis unreachable'),
    async connected(timeoutMs) {
      if (!redis) return;
      const clients = [redis.publishClient, redis.subscribeClient];
      const ready = clients.map((client) =>
        client.status === 'ready' ? undefined : new Promise<void>((resolve) => client.once('ready', () => resolve())),
      );
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
      await Promise.race([Promise.all(ready), timeout]);
      clearTimeout(timer);
    },
    async close() {
      if (!redis) return;
      await Promise.all(
        [redis.publishClient, redis.subscribeClient].map((client) =>
          client.status === 'ready' ? client.quit().then(() => undefined, () => client.disconnect()) : client.disconnect(),
        ),
      );
    },
  };
}
