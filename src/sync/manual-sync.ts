// The owner's "sync now" (the syncRoomCalendar mutation): at most one per
// room per MANUAL_SYNC_MIN_INTERVAL_SECONDS, then the room is synced at once
// unless a sync of it is already running.
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import type { Room } from '../generated/prisma/client.js';
import type { SyncReport } from './room-sync.js';
import type { SyncScheduler } from './sync-scheduler.js';

export type ManualSyncOutcome =
  | { kind: 'synced'; report: SyncReport }
  | { kind: 'not-enabled' }
  | { kind: 'rate-limited'; retryAfterSeconds: number };

export async function requestManualSync(
  deps: { db: Db; clock: Clock; config: Pick<Config, 'sync'>; calendarSync: SyncScheduler },
  room: Pick<Room, 'id' | 'icsEnabled' | 'icsUrlEncrypted'>,
): Promise<ManualSyncOutcome> {
  const { db, clock, config, calendarSync } = deps;
  if (!room.icsEnabled || !room.icsUrlEncrypted) return { kind: 'not-enabled' };
  const now = clock.now();
  const minInterval = config.sync.manualSyncMinIntervalMs;
  // Atomic check-and-set, so concurrent requests cannot both pass.
  const { count } = await db.room.updateMany({
    where: { id: room.id, OR: [{ icsManualSyncAt: null }, { icsManualSyncAt: { lte: new Date(now.getTime() - minInterval) } }] },
    data: { icsManualSyncAt: now },
  });
  if (count === 0) {
    const latest = await db.room.findUniqueOrThrow({ where: { id: room.id }, select: { icsManualSyncAt: true } });
    const retryAfterSeconds = Math.max(1, Math.ceil(((latest.icsManualSyncAt?.getTime() ?? 0) + minInterval - now.getTime()) / 1000));
    return { kind: 'rate-limited', retryAfterSeconds };
  }
  const report = await calendarSync.syncNow(room.id);
  return {
    kind: 'synced',
    report: report ?? { roomId: room.id, status: 'SKIPPED', error: 'A sync of this room is already running', durationMs: 0 },
  };
}
