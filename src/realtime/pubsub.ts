// Topics carry ids only: subscribers re-load the row, so payloads stay small
// and survive a trip through Redis (JSON loses Date types) unchanged.
import { createPubSub, type PubSub } from 'graphql-yoga';

export type AppTopics = {
  'room:updated': [roomId: string, payload: { roomId: string }];
  'room:sync': [roomId: string, payload: { roomId: string; phase: 'STARTED' | 'FINISHED' }];
};

export type AppPubSub = PubSub<AppTopics>;

export function createInProcessPubSub(): AppPubSub {
  return createPubSub<AppTopics>();
}
