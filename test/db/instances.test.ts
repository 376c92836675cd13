// Several instances deployed together on one fresh PostgreSQL database: they
// all start at the same moment, exactly one applies the migrations, the
// others wait their turn instead of timing out, and every one becomes ready.
import { readdir } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { defaultMigrationsDir } from '../../src/db/migrations.js';
import { createLogger } from '../../src/logger.js';
import { createTestDatabase, engines, type TestDatabase } from '../support/databases.js';
import { TEST_ENCRYPTION_KEY, TEST_JWT_SECRET } from '../support/test-server.js';

describe.runIf(engines.includes('postgres'))('instances started together on one PostgreSQL database', () => {
  let database: TestDatabase | undefined;
  let apps: RunningApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.map((app) => app.close()));
    apps = [];
    await database?.drop();
  });

  it.each([2, 5])('%i instances all become ready and the migrations run once', async (count) => {
    database = await createTestDatabase('postgres');
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: database.dataDir,
      JWT_SECRET: TEST_JWT_SECRET,
      ICS_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      SYNC_ENABLED: 'false',
      MEETINGS_ENABLED: 'false',
      SYNC_CONCURRENCY: '1',
      ...database.env,
    });
    const started = await Promise.allSettled(
      Array.from({ length: count }, () => startApp({ config, logger: createLogger('silent') })),
    );
    apps = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    expect(started.filter((result) => result.status === 'rejected')).toEqual([]);

    for (const app of apps) expect((await fetch(`${app.url}/ready`)).status).toBe(200);
    const folders = (await readdir(defaultMigrationsDir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    const recorded = await apps[0]!.services.db.$queryRaw<Array<{ migration_name: string }>>`
      SELECT migration_name FROM _prisma_migrations ORDER BY migration_name`;
    expect(recorded.map((row) => row.migration_name)).toEqual(folders);
  });
});
