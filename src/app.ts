// Builds and starts the whole server from a validated configuration. Used by
// src/main.ts and by the tests, which start real servers on random ports.
import type { AppServices } from './app-services.js';
import { createTokenVerifier } from './auth/token-verifier.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import { openDatabase, type Database } from './db/client.js';
import { createFeedFetcher, FEED_FETCH_DEFAULTS } from './calendar/feed-fetcher.js';
import { createHttpServer } from './http/server.js';
import { createMeetingScheduler } from './meetings/meeting-scheduler.js';
import { createPlatformRegistry } from './meetings/platform-registry.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics } from './observability/metrics.js';
import { createAppPubSub } from './realtime/pubsub.js';
import { resolveSecrets } from './security/secrets.js';
import { createUrlCipher } from './security/url-cipher.js';
import { createFeedTester } from './sync/feed-test.js';
import { createFeedAnalyzer } from './sync/feed-workers.js';
import { createRoomSyncer } from './sync/room-sync.js';
import { createSyncScheduler } from './sync/sync-scheduler.js';

export interface StartOptions {
  config: Config;
  clock?: Clock;
  logger?: Logger;
}

export interface RunningApp {
  /** e.g. http://127.0.0.1:4000 */
  url: string;
  port: number;
  services: AppServices;
  database: Database;
  close(): Promise<void>;
}

export async function startApp({ config, clock = systemClock, logger = createLogger(config.logLevel) }: StartOptions): Promise<RunningApp> {
  const secrets = await resolveSecrets(config);
  if (secrets.usesDevJwtSecret) {
    logger.warn('No JWT_SECRET or JWT_JWKS_URL set: using the development secret in DATA_DIR (npm run token mints tokens for it)');
  }
  const database = await openDatabase(config.database, {
    poolSize: config.sync.concurrency + 10,
    logger,
    onLockLost: (error) => logger.error({ err: error }, 'lost the lock on the data directory: another process may open it'),
  });
  try {
    const applied = await database.migrate();
    logger.info({ engine: database.engine, applied }, applied.length ? 'database migrated' : 'database schema is up to date');
  } catch (error) {
    await database.close();
    throw error;
  }

  const urlCipher = createUrlCipher(secrets.icsEncryptionKey);
  const metrics = createMetrics({ db: database.db, clock });
  const pubsub = createAppPubSub({ redisUrl: config.redisUrl, metrics, logger });
  // The first subscriptions should find Redis connected; an outage does not stop the start.
  await pubsub.connected(5_000);
  const feedFetcher = createFeedFetcher({
    timeoutMs: config.ics.fetchTimeoutMs,
    maxBytes: config.ics.maxBytes,
    maxRedirects: FEED_FETCH_DEFAULTS.maxRedirects,
    allowPrivateNetworks: config.ics.allowPrivateNetworks,
    allowHttp: config.ics.allowHttp,
    userAgent: 'roomcal (+calendar sync)',
  });
  const feedAnalyzer = createFeedAnalyzer({ threads: config.sync.workerThreads, cacheBytes: config.sync.parsedFeedCacheBytes });
  const feedTester = createFeedTester({ fetcher: feedFetcher, analyzer: feedAnalyzer, clock, logger, config });
  const syncer = createRoomSyncer({ db: database.db, clock, logger, config, fetcher: feedFetcher, analyzer: feedAnalyzer, urlCipher, pubsub, metrics });
  const calendarSync = createSyncScheduler({ db: database.db, clock, logger, config, syncer });
  const platforms = createPlatformRegistry(config);
  const meetings = createMeetingScheduler({
    db: database.db,
    clock,
    logger,
    pubsub,
    platforms,
    precreateLeadMs: config.meetings.precreateLeadMs,
  });
  const services: AppServices = {
    db: database.db,
    config,
    logger,
    clock,
    urlCipher,
    pubsub,
    feedAnalyzer,
    feedTester,
    calendarSync,
    metrics,
    platforms,
    meetings,
  };
  /** What the services hold open, closed after the HTTP side (start-up failure or shutdown). */
  const closeServices = async () => {
    await feedFetcher.close();
    await feedAnalyzer.close();
    await pubsub.close();
    await database.close();
  };
  const http = createHttpServer(services, createTokenVerifier({ ...secrets.jwt, ...config.tokens }, clock));
  const address = await http.listen(config.port, config.host).catch(async (error: unknown) => {
    await http.close(0); // its WebSocket server and rate-limit Redis connection
    await closeServices();
    throw error;
  });
  if (config.sync.enabled) calendarSync.start();
  if (config.meetings.enabled) meetings.start(config.meetings.tickMs);
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host === '0.0.0.0' || host === '[::]' ? 'localhost' : host}:${address.port}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    port: address.port,
    services,
    database,
    close: () => {
      closing ??= (async () => {
        await calendarSync.stop(); // in-flight syncs finish and release their leases
        await meetings.stop();
        await http.close(config.shutdownTimeoutMs);
        await closeServices();
      })();
      return closing;
    },
  };
}
