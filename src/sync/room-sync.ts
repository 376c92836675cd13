// One sync of one room's calendar (SPEC §3): fetch (conditional), parse,
// expand the window and keep the events that point at the room (in a worker
// thread, feed-workers.ts), at most SYNC_MAX_EVENTS_PER_ROOM of them, reconcile
// the stored rows in one transaction, record and publish the outcome. Failures
// are recorded on the room and never touch its stored events.
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import type { ExpandWindow } from '../calendar/calendar-types.js';
import { FeedError, feedFailureOf } from '../calendar/feed-errors.js';
import type { FeedFetcher } from '../calendar/feed-fetcher.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import type { Prisma, Room, SyncOutcome } from '../generated/prisma/client.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { AppPubSub } from '../realtime/pubsub.js';
import type { UrlCipher } from '../security/url-cipher.js';
import { retryDelayMs } from './backoff.js';
import type { AnalyzedFeed, FeedAnalyzer } from './feed-workers.js';
import { applyReconcile, emptyPlan, hasChanges, planReconcile } from './reconcile-events.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

export interface SyncReport {
  roomId: string;
  status: SyncOutcome;
  error: string | null;
  durationMs: number;
}

export interface RoomSyncDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  config: Pick<Config, 'publicUrl' | 'ics' | 'sync'>;
  fetcher: FeedFetcher;
  analyzer: FeedAnalyzer;
  urlCipher: UrlCipher;
  pubsub: AppPubSub;
  metrics: Metrics;
}

export function windowAt(now: Date, sync: Pick<Config['sync'], 'windowPastMs' | 'windowFutureMs'>): ExpandWindow {
  return { start: new Date(now.getTime() - sync.windowPastMs), end: new Date(now.getTime() + sync.windowFutureMs) };
}

/**
 * Said to the owner of a room whose feed points more instances at it than
 * are kept: the sync succeeded, with the earliest SYNC_MAX_EVENTS_PER_ROOM.
 */
function capWarning(analysis: AnalyzedFeed): string | null {
  if (analysis.eventsMatched <= analysis.eventsKept) return null;
  return (
    `${analysis.eventsMatched} events of the sync window point at this room; only the first ${analysis.eventsKept} ` +
    'by start time are kept (the server stores at most that many per room)'
  );
}

export function createRoomSyncer(deps: RoomSyncDeps) {
  const { db, clock, logger, config, fetcher, analyzer, urlCipher, pubsub, metrics } = deps;

  async function storedBody(roomId: string): Promise<string | null> {
    const snapshot = await db.icsFeedSnapshot.findUnique({ where: { roomId } });
    return snapshot ? (await gunzipAsync(snapshot.bodyGzip)).toString('utf8') : null;
  }

  async function loadFeed(room: Room): Promise<{ body: string | null; hash: string; changed: boolean; etag: string | null; lastModified: string | null }> {
    const url = urlCipher.decrypt(room.icsUrlEncrypted!);
    // Validators are only worth sending when we still have the body they refer to.
    const conditional = room.icsLastHash ? { etag: room.icsLastEtag, lastModified: room.icsLastModified } : {};
    const result = await fetcher.fetch(url, conditional);
    if (result.kind === 'not-modified') {
      return { body: null, hash: room.icsLastHash!, changed: false, etag: room.icsLastEtag, lastModified: room.icsLastModified };
    }
    const hash = createHash('sha256').update(result.body).digest('hex');
    return { body: result.body, hash, changed: hash !== room.icsLastHash, etag: result.etag, lastModified: result.lastModified };
  }

  /**
   * The feed's instances for the room, from a worker thread. An unchanged feed
   * whose parse is no longer cached there is read from its stored snapshot.
   */
  function analyze(room: Room, feed: { hash: string; body: string | null }, window: ExpandWindow): Promise<AnalyzedFeed> {
    const job = {
      roomId: room.id,
      hash: feed.hash,
      window,
      defaultTimeZone: config.ics.defaultTimeZone,
      room: { publicUrl: config.publicUrl, name: room.name },
      maxMatched: config.sync.maxEventsPerRoom,
      knownMatchDigest: room.icsLastMatchDigest,
    };
    if (feed.body !== null) return analyzer.analyze({ ...job, text: feed.body });
    return analyzer.analyzeUnchanged(job, async () => {
      const text = await storedBody(room.id);
      if (text === null) throw new Error('The stored feed body is missing');
      return text;
    });
  }

  async function recordFailure(room: Room, startedAt: Date, error: unknown): Promise<SyncReport> {
    // A message the room owner can act on; internal failures stay in the log.
    const { message } = feedFailureOf(error);
    const failures = room.icsFailureCount + 1;
    // One line per failed sync, so operators see which feeds fail and why.
    if (error instanceof FeedError) {
      logger.warn({ roomId: room.id, room: room.name, reason: message, failures }, 'calendar sync failed');
    } else {
      logger.error({ err: error, roomId: room.id, room: room.name, failures }, 'calendar sync failed unexpectedly');
    }
    const finishedAt = clock.now();
    const durationMs = finishedAt.getTime() - startedAt.getTime();
    await db.room.update({
      where: { id: room.id },
      data: {
        icsLastSync: finishedAt,
        icsLastStatus: 'ERROR',
        icsLastError: message,
        icsLastDurationMs: durationMs,
        icsFailureCount: failures,
        icsNextSyncAt: new Date(finishedAt.getTime() + retryDelayMs(room.icsFetchInterval, failures)),
        icsLeaseOwner: null,
        icsLeaseUntil: null,
      },
    });
    return { roomId: room.id, status: 'ERROR', error: message, durationMs };
  }

  /**
   * Syncs one room, as read when its lease was taken (sync-scheduler.ts): no
   * other sync of this room runs meanwhile, here or on another instance.
   */
  async function syncRoom(room: Room): Promise<SyncReport> {
    const startedAt = clock.now();
    const roomId = room.id;
    if (!room.icsEnabled || !room.icsUrlEncrypted) {
      await db.room.update({ where: { id: roomId }, data: { icsLeaseOwner: null, icsLeaseUntil: null } });
      return { roomId, status: 'SKIPPED', error: 'Calendar sync is not enabled for this room', durationMs: 0 };
    }
    pubsub.publish('room:sync', roomId, { roomId, phase: 'STARTED' });
    let report: SyncReport;
    try {
      const feed = await loadFeed(room);
      const window = windowAt(startedAt, config.sync);
      const analysis = await analyze(room, feed, window);
      const bodyGzip = feed.changed && feed.body !== null ? await gzipAsync(feed.body) : null;
      const status: SyncOutcome = feed.changed ? 'SUCCESS' : 'UNCHANGED';

      // Reads and planning happen outside the transaction; it holds only the
      // writes. When the kept instances are exactly those the last sync stored
      // (the worker then sends none back), there is nothing to read either.
      const plan =
        analysis.matched === null
          ? emptyPlan()
          : await planReconcile(db, { roomId, instances: analysis.matched, now: startedAt, windowEnd: window.end });
      const { counts } = plan;
      const writeOutcome = async (client: Prisma.TransactionClient) => {
        const finishedAt = clock.now();
        await client.room.update({
          where: { id: roomId },
          select: { id: true }, // not the whole row back: nothing reads it
          data: {
            icsLastSync: finishedAt,
            icsLastStatus: status,
            icsLastError: capWarning(analysis),
            icsLastDurationMs: finishedAt.getTime() - startedAt.getTime(),
            icsLastEtag: feed.etag,
            icsLastModified: feed.lastModified,
            icsLastHash: feed.hash,
            icsLastMatchDigest: analysis.matchDigest,
            icsEventsInFeed: analysis.eventsInFeed,
            icsEventsInWindow: analysis.eventsInWindow,
            icsEventsMatched: analysis.eventsMatched,
            icsEventsCreated: counts.created,
            icsEventsUpdated: counts.updated,
            icsEventsDeleted: counts.deleted,
            icsEventsRestored: counts.restored,
            icsFailureCount: 0,
            icsNextSyncAt: new Date(startedAt.getTime() + room.icsFetchInterval * 1000),
            icsLeaseOwner: null,
            icsLeaseUntil: null,
          },
        });
      };
      if (hasChanges(plan) || bodyGzip) {
        await db.$transaction(async (tx) => {
          await applyReconcile(tx, plan, roomId, startedAt);
          if (bodyGzip) {
            const snapshot = { bodyGzip: new Uint8Array(bodyGzip), bodyHash: feed.hash, fetchedAt: startedAt };
            await tx.icsFeedSnapshot.upsert({ where: { roomId }, create: { roomId, ...snapshot }, update: snapshot });
          }
          await writeOutcome(tx);
        });
      } else {
        await writeOutcome(db);
      }
      if (counts.created + counts.updated + counts.deleted + counts.restored > 0) {
        pubsub.publish('room:schedule', roomId, { roomId });
      }
      report = { roomId, status, error: null, durationMs: clock.now().getTime() - startedAt.getTime() };
    } catch (error) {
      report = await recordFailure(room, startedAt, error);
    }
    metrics.recordSync(report.status, report.durationMs);
    pubsub.publish('room:sync', roomId, { roomId, phase: 'FINISHED' });
    return report;
  }

  return { syncRoom };
}

export type RoomSyncer = ReturnType<typeof createRoomSyncer>;
