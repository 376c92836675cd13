// Subscription events. Topics carry ids only: subscribers re-load the row, so
// payloads stay small and survive a trip through Redis (JSON loses Date types)
// unchanged. With REDIS_URL every instance sees every instance's events;
// without it, events stay in this process.
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub } from 'graphql-yoga';
import { Redis } from 'ioredis';
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

export interface AppPubSub {
  publish<K extends keyof AppTopics>(topic: K, id: AppTopics[K][0], payload: AppTopics[K][1]): void;
  subscribe<K extends keyof AppTopics>(topic: K, id: AppTopics[K][0]): AsyncIterableIterator<AppTopics[K][1]>;
  close(): Promise<void>;
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

export function createAppPubSub(options: { redisUrl?: string; metrics: Metrics }): AppPubSub {
  const redis = options.redisUrl
    ? { publishClient: new Redis(options.redisUrl), subscribeClient: new Redis(options.redisUrl) }
    : undefined;
  const pubsub = createPubSub<AppTopics>(redis ? { eventTarget: createRedisEventTarget(redis) } : {});
  // Yoga's conditional tuple types do not follow a generic K; every topic here is (id, payload).
  const untyped = pubsub as unknown as {
    publish(topic: string, id: string, payload: unknown): void;
    subscribe(topic: string, id: string): AsyncIterator<never>;
  };
  return {
    publish: (topic, id, payload) => untyped.publish(topic, id, payload),
    subscribe(topic, id) {
      options.metrics.subscriptionStarted(topic);
      return counted(untyped.subscribe(topic, id), () => options.metrics.subscriptionEnded(topic));
    },
    async close() {
      if (redis) await Promise.all([redis.publishClient.quit(), redis.subscribeClient.quit()]);
    },
  };
}
