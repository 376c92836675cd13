// Each test server gets a database of its own (see scratch-database.ts).
import { inject } from 'vitest';
import { createScratchDatabase, type Engine, type ScratchDatabase } from './scratch-database.js';

export type { Engine };
export type TestDatabase = ScratchDatabase;

/** The engines this run tests: PGlite always, PostgreSQL when reachable (always in CI). */
export const engines: Engine[] = inject('postgresAdminUrl') ? ['pglite', 'postgres'] : ['pglite'];

export function createTestDatabase(engine: Engine): Promise<TestDatabase> {
  return createScratchDatabase(engine, {
    prefix: 'roomcal-test',
    postgresAdminUrl: inject('postgresAdminUrl'),
    pgliteTemplateDir: inject('pgliteTemplateDir'),
  });
}
