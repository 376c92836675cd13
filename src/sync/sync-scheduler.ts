// Runs each enabled room's sync when it is due, at most `concurrency` at a
// time (p-limit). A room is claimed with a lease in the database before it is
// synced — `FOR UPDATE SKIP LOCKED` lets several server instances poll the
// same table without ever claiming the same room — so one room never syncs
// twice at once, here or anywhere else. Between rounds the scheduler sleeps
// until the next room is due (one query), at most SYNC_POLL_INTERVAL_MS, so an
// idle server does no work; a change of a room's schedule on this instance
// wakes it at once (wake()), one on another instance within that interval.
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
  /** A room's schedule changed (ICS enabled, URL or interval set): look for due rooms now. */
  wake(): void;
  /** Stops polling and waits for in-flight syncs to finish. */
  stop(): Promise<void>;
}

const MIN_SLEEP_MS = 200;

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
  let started = false;
  let round: Promise<void> | undefined;
  let wokenDuringRound = false;

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

  /** When the next room falls due: its next sync time, or a lease's end when it is leased; null when none is scheduled. */
  async function nextDueAt(): Promise<Date | null> {
    const [row] = await db.$queryRaw<Array<{ next: Date | null }>>`
      SELECT min(GREATEST("icsNextSyncAt", COALESCE("icsLeaseUntil", "icsNextSyncAt"))) AS "next" FROM "Room"
      WHERE "icsEnabled" AND "icsUrlEncrypted" IS NOT NULL AND "icsNextSyncAt" IS NOT NULL`;
    return row?.next ?? null;
  }

  function sleep(delayMs: number) {
    clearTimeout(timer);
    timer = setTimeout(runRound, Math.max(0, Math.min(delayMs, config.sync.pollIntervalMs)));
    timer.unref();
  }

  function runRound() {
    if (round) {
      wokenDuringRound = true; // run again once this round is over
      return;
    }
    round = (async () => {
      let delayMs: number = config.sync.pollIntervalMs;
      try {
        do {
          wokenDuringRound = false;
          await runDueSyncs();
        } while (wokenDuringRound);
        const next = await nextDueAt();
        // The floor keeps a room due but not claimable this very instant (a lease ending now) from spinning the loop.
        if (next) delayMs = Math.max(next.getTime() - clock.now().getTime(), MIN_SLEEP_MS);
      } catch (error) {
        logger.error({ err: error }, 'calendar sync round failed');
      }
      round = undefined;
      if (started) sleep(wokenDuringRound ? 0 : delayMs);
    })();
  }

  return {
    runDueSyncs,
    async syncNow(roomId) {
      const room = await claimRoom(roomId);
      return room ? runClaimed(room) : null;
    },
    start() {
      if (started) return;
      started = true;
      sleep(0);
    },
    wake() {
      if (!started) return;
      if (round) wokenDuringRound = true;
      else sleep(0);
    },
    async stop() {
      started = false;
      clearTimeout(timer);
      await round;
      await Promise.allSettled([...inFlight]);
    },
  };
}
