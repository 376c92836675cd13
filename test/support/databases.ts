// Each test server gets a database of its own: a fresh PGlite folder, or a
// fresh PostgreSQL database dropped when the server stops.
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';

export type Engine = 'pglite' | 'postgres';

/** The engines this run tests: PGlite always, PostgreSQL when reachable (always in CI). */
export const engines: Engine[] = inject('postgresAdminUrl') ? ['pglite', 'postgres'] : ['pglite'];

export interface TestDatabase {
  env: Record<string, string>;
  dataDir: string;
  drop(): Promise<void>;
}

async function withAdmin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const adminUrl = inject('postgresAdminUrl');
  if (!adminUrl) throw new Error('PostgreSQL is not available in this run');
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(engine: Engine): Promise<TestDatabase> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'roomcal-test-'));
  if (engine === 'pglite') {
    // The server keeps PGlite data in DATA_DIR/pglite (src/config.ts).
    await cp(inject('pgliteTemplateDir'), path.join(dataDir, 'pglite'), { recursive: true });
    return { env: {}, dataDir, drop: () => rm(dataDir, { recursive: true, force: true }) };
  }
  const name = `roomcal_test_${randomBytes(6).toString('hex')}`;
  await withAdmin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(inject('postgresAdminUrl')!);
  url.pathname = `/${name}`;
  return {
    env: { DATABASE_URL: url.toString() },
    dataDir,
    drop: async () => {
      await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
