// The production build as the Dockerfile makes it (scripts/build-production.sh,
// without its install and prune steps: the copy shares this worktree's
// node_modules), started the ways operators start it: `node dist/main.js`
// and `npm start`. The build runs once for the file.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startProcess, waitForOutput, type StartedProcess } from '../support/child-process.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
const copied = ['src', 'prisma', 'scripts', 'package.json', 'package-lock.json', 'prisma.config.ts', 'tsconfig.json', 'tsconfig.build.json'];

describe('the production build', () => {
  let buildDir: string;
  const started: StartedProcess[] = [];
  const databases: TestDatabase[] = [];

  function start(command: string, args: string[], env: Record<string, string>, options: { detached?: boolean } = {}): StartedProcess {
    const server = startProcess(command, args, { cwd: buildDir, env: { PORT: '0', HOST: '127.0.0.1', ...env }, detached: options.detached });
    started.push(server);
    return server;
  }

  async function freshDataDir(): Promise<string> {
    const database = await createTestDatabase('pglite');
    databases.push(database);
    return database.dataDir;
  }

  beforeAll(async () => {
    buildDir = await mkdtemp(path.join(tmpdir(), 'roomcal-build-'));
    for (const entry of copied) await cp(path.join(projectRoot, entry), path.join(buildDir, entry), { recursive: true });
    await symlink(path.join(projectRoot, 'node_modules'), path.join(buildDir, 'node_modules'), 'dir');
    const build = spawn('sh', ['scripts/build-production.sh', '--skip-install', '--skip-prune'], { cwd: buildDir, stdio: 'inherit' });
    const [code] = await once(build, 'exit');
    expect(code).toBe(0);
  }, 240_000);

  afterEach(async () => {
    for (const { child, exited } of started.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    }
    await Promise.all(databases.splice(0).map((database) => database.drop()));
  });
  afterAll(async () => {
    if (buildDir) await rm(buildDir, { recursive: true, force: true });
  });

  it('starts with plain `node dist/main.js` on the embedded default and exits 0 on SIGTERM', async () => {
    const server = start(process.execPath, ['dist/main.js'], { DATA_DIR: await freshDataDir() });
    const [, url] = await waitForOutput(server.output, /roomcal is running at (http:\/\/[^\s"]+)\/graphql/);
    expect(await (await fetch(`${url}/health`)).json()).toEqual({ status: 'ok' });
    expect((await fetch(`${url}/ready`)).status).toBe(200);

    server.child.kill('SIGTERM');
    const [code] = await server.exited;
    expect(code).toBe(0);
    expect(server.output()).toContain('"msg":"stopped"');
  });

  it('stops a second process on the same data directory at once, saying the directory is in use', async () => {
    const dataDir = await freshDataDir();
    const first = start(process.execPath, ['dist/main.js'], { DATA_DIR: dataDir });
    const [, url] = await waitForOutput(first.output, /roomcal is running at (http:\/\/[^\s"]+)\/graphql/);

    const second = start(process.execPath, ['dist/main.js'], { DATA_DIR: dataDir });
    const [code] = await second.exited;
    expect(code).toBe(1);
    expect(second.output()).toMatch(/data directory .*pglite is in use by another roomcal process/);
    expect(second.output()).not.toMatch(/RuntimeError|Aborted/);
    expect((await fetch(`${url}/ready`)).status).toBe(200);
  });

  it.each([
    ['SIGTERM to npm', 'SIGTERM', false],
    ['Ctrl-C (SIGINT to npm and the server)', 'SIGINT', true],
  ] as const)('`npm start` stops gracefully on %s and leaves no process behind', async (_name, signal, wholeGroup) => {
    // detached: a process group of its own, as a terminal gives a foreground job.
    const npm = start('npm', ['start'], { DATA_DIR: await freshDataDir() }, { detached: wholeGroup });
    const [, url] = await waitForOutput(npm.output, /roomcal is running at (http:\/\/[^\s"]+)\/graphql/);
    const serverPid = Number((await waitForOutput(npm.output, /"pid":(\d+)/))[1]);
    expect(serverPid).not.toBe(npm.child.pid);
    const socket = new WebSocket(`${url!.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
    await once(socket, 'open');
    const closed = once(socket, 'close') as Promise<[number]>;

    if (wholeGroup) process.kill(-npm.child.pid!, signal);
    else npm.child.kill(signal);
    const [code] = await npm.exited;
    expect(code).toBe(0);
    expect(npm.output()).toContain('"msg":"stopped"');
    expect((await closed)[0]).toBe(1001); // Going Away, not 1006
    expect(() => process.kill(serverPid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  });
});
