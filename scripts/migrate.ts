// `npm run db:migrate`: applies pending migrations to the configured database
// (PGlite in DATA_DIR, or DATABASE_URL), as the server does at start-up.
import { ConfigError, loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';

try {
  const config = loadConfig();
  const database = await openDatabase(config.database);
  try {
    const applied = await database.migrate();
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database schema is up to date');
  } finally {
    await database.close();
  }
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : `migration failed: ${(error as Error).message}`);
  process.exit(1);
}
