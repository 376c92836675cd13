import { defineConfig } from 'prisma/config';

// Only `prisma generate` uses this file: the server connects through driver
// adapters (src/db/client.ts) and migrates with src/db/migrations.ts.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
