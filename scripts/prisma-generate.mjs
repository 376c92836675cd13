// Runs `prisma generate` without the native schema engine.
//
// The Prisma CLI downloads its native schema engine before generating, and the
// binary host is unreachable from our machines and CI. Generating the
// `prisma-client` output does not use that engine, so we point the documented
// override PRISMA_SCHEMA_ENGINE_BINARY at an existing file (this script) for
// this one command only. Migrations run on Prisma's WASM schema engine instead
// (src/db/migrations.ts).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// A production install (`npm ci --omit=dev`) has no Prisma CLI: the client was
// generated and compiled into dist/ by the build (scripts/build-production.sh).
if (!existsSync(fileURLToPath(new URL('../node_modules/prisma/package.json', import.meta.url)))) {
  console.error('prisma CLI not installed (production install): skipping prisma generate');
  process.exit(0);
}

const env = {
  ...process.env,
  PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? fileURLToPath(import.meta.url),
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
  CHECKPOINT_DISABLE: '1',
};
const result = spawnSync('npx', ['--no-install', 'prisma', 'generate', ...process.argv.slice(2)], {
  env,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
