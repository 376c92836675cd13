// Applies and writes Prisma migrations with Prisma's WASM schema engine.
//
// The native schema engine that `prisma migrate` runs cannot be downloaded on
// our machines or CI (see README "Migrations"). The WASM build of the same
// engine reads the same `prisma/migrations/<timestamp>_<name>/migration.sql`
// folders and records them in `_prisma_migrations` exactly as
// `prisma migrate deploy` does, through the driver adapter we already use.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as engineBindings from '@prisma/schema-engine-wasm/schema_engine_bg';
import type { MigrationList, SchemaEngine } from '@prisma/schema-engine-wasm';
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
export const defaultMigrationsDir = path.join(projectRoot, 'prisma', 'migrations');
export const defaultSchemaPath = path.join(projectRoot, 'prisma', 'schema.prisma');

export class MigrationError extends Error {
  override name = 'MigrationError';
}

let wasmLoaded: Promise<void> | undefined;

/**
 * The engine arms a 10 s timer for each advisory-lock wait and never clears
 * it (its bindings import setTimeout but not clearTimeout): `npm run
 * db:migrate` lingered 10 s after finishing. Unref'd, the timers still fire
 * while the process has work, and no longer keep an idle one alive.
 */
function withUnrefTimers(bindings: object): WebAssembly.ModuleImports {
  const timers = Object.entries(bindings).filter(([name]) => name.startsWith('__wbg_setTimeout_'));
  return {
    ...(bindings as WebAssembly.ModuleImports),
    ...Object.fromEntries(
      timers.map(([name, setTimer]) => [
        name,
        (...args: unknown[]) => (setTimer as (...a: unknown[]) => NodeJS.Timeout)(...args).unref(),
      ]),
    ),
  };
}

/** Instantiates the engine's WASM module once per process. */
function loadSchemaEngineWasm(): Promise<void> {
  wasmLoaded ??= (async () => {
    const bindingsUrl = import.meta.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const wasmBytes = await readFile(new URL('./schema_engine_bg.wasm', bindingsUrl));
    const module = await WebAssembly.compile(wasmBytes);
    const instance = await WebAssembly.instantiate(module, { './schema_engine_bg.js': withUnrefTimers(engineBindings) });
    const bindings = engineBindings as unknown as { __wbg_set_wasm(exports: WebAssembly.Exports): void };
    bindings.__wbg_set_wasm(instance.exports);
    const start = instance.exports.__wbindgen_start;
    if (typeof start === 'function') start();
  })();
  return wasmLoaded;
}

/** Disposes an adapter once, however many times it is asked to. */
function disposedOnce(adapter: SqlDriverAdapter): SqlDriverAdapter {
  let disposing: Promise<void> | undefined;
  return Object.assign(Object.create(adapter) as SqlDriverAdapter, {
    dispose: () => (disposing ??= adapter.dispose()),
  });
}

/**
 * An engine and the connections it opened. `engine.free()` does not close
 * them: the pool left behind kept the engine's advisory lock (taken and
 * released on different pooled connections) until pg's 10 s idle timeout, so
 * the next instance or `npm run db:migrate` waited or timed out.
 */
async function openEngine(
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  schemaPath: string,
  onLog: (message: string) => void,
): Promise<{ engine: SchemaEngine; close(): Promise<void> }> {
  await loadSchemaEngineWasm();
  const schema = await readFile(schemaPath, 'utf8');
  const opened: SqlDriverAdapter[] = [];
  const track = (adapter: SqlDriverAdapter) => {
    const once = disposedOnce(adapter);
    opened.push(once);
    return once;
  };
  const tracking: SqlMigrationAwareDriverAdapterFactory = {
    provider: adapterFactory.provider,
    adapterName: adapterFactory.adapterName,
    connect: async () => track(await adapterFactory.connect()),
    connectToShadowDb: async () => track(await adapterFactory.connectToShadowDb()),
  };
  const engine = await (engineBindings.SchemaEngine as typeof SchemaEngine).new(
    { datamodels: [[schemaPath, schema]] },
    (message: string) => onLog(message),
    bindMigrationAwareSqlAdapterFactory(tracking),
  );
  return {
    engine,
    async close() {
      engine.free();
      await Promise.all(opened.map((adapter) => adapter.dispose()));
    },
  };
}

/** Reads the migration folders in name (= timestamp) order. */
export async function readMigrationList(migrationsDir: string): Promise<MigrationList> {
  const entries = await readdir(migrationsDir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  const folders = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
  const migrationDirectories = await Promise.all(
    folders.map(async (folder) => {
      const file = path.join(migrationsDir, folder, 'migration.sql');
      const content = await readFile(file, 'utf8').then(
        (value) => ({ tag: 'ok' as const, value }),
        (error: Error) => ({ tag: 'error' as const, value: error.message }),
      );
      return { path: folder, migrationFile: { path: 'migration.sql', content } };
    }),
  );
  const lockfilePath = path.join(migrationsDir, 'migration_lock.toml');
  const lockfileContent = await readFile(lockfilePath, 'utf8').catch(() => null);
  return {
    baseDir: migrationsDir,
    lockfile: { path: 'migration_lock.toml', content: lockfileContent },
    shadowDbInitScript: '',
    migrationDirectories,
  };
}

const noFilters = { externalTables: [], externalEnums: [] };

function describeEngineError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && 'message' in error) return String(error.message);
  return String(error);
}

/**
 * Applies every pending migration and returns the names it applied (empty when
 * the database is up to date). A failed migration throws MigrationError.
 */
export async function applyPendingMigrations(
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  options: { migrationsDir?: string; schemaPath?: string; onLog?: (message: string) => void } = {},
): Promise<string[]> {
  const migrationsDir = options.migrationsDir ?? defaultMigrationsDir;
  const migrationsList = await readMigrationList(migrationsDir);
  const unreadable = migrationsList.migrationDirectories.find((dir) => dir.migrationFile.content.tag === 'error');
  if (unreadable) throw new MigrationError(`Cannot read migration ${unreadable.path}/migration.sql`);

  const { engine, close } = await openEngine(adapterFactory, options.schemaPath ?? defaultSchemaPath, options.onLog ?? (() => {}));
  try {
    const { appliedMigrationNames } = await engine.applyMigrations({ migrationsList, filters: noFilters });
    return appliedMigrationNames;
  } catch (error) {
    throw new MigrationError(`Database migration failed: ${describeEngineError(error)}`);
  } finally {
    await close();
  }
}

/**
 * The SQL that takes a database built from the existing migrations to the
 * current schema.prisma (empty when they agree). Uses a shadow database from
 * the adapter factory, as `prisma migrate dev` does.
 */
export async function diffMigrationsToSchema(
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  options: { migrationsDir?: string; schemaPath?: string } = {},
): Promise<string> {
  const schemaPath = options.schemaPath ?? defaultSchemaPath;
  const migrationsList = await readMigrationList(options.migrationsDir ?? defaultMigrationsDir);
  const { engine, close } = await openEngine(adapterFactory, schemaPath, () => {});
  try {
    const schema = await readFile(schemaPath, 'utf8');
    const from =
      migrationsList.migrationDirectories.length === 0
        ? { tag: 'empty' as const }
        : { tag: 'migrations' as const, ...migrationsList };
    const result = await engine.diff({
      from,
      to: { tag: 'schemaDatamodel', files: [{ path: schemaPath, content: schema }] },
      script: true,
      exitCode: null,
      filters: noFilters,
    });
    const sql = result.stdout ?? '';
    return sql.includes('-- This is an empty migration.') ? '' : sql;
  } catch (error) {
    throw new MigrationError(`Cannot compute the migration: ${describeEngineError(error)}`);
  } finally {
    await close();
  }
}
