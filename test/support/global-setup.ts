// Prepares what every test file shares: an initialized PGlite folder to copy
// (PGlite's initdb takes ~8 s here, a copy well under 1 s), and whether the
// PostgreSQL tests can run. Outside CI an
// unreachable server skips them with a message; in CI (.ci/run starts it)
// an unreachable server fails the run, so PostgreSQL is never silently untested.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { TestProject } from 'vitest/node';
import { Redis } from 'ioredis';
import pg from 'pg';

export const DEFAULT_TEST_REDIS_URL = 'redis://127.0.0.1:6379';
export const DEFAULT_TEST_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresAdminUrl: string | null;
    redisUrl: string | null;
    /** An initialized, empty PGlite data folder; copy it, never open it in place. */
    pgliteTemplateDir: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const templateRoot = await mkdtemp(path.join(tmpdir(), 'roomcal-pglite-template-'));
  const templateDir = path.join(templateRoot, 'pglite');
  const template = await PGlite.create(templateDir);
  await template.close();
  project.provide('pgliteTemplateDir', templateDir);
  await checkPostgres(project);
  await checkRedis(project);
  return () => rm(templateRoot, { recursive: true, force: true });
}

async function checkPostgres(project: TestProject): Promise<void> {
  const url = process.env.TEST_POSTGRES_URL ?? DEFAULT_TEST_POSTGRES_URL;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    project.provide('postgresAdminUrl', url);
  } catch (error) {
    if (process.env.CI) throw new Error(`PostgreSQL is required in CI but unreachable at ${url}: ${(error as Error).message}`);
    console.warn(`\n[roomcal tests] PostgreSQL unreachable at ${url} (${(error as Error).message}): PostgreSQL tests are SKIPPED.\n`);
    project.provide('postgresAdminUrl', null);
  } finally {
    await client.end().catch(() => {});
  }
}

async function checkRedis(project: TestProject): Promise<void> {
  const url = process.env.TEST_REDIS_URL ?? DEFAULT_TEST_REDIS_URL;
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 3000, retryStrategy: () => null });
  try {
    await client.connect();
    await client.ping();
    project.provide('redisUrl', url);
  } catch (error) {
    if (process.env.CI) throw new Error(`Redis is required in CI but unreachable at ${url}: ${(error as Error).message}`);
    console.warn(`\n[roomcal tests] Redis unreachable at ${url} (${(error as Error).message}): Redis tests are SKIPPED.\n`);
    project.provide('redisUrl', null);
  } finally {
    client.disconnect();
  }
}
