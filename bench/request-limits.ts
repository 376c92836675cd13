// `npm run bench -- limits`: how fast hostile requests are refused, and how
// /ready answers meanwhile (issue 7's targets: refusals under 1 s, /ready
// under 0.5 s with four heavy requests in flight). Prints timings; not a test.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';

const aliases = (count: number, field: string) => `{ ${Array.from({ length: count }, (_, i) => `a${i}: ${field}`).join(' ')} }`;

export async function runRequestLimitsBenchmark(): Promise<void> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'roomcal-bench-limits-'));
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'silent', SYNC_ENABLED: 'false', MEETINGS_ENABLED: 'false' });
  const app = await startApp({ config, logger: createLogger('silent') });
  const post = (body: string) =>
    fetch(`${app.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' }, body }).then(async (response) => {
      await response.arrayBuffer();
      return response.status;
    });
  const timed = async (label: string, target: number, run: () => Promise<number>) => {
    const started = performance.now();
    const status = await run();
    const ms = performance.now() - started;
    console.log(`${label.padEnd(46)} ${String(status).padEnd(4)} ${ms.toFixed(0).padStart(6)} ms  (target < ${target} ms) ${ms < target ? 'ok' : 'SLOW'}`);
  };
  try {
    console.log('\nRequest limits');
    await timed('3,000 aliases of room(name:)', 1000, () => post(JSON.stringify({ query: aliases(3000, 'room(name: "x") { name }') })));
    await timed('1,000 aliases of serverTime (under 100 KiB)', 1000, () => post(JSON.stringify({ query: aliases(1000, 'serverTime') })));
    await timed('selection nested 10,000 deep', 1000, () => post(JSON.stringify({ query: `{ ${'a { '.repeat(10_000)}b${' }'.repeat(10_000)} }` })));
    await timed('5 MB body', 1000, () => post(JSON.stringify({ query: `{ serverTime } # ${'x'.repeat(5_000_000)}` })));
    await timed('/ready alone', 500, async () => (await fetch(`${app.url}/ready`)).status);
    const heavy = Array.from({ length: 4 }, () => post(JSON.stringify({ query: aliases(3000, 'room(name: "x") { name }') })));
    await timed('/ready with four heavy requests in flight', 500, async () => (await fetch(`${app.url}/ready`)).status);
    await Promise.all(heavy);
  } finally {
    await app.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
