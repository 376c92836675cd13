// One Prisma client for both storage engines, chosen by configuration:
// PGlite (PostgreSQL in WASM, data in a local folder) by default, PostgreSQL
// through @prisma/adapter-pg when DATABASE_URL is set.
import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { Config } from '../config.js';
import { PrismaClient } from '../generated/prisma/client.js';
import type { Logger } from '../logger.js';
import { lockDataDirectory } from './data-dir-lock.js';
import { withMigrationLock } from './migration-lock.js';
import { applyPendingMigrations } from './migrations.js';
import { createPGliteAdapterFactory } from './pglite-adapter.js';

export type Db = PrismaClient;

export interface Database {
  db: Db;
  engine: 'pglite' | 'postgres';
  adapterFactory: SqlMigrationAwareDriverAdapterFactory;
  /** Applies pending migrations; returns the names applied. */
  migrate(): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * A Prisma client on the adapter. With LOG_LEVEL=trace every SQL statement is
 * logged ("sql statement", with its duration): how many statements a request
 * costs is visible, and tested. Off otherwise, as Prisma's query events cost.
 * Error format "minimal": the others capture a stack trace (`new Error()`) on
 * every query to point their messages at the calling line, ≈ 2 % of a room
 * page's CPU; errors are logged with their own stack anyway.
 */
function prismaClient(adapter: SqlMigrationAwareDriverAdapterFactory, logger?: Logger): Db {
  if (!logger?.isLevelEnabled('trace')) return new PrismaClient({ adapter, errorFormat: 'minimal' });
  const db = new PrismaClient({ adapter, errorFormat: 'minimal', log: [{ emit: 'event', level: 'query' }] });
  db.$on('query', (event) => logger.trace({ sql: event.query, durationMs: event.duration }, 'sql statement'));
  return db as unknown as Db;
}

/**
 * `poolSize` (PostgreSQL): connections in the pool; the server asks for its
 * sync concurrency plus headroom for requests, so syncs never wait on each other
 * for a connection.
 */
export async function openDatabase(
  database: Config['database'],
  options: { poolSize?: number; onLockLost?: (error: Error) => void; logger?: Logger } = {},
): Promise<Database> {
  if (database.kind === 'postgres') {
    const adapterFactory = new PrismaPg({ connectionString: database.url, max: options.poolSize ?? 10 });
    const db = prismaClient(adapterFactory, options.logger);
    return {
      db,
      engine: 'postgres',
      adapterFactory,
      // One connection for the engine, so it releases its advisory lock on the
      // connection that took it; our own lock makes instances wait their turn.
      migrate: () =>
        withMigrationLock(database.url, () =>
          applyPendingMigrations(new PrismaPg({ connectionString: database.url, max: 1 })),
        ),
      close: () => db.$disconnect(),
    };
  }
  await mkdir(database.dataDir, { recursive: true });
  const unlock = await lockDataDirectory(database.dataDir, options.onLockLost);
  const pglite = await PGlite.create(database.dataDir).catch(async (error: unknown) => {
    await unlock();
    throw error;
  });
  const adapterFactory = createPGliteAdapterFactory(pglite);
  const db = prismaClient(adapterFactory, options.logger);
  let closing: Promise<void> | undefined;
  return {
    db,
    engine: 'pglite',
    adapterFactory,
    migrate: () => applyPendingMigrations(adapterFactory),
    close: () =>
      (closing ??= (async () => {
        await db.$disconnect();
        if (!pglite.closed) await pglite.close();
        await unlock();
      })()),
  };
}
