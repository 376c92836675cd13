// Writes a new migration from the difference between prisma/migrations and
// prisma/schema.prisma: `npm run db:diff -- add_meeting_slots`.
// Runs on an in-memory PGlite, so no database server is needed.
import { mkdir, writeFile, access } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { createPGliteAdapterFactory } from '../src/db/pglite-adapter.js';
import { defaultMigrationsDir, diffMigrationsToSchema } from '../src/db/migrations.js';

const name = process.argv[2];
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error('usage: npm run db:diff -- <name>   (lower-case letters, digits and _)');
  process.exit(2);
}

const pglite = new PGlite();
const sql = await diffMigrationsToSchema(createPGliteAdapterFactory(pglite));
await pglite.close();
if (sql.trim() === '') {
  console.log('schema.prisma matches the migrations: nothing to write.');
  process.exit(0);
}

const timestamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
const folder = path.join(defaultMigrationsDir, `${timestamp}_${name}`);
await mkdir(folder, { recursive: true });
await writeFile(path.join(folder, 'migration.sql'), sql);
const lockfile = path.join(defaultMigrationsDir, 'migration_lock.toml');
await access(lockfile).catch(() =>
  writeFile(lockfile, '# Do not edit: written by scripts/migration-diff.ts\nprovider = "postgresql"\n'),
);
console.log(`wrote ${path.relative(process.cwd(), folder)}/migration.sql`);
