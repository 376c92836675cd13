// `npm start` as an operator runs it: a real process, configured from the
// environment, serving on its port and stopping cleanly on SIGTERM.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startProcess, waitForOutput } from '../support/child-process.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The server from source, as `npm run dev` runs it (without watching). */
const startServer = (env: Record<string, string>) => startProcess(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: projectRoot, env });

describe('the server process', () => {
  let database: TestDatabase | undefined;
  let running: ChildProcessWithoutNullStreams | undefined;
  afterEach(async () => {
    if (running && running.exitCode === null) {
      running.kill('SIGKILL');
      await once(running, 'exit');
    }
    await database?.drop();
  });

  it('starts on the embedded default, serves /health, /ready and GraphQL, and stops on SIGTERM', async () => {
    database = await createTestDatabase('pglite');
    const { child, output } = startServer({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: database.dataDir });
    running = child;
    const [, url] = await waitForOutput(output, /roomcal is running at (http:\/\/[^\s"]+)\/graphql/);

    expect(await (await fetch(`${url}/health`)).json()).toEqual({ status: 'ok' });
    expect((await fetch(`${url}/ready`)).status).toBe(200);
    const graphiql = await fetch(`${url}/graphql`, { headers: { accept: 'text/html' } });
    expect(await graphiql.text()).toContain('<title>roomcal</title>');
    const tagged = await fetch(`${url}/graphql?query=%7BserverTime%7D`, { headers: { 'x-request-id': 'trace-42' } });
    expect(tagged.headers.get('x-request-id')).toBe('trace-42');
    await waitForOutput(output, /"requestId":"trace-42"/);

    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    expect(output()).toContain('"msg":"stopped"');
  });

  it('refuses to start with a clear message for each bad setting', async () => {
    const { child, output } = startServer({ PORT: 'eighty', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x', ICS_ALLOW_HTTP: 'maybe' });
    running = child;
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(output()).toContain('Invalid configuration');
    expect(output()).toMatch(/PORT: .*"eighty"/);
    expect(output()).toMatch(/LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent \(got "loud"\)/);
    expect(output()).toMatch(/DATABASE_URL: must be a postgres/);
    expect(output()).toMatch(/ICS_ALLOW_HTTP: must be true or false/);
  });

  it('requires shared keys when running on PostgreSQL', async () => {
    const { child, output } = startServer({ DATABASE_URL: 'postgres://127.0.0.1:1/none' });
    running = child;
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(output()).toMatch(/ICS_ENCRYPTION_KEY: is required with DATABASE_URL/);
    expect(output()).toMatch(/JWT_SECRET or JWT_JWKS_URL is required/);
  });
});
