import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // graphql 16 ships CJS (main) and ESM (module) builds. Node loads the CJS one
    // for our dependencies (Pothos, Yoga); Vite would pick the ESM one for our
    // own files, and two graphql instances cannot share a schema.
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Generous: some tests start whole servers (PGlite initdb, the WASM schema engine)
    // and CI machines have 2 cores.
    testTimeout: 90_000,
    hookTimeout: 120_000,
    // 2 cores: each test file starts its own servers and databases.
    maxWorkers: 2,
  },
});
