// `npm run bench -- http`: the room page query (README "GraphQL API" › "The
// room page") against bare graphql-yoga answering `{ hello }`, 50 connections,
// on PostgreSQL and PGlite, anonymous and as the room's owner. The room has 20
// events, 2 active and 3 upcoming meetings. Servers and the load generator
// (autocannon) each run in their own process; the targets take turns within
// each round, after a 2 s warm-up each. The last row asks for serverTime too,
// which the response cache never serves, so it shows the cost of executing the
// page. Env: BENCH_ROUNDS (3), BENCH_HTTP_SECONDS (5), BENCH_HTTP_CONNECTIONS (50).
import type { ChildProcess } from 'node:child_process';
import { SignJWT } from 'jose';
import { BENCH_JWT_SECRET } from './support/bench-env.js';
import { ask, forkTs, formatSummary, once, printTable, summarize } from './support/rounds.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_HTTP_CONNECTIONS ?? 50);
const ROOM = 'bench-room';

const ROOM_PAGE = `query RoomPage($name: String!) {
  room(name: $name) {
    name
    isOwner
    activeMeetings { id title startsAt endsAt participantCount status }
    upcomingMeetings(withinMinutes: 30) { title startsAt endsAt meeting { id status } }
    calendarEvents(first: 20) {
      edges { node { id title startsAt endsAt isAllDay startDate endDate timeZone } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;

// The same page with serverTime, which is computed per request: never served
// from the response cache, so this row measures executing the page every time.
const ROOM_PAGE_EXECUTED = ROOM_PAGE.replace('room(name: $name) {', 'serverTime\n  room(name: $name) {');

interface Target {
  name: string;
  url: string;
  body: string;
  headers: Record<string, string>;
}

interface LoadResult {
  type: 'result';
  requestsPerSecond: number;
  p99: number;
  errors: number;
}

function startServer(mode: 'yoga' | 'roomcal', engine?: string): ChildProcess {
  // Servers run as the Docker image runs them: graphql-js skips its development-mode checks.
  process.env.NODE_ENV = 'production';
  process.env.BENCH_ENGINE = engine ?? '';
  process.env.BENCH_SEED_ROOM = mode === 'roomcal' ? ROOM : '';
  process.env.BENCH_SERVER_ENV = JSON.stringify({ MEETINGS_ENABLED: 'false' });
  return forkTs('support/server-process.ts', [mode]);
}

export async function runHttpBenchmark(): Promise<void> {
  const servers = { yoga: startServer('yoga'), postgres: startServer('roomcal', 'postgres'), pglite: startServer('roomcal', 'pglite') };
  const load = forkTs('support/http-load.ts');
  try {
    const [yoga, postgres, pglite] = await Promise.all(
      [servers.yoga, servers.postgres, servers.pglite].map(async (server) => (await once<{ type: string; url: string }>(server, 'listening')).url),
    );
    await once(load, 'ready');
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('bench-owner').setIssuedAt().setExpirationTime('2h').sign(new TextEncoder().encode(BENCH_JWT_SECRET));
    const roomPage = JSON.stringify({ query: ROOM_PAGE, variables: { name: ROOM } });
    const roomPageExecuted = JSON.stringify({ query: ROOM_PAGE_EXECUTED, variables: { name: ROOM } });
    const owner = { authorization: `Bearer ${token}` };
    const targets: Target[] = [
      { name: 'bare yoga { hello }', url: `${yoga}/graphql`, body: JSON.stringify({ query: '{ hello }' }), headers: {} },
      { name: 'room page, PostgreSQL, anonymous', url: `${postgres}/graphql`, body: roomPage, headers: {} },
      { name: 'room page, PostgreSQL, owner', url: `${postgres}/graphql`, body: roomPage, headers: owner },
      { name: 'room page, PGlite, anonymous', url: `${pglite}/graphql`, body: roomPage, headers: {} },
      { name: 'room page, PGlite, owner', url: `${pglite}/graphql`, body: roomPage, headers: owner },
      { name: 'room page + serverTime (not cached), PostgreSQL, anonymous', url: `${postgres}/graphql`, body: roomPageExecuted, headers: {} },
    ];
    const check = await fetch(targets[2]!.url, { method: 'POST', headers: { 'content-type': 'application/json', ...owner }, body: roomPage });
    const checked = (await check.json()) as { data?: { room?: { activeMeetings: unknown[]; upcomingMeetings: unknown[] } } };
    console.log(`room page: ${checked.data?.room?.activeMeetings.length} active, ${checked.data?.room?.upcomingMeetings.length} upcoming meetings`);

    // Warm-up, not counted: JIT, connection pools, Yoga's parse and validation caches.
    for (const target of targets) {
      await ask<LoadResult>(load, { type: 'run', url: target.url, body: target.body, headers: target.headers, connections: CONNECTIONS, seconds: 2 }, 'result', 62_000);
    }
    const results = new Map<string, LoadResult[]>(targets.map((target) => [target.name, []]));
    const ratios = new Map<string, number[]>(targets.map((target) => [target.name, []]));
    for (let round = 1; round <= ROUNDS; round++) {
      let bare = NaN;
      for (const target of targets) {
        const result = await ask<LoadResult>(load, { type: 'run', url: target.url, body: target.body, headers: target.headers, connections: CONNECTIONS, seconds: SECONDS }, 'result', (SECONDS + 60) * 1000);
        if (target === targets[0]) bare = result.requestsPerSecond;
        results.get(target.name)!.push(result);
        ratios.get(target.name)!.push(result.requestsPerSecond / bare);
        console.log(`  round ${round} ${target.name}: ${result.requestsPerSecond.toFixed(0)} req/s, p99 ${result.p99} ms, errors ${result.errors}`);
      }
    }
    printTable(
      `GraphQL over HTTP, ${CONNECTIONS} connections, ${SECONDS} s per target, ${ROUNDS} rounds`,
      ['target', 'req/s', 'p99 ms', 'share of bare yoga', 'errors'],
      targets.map((target) => {
        const runs = results.get(target.name)!;
        return [
          target.name,
          formatSummary(summarize(runs.map((run) => run.requestsPerSecond))),
          formatSummary(summarize(runs.map((run) => run.p99))),
          formatSummary(summarize(ratios.get(target.name)!), 2),
          String(runs.reduce((sum, run) => sum + run.errors, 0)),
        ];
      }),
    );
  } finally {
    await Promise.allSettled(Object.values(servers).map((server) => ask(server, { type: 'stop' }, 'stopped', 30_000)));
    load.kill();
  }
}
