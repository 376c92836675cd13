// Runs each enabled room's sync when it is due, at most `concurrency` at a
// time (p-limit). A room is claimed with a lease in the database before it is
// synced — `FOR UPDATE SKIP LOCKED` lets several server instances poll the
// same table without ever claiming the same room — so one room never syncs
// twice at once, here or anywhere else.
import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import type { Room } from '../generated/prisma/client.js';
import type { Logger } from '../logger.js';
import type { RoomSyncer, SyncReport } from './room-sync.js';

export interface SyncScheduler {
  /** Claims and syncs every room due now; resolves when they are done. */
  runDueSyncs(): Promise<SyncReport[]>;
  /** Syncs one room now (owner's manual sync); null when a sync of it is already running. */
  syncNow(roomId: string): Promise<SyncReport | null>;
  start(): void;
  /** Stops polling and waits for in-flight syncs to finish. */
  stop(): Promise<void>;
}

export function createSyncScheduler(deps: {
  db: Db;
  clock: Clock;
  logger: Logger;
  config: Pick<Config, 'sync' | 'ics'>;
  syncer: RoomSyncer;
}): SyncScheduler {
  const { db, clock, logger, config, syncer } = deps;
  const instanceId = randomUUID();
  const limit = pLimit(config.sync.concurrency);
  // A crashed instance's lease expires after the longest a sync can take.
  const leaseMs = config.ics.fetchTimeoutMs + 60_000;
  const inFlight = new Set<Promise<unknown>>();
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<unknown> | undefined;

  // Claims return the whole rows, so a sync does not read its room again.
  async function claimDueRooms(max: number): Promise<Room[]> {
    const now = clock.now();
    const leaseUntil = new Date(now.getTime() + leaseMs);
    return db.$queryRaw<Room[]>`
      UPDATE "Room" SET "icsLeaseOwner" = ${instanceId}, "icsLeaseUntil" = ${leaseUntil}
      WHERE "id" IN (
        SELECT "id" FROM "Room"
        WHERE "icsEnabled" AND "icsUrlEncrypted" IS NOT NULL AND "icsNextSyncAt" <= ${now}
          AND ("icsLeaseUntil" IS NULL OR "icsLeaseUntil" < ${now})
        ORDER BY "icsNextSyncAt"
        LIMIT ${max}
        FOR UPDATE SKIP LOCKED)
      RETURNING *`;
  }

  async function claimRoom(roomId: string): Promise<Room | undefined> {
    const now = clock.now();
    const [room] = await db.$queryRaw<Room[]>`
      UPDATE "Room" SET "icsLeaseOwner" = ${instanceId}, "icsLeaseUntil" = ${new Date(now.getTime() + leaseMs)}
      WHERE "id" = ${roomId}::uuid AND ("icsLeaseUntil" IS NULL OR "icsLeaseUntil" < ${now})
      RETURNING *`;
    return room;
  }

  function track<T>(work: Promise<T>): Promise<T> {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work)).catch(() => {});
    return work;
  }

  function runClaimed(room: Room): Promise<SyncReport> {
    return track(
      limit(() => syncer.syncRoom(room)).catch((error: unknown) => {
        logger.error({ err: error, roomId: room.id }, 'calendar sync could not record its outcome');
        return { roomId: room.id, status: 'ERROR' as const, error: 'Internal error while syncing the calendar', durationMs: 0 };
      }),
    );
  }

  async function runDueSyncs(): Promise<SyncReport[]> {
    const reports: SyncReport[] = [];
    // Claim in batches so a large backlog is not leased long before it runs.
    for (;;) {
      const batch = await claimDueRooms(config.sync.concurrency * 4);
      if (batch.length === 0) return reports;
      reports.push(...(await Promise.all(batch.map(runClaimed))));
    }
  }

  return {
    runDueSyncs,
    async syncNow(roomId) {
      const room = await claimRoom(roomId);
      return room ? runClaimed(room) : null;
    },
    start() {
      if (timer) return;
      timer = setInterval(() => {
        if (polling) return; // the previous round is still running
        polling = runDueSyncs()
          .catch((error: unknown) => logger.error({ err: error }, 'calendar sync round failed'))
          .finally(() => (polling = undefined));
      }, config.sync.pollIntervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await polling;
      await Promise.allSettled([...inFlight]);
    },
  };
}
