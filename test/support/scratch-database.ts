// A throwaway database for one server: a fresh PGlite folder (copied from an
// initialized template when one is given: initdb takes ~8 s), or a fresh
// PostgreSQL database that `drop` removes. Used by the tests and benchmarks.
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

export type Engine = 'pglite' | 'postgres';

export interface ScratchDatabase {
  /** Environment for loadConfig: DATABASE_URL for PostgreSQL, nothing for PGlite. */
  env: Record<string, string>;
  dataDir: string;
  drop(): Promise<void>;
}

async function withAdmin<T>(adminUrl: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

export async function createScratchDatabase(
  engine: Engine,
  options: { prefix: string; postgresAdminUrl?: string | null; pgliteTemplateDir?: string },
): Promise<ScratchDatabase> {
  const dataDir = await mkdtemp(path.join(tmpdir(), `${options.prefix}-`));
  const removeDataDir = () => rm(dataDir, { recursive: true, force: true });
  if (engine === 'pglite') {
    // The server keeps PGlite data in DATA_DIR/pglite (src/config.ts).
    if (options.pgliteTemplateDir) await cp(options.pgliteTemplateDir, path.join(dataDir, 'pglite'), { recursive: true });
    return { env: {}, dataDir, drop: removeDataDir };
  }
  const adminUrl = options.postgresAdminUrl;
  if (!adminUrl) throw new Error('PostgreSQL is not available in this run');
  const name = `${options.prefix.replace(/\W/g, '_')}_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    env: { DATABASE_URL: url.toString() },
    dataDir,
    drop: async () => {
      await withAdmin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      await removeDataDir();
    },
  };
}
