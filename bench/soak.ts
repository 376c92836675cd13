// `npm run bench -- soak`: one roomcal server (PostgreSQL, scheduled sync on)
// for SOAK_MINUTES (5) with SOAK_ROOMS (500) rooms syncing every 60 s from a
// local feed server (3 events each; every minute half of the feeds change, the
// other half answer 304) while SOAK_SUBSCRIBERS (1000) graphql-ws
// subscribers, signed in as the owner, follow syncStatus and
// roomScheduleChanged of one room each (round-robin). Counts what must stay 0
// (syncs ending in ERROR, failed subscriptions, sockets the server closed,
// server error log lines) and compares the server's live heap after a forced
// GC at the end with the one after the first sync of every room (target:
// within 10 %). The heap is read over the benchmark's IPC channel
// (bench/support/server-process.ts), never over HTTP. Per-minute figures print as
// min / median / max over the minutes.
import type { ChildProcess } from 'node:child_process';
import { SignJWT } from 'jose';
import pLimit from 'p-limit';
import { startFeedServer, type FeedServer } from '../test/support/feed-server.js';
import { graphqlRequest, waitForSubscribers } from './fanout.js';
import { BENCH_JWT_SECRET, BENCH_METRICS_TOKEN } from './support/bench-env.js';
import { ask, forkTs, formatSummary, loadAverage, once, printTable, summarize } from './support/rounds.js';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 5);
const ROOMS = Number(process.env.SOAK_ROOMS ?? 500);
const SUBSCRIBERS = Number(process.env.SOAK_SUBSCRIBERS ?? 1000);
const PUBLIC_URL = 'https://rooms.example.com'; // bench/support/server-process.ts configures the server with it
const MINUTE = 60_000;

const CREATE_ROOM = `mutation ($name: String!, $url: String!) {
  createRoom(input: { name: $name, ics: { url: $url, enabled: true, fetchInterval: EVERY_MINUTE } }) { __typename }
}`;
const SYNC_STATUS = 'subscription ($room: String!) { syncStatus(roomName: $room) { phase room { name ics { lastStatus lastError } } } }';
const SCHEDULE_CHANGED = 'subscription ($room: String!) { roomScheduleChanged(roomName: $room) { name upcomingMeetings(withinMinutes: 30) { title startsAt } } }';

interface Memory {
  type: 'memory';
  heapUsed: number;
  errorLogs: number;
}

interface ClientStats {
  type: 'stats';
  open: number;
  received: number;
  failedSubscriptions: number;
  closedByServer: number;
}

const roomName = (index: number) => `soak-${String(index).padStart(4, '0')}`;

/** A small feed: three events in the next hours at the room's address; `version` renames and moves them. */
function feed(room: string, anchor: number, version: number): string {
  const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const lines = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//roomcal//soak bench//EN'];
  for (let i = 0; i < 3; i++) {
    const start = anchor + (i + 1) * 2 * 60 * MINUTE + (version % 4) * 15 * MINUTE;
    lines.push('BEGIN:VEVENT', `UID:${room}-${i}@soak.example.com`, `DTSTAMP:${stamp(anchor)}`, `DTSTART:${stamp(start)}`, `DTEND:${stamp(start + 30 * MINUTE)}`);
    lines.push(`SUMMARY:Meeting ${i} of ${room} (v${version})`, `LOCATION:${PUBLIC_URL}/${room}`, 'END:VEVENT');
  }
  lines.push('END:VCALENDAR', '');
  return lines.join('\r\n');
}

/** Every minute half of the feeds change (rooms of one parity), so syncs alternate between writing and 304. */
function serveFeeds(feeds: FeedServer, anchor: number, minute: number): void {
  for (let index = 0; index < ROOMS; index++) {
    const version = Math.floor((minute + (index % 2)) / 2);
    feeds.serve(`/feeds/${roomName(index)}.ics`, { body: feed(roomName(index), anchor, version), etag: true });
  }
}

async function syncCounts(url: string): Promise<Record<string, number>> {
  const metrics = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${BENCH_METRICS_TOKEN}` } })).text();
  const counts: Record<string, number> = {};
  for (const [, status, value] of metrics.matchAll(/^roomcal_calendar_syncs_total\{status="(\w+)"\} (\d+)/gm)) counts[status!] = Number(value);
  return counts;
}
const total = (counts: Record<string, number>) => Object.values(counts).reduce((sum, n) => sum + n, 0);

async function waitForSyncs(url: string, atLeast: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (total(await syncCounts(url)) < atLeast) {
    if (Date.now() > deadline) throw new Error(`fewer than ${atLeast} syncs after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const memoryOf = (server: ChildProcess) => ask<Memory>(server, { type: 'memory' }, 'memory');
const statsOf = (clients: ChildProcess) => ask<ClientStats>(clients, { type: 'stats' }, 'stats');
const mib = (bytes: number) => bytes / 1024 / 1024;

export async function runSoakBenchmark(): Promise<void> {
  console.log(`\nSoak: ${ROOMS} rooms syncing every 60 s, ${SUBSCRIBERS} graphql-ws subscribers, PostgreSQL, ${MINUTES} min`);
  const feeds = await startFeedServer();
  const anchor = Math.ceil(Date.now() / (60 * MINUTE)) * 60 * MINUTE;
  serveFeeds(feeds, anchor, 0);
  const server = forkTs('support/server-process.ts', ['roomcal'], {
    BENCH_ENGINE: 'postgres',
    BENCH_SERVER_ENV: JSON.stringify({ SYNC_ENABLED: 'true', ICS_ALLOW_HTTP: 'true', ICS_ALLOW_PRIVATE_NETWORKS: 'true' }),
  });
  const clients = forkTs('support/ws-subscribers.ts');
  try {
    const { url } = await once<{ type: string; url: string }>(server, 'listening');
    await once(clients, 'ready');
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('bench-owner').setIssuedAt().setExpirationTime('2h').sign(new TextEncoder().encode(BENCH_JWT_SECRET));

    // Setup, not measured: rooms (each syncs at once when created), subscribers, the first sync of every room.
    const limit = pLimit(8);
    await Promise.all(Array.from({ length: ROOMS }, (_, index) => limit(() => graphqlRequest(url, token, CREATE_ROOM, { name: roomName(index), url: feeds.url(`/feeds/${roomName(index)}.ics`) }))));
    const connected = await ask<{ type: string; open: number; failed: number }>(clients, { type: 'connect', url: url.replace('http', 'ws') + '/graphql', count: SUBSCRIBERS, graphql: true, authorization: `Bearer ${token}` }, 'connected', 600_000);
    const rooms = Array.from({ length: ROOMS }, (_, index) => ({ room: roomName(index) }));
    await ask(clients, { type: 'subscribe', id: '1', query: SYNC_STATUS, variables: rooms }, 'subscribed');
    await ask(clients, { type: 'subscribe', id: '2', query: SCHEDULE_CHANGED, variables: rooms }, 'subscribed');
    await waitForSubscribers(url, 'room:sync', connected.open);
    await waitForSubscribers(url, 'room:schedule', connected.open);
    await waitForSyncs(url, ROOMS, 5 * MINUTE);
    const start = await memoryOf(server);
    const startStats = await statsOf(clients);
    const startSyncs = await syncCounts(url);
    console.log(`  setup done: ${connected.open} subscribers (${connected.failed} failed to connect), ${total(startSyncs)} first syncs, heap ${mib(start.heapUsed).toFixed(1)} MiB (load average ${loadAverage()})`);

    const minutes: Array<{ syncs: number; received: number; heapMiB: number }> = [];
    let previousSyncs = total(startSyncs);
    let previousReceived = startStats.received;
    for (let minute = 1; minute <= MINUTES; minute++) {
      serveFeeds(feeds, anchor, minute);
      await new Promise((resolve) => setTimeout(resolve, MINUTE));
      const [memory, stats, syncs] = await Promise.all([memoryOf(server), statsOf(clients), syncCounts(url)]);
      minutes.push({ syncs: total(syncs) - previousSyncs, received: stats.received - previousReceived, heapMiB: mib(memory.heapUsed) });
      previousSyncs = total(syncs);
      previousReceived = stats.received;
      console.log(`  minute ${minute}: ${minutes.at(-1)!.syncs} syncs (${JSON.stringify(syncs)}), ${minutes.at(-1)!.received} events delivered, heap ${mib(memory.heapUsed).toFixed(1)} MiB, ${stats.open} sockets open (load average ${loadAverage()})`);
    }

    const [end, stats, syncs] = await Promise.all([memoryOf(server), statsOf(clients), syncCounts(url)]);
    const heapChange = (end.heapUsed - start.heapUsed) / start.heapUsed;
    const failures = {
      'syncs ending in ERROR (first syncs included)': syncs.ERROR ?? 0,
      'failed subscriptions': stats.failedSubscriptions,
      'sockets closed by the server': stats.closedByServer + (SUBSCRIBERS - connected.open),
      'server error log lines': end.errorLogs,
    };
    const column = (pick: (m: (typeof minutes)[number]) => number, digits = 0) => formatSummary(summarize(minutes.map(pick)), digits);
    printTable(
      `Soak: ${ROOMS} rooms syncing every 60 s, ${SUBSCRIBERS} subscribers × 2 subscriptions, PostgreSQL, ${MINUTES} min (setup and first syncs not counted)`,
      ['per minute', 'value'],
      [
        ['syncs', column((m) => m.syncs)],
        ['events delivered to subscribers', column((m) => m.received)],
        ['server heap after GC, MiB', column((m) => m.heapMiB, 1)],
      ],
    );
    console.log(
      `  errors (target 0): ${Object.entries(failures)
        .map(([what, n]) => `${what} ${n}`)
        .join(', ')}`,
    );
    console.log(
      `  server heap after GC: ${mib(start.heapUsed).toFixed(1)} MiB at the start, ${mib(end.heapUsed).toFixed(1)} MiB at the end (${(heapChange * 100).toFixed(1)} %; target within 10 %: ${Math.abs(heapChange) <= 0.1 ? 'met' : 'MISSED'})`,
    );
    console.log(`  all syncs by outcome: ${JSON.stringify(syncs)}`);
  } finally {
    await Promise.allSettled([ask(server, { type: 'stop' }, 'stopped', 60_000)]);
    clients.kill();
    await feeds.close();
  }
}
