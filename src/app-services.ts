import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Db } from './db/client.js';
import type { Logger } from './logger.js';
import type { MeetingScheduler } from './meetings/meeting-scheduler.js';
import type { PlatformRegistry } from './meetings/platform-registry.js';
import type { Metrics } from './observability/metrics.js';
import type { AppPubSub } from './realtime/pubsub.js';
import type { UrlCipher } from './security/url-cipher.js';
import type { FeedTester } from './sync/feed-test.js';
import type { FeedAnalyzer } from './sync/feed-workers.js';
import type { SyncScheduler } from './sync/sync-scheduler.js';

/** The long-lived pieces a request handler may use; built once in src/app.ts. */
export interface AppServices {
  db: Db;
  config: Config;
  logger: Logger;
  clock: Clock;
  urlCipher: UrlCipher;
  pubsub: AppPubSub;
  /** Worker threads that parse and expand feeds. */
  feedAnalyzer: FeedAnalyzer;
  /** The testIcsUrl use case. */
  feedTester: FeedTester;
  calendarSync: SyncScheduler;
  metrics: Metrics;
  platforms: PlatformRegistry;
  meetings: MeetingScheduler;
}
