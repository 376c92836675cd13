// The migration runner on Prisma's WASM schema engine, on both engines:
// fresh database, already migrated, and a failing migration.
import { cp, mkdtemp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/db/client.js';
import { createPGliteAdapterFactory } from '../../src/db/pglite-adapter.js';
import { applyPendingMigrations, defaultMigrationsDir, diffMigrationsToSchema, MigrationError } from '../../src/db/migrations.js';
import { createTestDatabase, engines, type TestDatabase } from '../support/databases.js';
import { startTestServer, TEST_ENCRYPTION_KEY, TEST_JWT_SECRET } from '../support/test-server.js';

describe.each(engines)('migrations on %s', (engine) => {
  let testDatabase: TestDatabase;
  let database: Database | undefined;
  afterEach(async () => {
    await database?.close();
    database = undefined;
    await testDatabase?.drop();
  });

  async function open(): Promise<Database> {
    testDatabase = await createTestDatabase(engine);
    const config = loadConfig({ DATA_DIR: testDatabase.dataDir, ICS_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, JWT_SECRET: TEST_JWT_SECRET, ...testDatabase.env });
    database = await openDatabase(config.database);
    return database;
  }

  it('applies every migration to a fresh database, records it, and is a no-op the second time', async () => {
    const db = await open();
    const folders = (await readdir(defaultMigrationsDir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    expect(await db.migrate()).toEqual(folders);
    const recorded = await db.db.$queryRaw<Array<{ migration_name: string; finished_at: Date | null }>>`
      SELECT migration_name, finished_at FROM _prisma_migrations ORDER BY migration_name`;
    expect(recorded.map((row) => row.migration_name)).toEqual(folders);
    expect(recorded.every((row) => row.finished_at !== null)).toBe(true);

    expect(await db.migrate()).toEqual([]);
    expect(await db.db.room.count()).toBe(0);
  });

  it('keeps data across a restart and applies only what is new', async () => {
    const db = await open();
    await db.migrate();
    await db.db.room.create({ data: { name: 'kept', ownerId: 'alice' } });

    const migrationsDir = await mkdtemp(path.join(tmpdir(), 'roomcal-migrations-'));
    try {
      await cp(defaultMigrationsDir, migrationsDir, { recursive: true });
      await mkdir(path.join(migrationsDir, '29990101000000_add_note'));
      await writeFile(path.join(migrationsDir, '29990101000000_add_note', 'migration.sql'), 'ALTER TABLE "Room" ADD COLUMN "note" TEXT;');
      expect(await applyPendingMigrations(db.adapterFactory, { migrationsDir })).toEqual(['29990101000000_add_note']);
      expect(await applyPendingMigrations(db.adapterFactory, { migrationsDir })).toEqual([]);
      expect(await db.db.room.count()).toBe(1);
    } finally {
      await rm(migrationsDir, { recursive: true, force: true });
    }
  });

  it('stops with a clear MigrationError when a migration fails', async () => {
    const db = await open();
    const migrationsDir = await mkdtemp(path.join(tmpdir(), 'roomcal-migrations-'));
    try {
      await cp(defaultMigrationsDir, migrationsDir, { recursive: true });
      await mkdir(path.join(migrationsDir, '29990101000000_broken'));
      await writeFile(path.join(migrationsDir, '29990101000000_broken', 'migration.sql'), 'ALTER TABLE "NoSuchTable" ADD COLUMN "x" TEXT;');
      const failure = await applyPendingMigrations(db.adapterFactory, { migrationsDir }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(MigrationError);
      expect((failure as Error).message).toMatch(/migration failed.*29990101000000_broken|NoSuchTable/is);
    } finally {
      await rm(migrationsDir, { recursive: true, force: true });
    }
  });
});

describe('schema.prisma and migrations', () => {
  it('agree: every schema change has a migration (npm run db:diff writes it)', async () => {
    const { PGlite } = await import('@electric-sql/pglite');
    const pglite = new PGlite();
    try {
      expect(await diffMigrationsToSchema(createPGliteAdapterFactory(pglite))).toBe('');
    } finally {
      await pglite.close();
    }
  });
});

describe('server start-up', () => {
  it('serves after migrating a fresh database, and starts again on the migrated one', async () => {
    const first = await startTestServer('pglite');
    const dataDir = first.app.services.config.dataDir;
    const keepDir = await mkdtemp(path.join(tmpdir(), 'roomcal-restart-'));
    try {
      await first.app.services.db.room.create({ data: { name: 'persisted', ownerId: 'alice' } });
      await first.app.close();
      await cp(dataDir, keepDir, { recursive: true });
      const second = await startTestServer('pglite', { env: { DATA_DIR: keepDir } });
      try {
        expect(await second.app.services.db.room.findUnique({ where: { name: 'persisted' } })).not.toBeNull();
      } finally {
        await second.close();
      }
    } finally {
      await first.close();
      await rm(keepDir, { recursive: true, force: true });
    }
  });
});
