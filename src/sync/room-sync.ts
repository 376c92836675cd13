// One sync of one room's calendar (SPEC §3): fetch (conditional), parse,
// expand the window, keep the events that point at the room, reconcile the
// stored rows in one transaction, record and publish the outcome. Failures
// are recorded on the room and never touch its stored events.
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { expandCalendar, IcsParseError, parseCalendar, type CalendarInstance, type ParsedCalendar } from '../calendar/ics-expand.js';
import { FeedFetchError, type FeedFetcher } from '../calendar/feed-fetcher.js';
import { createRoomMatcher, eventRefersToRoom } from '../calendar/room-match.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import type { Prisma, Room, SyncOutcome } from '../generated/prisma/client.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { AppPubSub } from '../realtime/pubsub.js';
import type { UrlCipher } from '../security/url-cipher.js';
import { retryDelayMs } from './backoff.js';
import { ParsedFeedCache } from './parsed-feed-cache.js';
import { matchDigestOf } from './event-content.js';
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
  urlCipher: UrlCipher;
  pubsub: AppPubSub;
  metrics: Metrics;
}

export function windowAt(now: Date, sync: Config['sync']): { start: Date; end: Date } {
  return { start: new Date(now.getTime() - sync.windowPastMs), end: new Date(now.getTime() + sync.windowFutureMs) };
}

/** Instances of the window that are not cancelled, with the room's filter applied when one is given. */
export function expandForRoom(
  calendar: ParsedCalendar,
  window: { start: Date; end: Date },
  options: { defaultTimeZone: string; matcher?: ReturnType<typeof createRoomMatcher> },
): { inWindow: CalendarInstance[]; matched: CalendarInstance[] } {
  const inWindow = expandCalendar(calendar, window, { defaultTimeZone: options.defaultTimeZone }).filter(
    (instance) => instance.status !== 'CANCELLED',
  );
  const { matcher } = options;
  return { inWindow, matched: matcher ? inWindow.filter((instance) => eventRefersToRoom(matcher, instance)) : [] };
}

/** A message the room owner can act on; internal failures stay in the log. */
export function describeSyncError(error: unknown): string {
  if (error instanceof FeedFetchError || error instanceof IcsParseError) return error.message;
  return 'Internal error while syncing the calendar (logged on the server)';
}

export function createRoomSyncer(deps: RoomSyncDeps) {
  const { db, clock, logger, config, fetcher, urlCipher, pubsub, metrics } = deps;
  const parsedFeeds = new ParsedFeedCache(config.sync.parsedFeedCacheSize);

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

  async function calendarFor(roomId: string, hash: string, body: string | null): Promise<ParsedCalendar> {
    const cached = parsedFeeds.get(roomId, hash);
    if (cached) return cached;
    const text = body ?? (await storedBody(roomId));
    if (text === null) throw new Error('The stored feed body is missing');
    const calendar = parseCalendar(text);
    parsedFeeds.set(roomId, hash, calendar);
    return calendar;
  }

  async function recordFailure(room: Room, startedAt: Date, error: unknown): Promise<SyncReport> {
    const message = describeSyncError(error);
    const failures = room.icsFailureCount + 1;
    // One line per failed sync, so operators see which feeds fail and why.
    if (error instanceof FeedFetchError || error instanceof IcsParseError) {
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
      const calendar = await calendarFor(roomId, feed.hash, feed.body);
      const window = windowAt(startedAt, config.sync);
      const { inWindow, matched } = expandForRoom(calendar, window, {
        defaultTimeZone: config.ics.defaultTimeZone,
        matcher: createRoomMatcher(config.publicUrl, room.name),
      });
      const bodyGzip = feed.changed && feed.body !== null ? await gzipAsync(feed.body) : null;
      const status: SyncOutcome = feed.changed ? 'SUCCESS' : 'UNCHANGED';

      // Reads and planning happen outside the transaction; it holds only the
      // writes. When the kept instances are exactly those the last sync stored,
      // there is nothing to read either.
      const matchDigest = matchDigestOf(matched);
      const plan =
        matchDigest === room.icsLastMatchDigest
          ? emptyPlan()
          : await planReconcile(db, { roomId, instances: matched, now: startedAt, windowEnd: window.end });
      const { counts } = plan;
      const writeOutcome = async (client: Prisma.TransactionClient) => {
        const finishedAt = clock.now();
        await client.room.update({
          where: { id: roomId },
          data: {
            icsLastSync: finishedAt,
            icsLastStatus: status,
            icsLastError: null,
            icsLastDurationMs: finishedAt.getTime() - startedAt.getTime(),
            icsLastEtag: feed.etag,
            icsLastModified: feed.lastModified,
            icsLastHash: feed.hash,
            icsLastMatchDigest: matchDigest,
            icsEventsInFeed: calendar.eventCount,
            icsEventsInWindow: inWindow.length,
            icsEventsMatched: matched.length,
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
