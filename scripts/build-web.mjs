// `npm run build:web` (also run by `npm install`): the room page client's
// typed operations (graphql-codegen), then its bundle (Vite) in web/dist.
//
// Both tools are dev dependencies. A production install (`npm ci --omit=dev`)
// has neither: it skips the build here, like `npm run generate` skips Prisma,
// and the server answers the room page's routes with 503 and a hint until
// web/dist exists (scripts/build-production.sh builds it before pruning).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const installed = (name) => existsSync(fileURLToPath(new URL(`../node_modules/${name}/package.json`, import.meta.url)));
if (!installed('vite') || !installed('@graphql-codegen/cli')) {
  console.error('vite or graphql-codegen not installed (production install): skipping the room page build');
  process.exit(0);
}

for (const args of [
  ['graphql-codegen', '--config', 'codegen.ts'],
  ['vite', 'build', '--config', 'web/vite.config.ts'],
]) {
  const result = spawnSync('npx', ['--no-install', ...args], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
