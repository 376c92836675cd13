// Instances started together on one PostgreSQL database take turns to migrate.
//
// Prisma's schema engine takes its own advisory lock but gives up after 10 s,
// so a fifth instance waiting behind four slow ones failed to start. We take a
// lock of our own first, on one dedicated connection (a session lock is owned
// by the connection that took it), and wait for it as long as it takes: the
// engine's lock is then always free when the engine asks for it.
import pg from 'pg';

/** Distinct from the engine's key (72707369), which it takes inside ours. */
const ROOMCAL_MIGRATION_LOCK_KEY = 7_270_736_901;

export async function withMigrationLock<T>(connectionString: string, run: () => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [ROOMCAL_MIGRATION_LOCK_KEY]);
    try {
      return await run();
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [ROOMCAL_MIGRATION_LOCK_KEY]);
    }
  } finally {
    await client.end();
  }
}
