// pglite-prisma-adapter 0.7.2 starts `executeScript` without awaiting it: a
// failing migration script is reported as applied and its error surfaces
// later as an unhandled rejection. This factory wraps the adapter so scripts
// are awaited and their errors reach the schema engine.
import type { PGlite } from '@electric-sql/pglite';
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaPGlite } from 'pglite-prisma-adapter';

function awaitingScripts(adapter: SqlDriverAdapter): SqlDriverAdapter {
  const { client } = adapter as unknown as { client: PGlite };
  return Object.assign(Object.create(adapter) as SqlDriverAdapter, {
    async executeScript(script: string) {
      await client.exec(script);
    },
  });
}

export function createPGliteAdapterFactory(pglite: PGlite): SqlMigrationAwareDriverAdapterFactory {
  const factory = new PrismaPGlite(pglite);
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => awaitingScripts(await factory.connect()),
    connectToShadowDb: async () => awaitingScripts(await factory.connectToShadowDb()),
  };
}
