// A server under benchmark, in its own process (the load generator runs in
// another): `roomcal` (the real app on PGlite or PostgreSQL), `yoga` (bare
// graphql-yoga answering `{ hello }`), or `ws` (a bare WebSocket server that
// broadcasts what it is told to). Talks to the benchmark over IPC:
// { type: 'memory' } → heap after GC and the number of error log lines so far;
// { type: 'broadcast', payload } (ws); { type: 'stop' }.
// BENCH_DATABASE_URL: a PostgreSQL database the benchmark created for several
// instances to share (it drops it); otherwise each server makes its own.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pino } from 'pino';
import { createSchema, createYoga } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import { startApp } from '../../src/app.js';
import type { Db } from '../../src/db/client.js';
import { loadConfig } from '../../src/config.js';
import { createScratchDatabase, type Engine, type ScratchDatabase } from '../../test/support/scratch-database.js';
import { BENCH_JWT_SECRET, BENCH_METRICS_TOKEN, BENCH_WEBHOOK_SECRET } from './bench-env.js';


const mode = process.argv[2] as 'roomcal' | 'yoga' | 'ws';
const send = (message: object) => process.send!(message);
let errorLogs = 0;

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

async function start(): Promise<{ url: string; stop(): Promise<void>; broadcast?(payload: string): number }> {
  if (mode === 'yoga') {
    const yoga = createYoga({ schema: createSchema({ typeDefs: 'type Query { hello: String }', resolvers: { Query: { hello: () => 'world' } } }), logging: false });
    const server = createServer(yoga);
    return { url: await listen(server), stop: () => new Promise((resolve) => server.close(() => resolve())) };
  }
  if (mode === 'ws') {
    const server = createServer();
    const wss = new WebSocketServer({ server });
    return {
      url: await listen(server),
      broadcast(payload) {
        for (const socket of wss.clients) socket.send(payload);
        return wss.clients.size;
      },
      stop: () => new Promise((resolve) => server.close(() => resolve())),
    };
  }
  const database = process.env.BENCH_DATABASE_URL
    ? await sharedDatabase(process.env.BENCH_DATABASE_URL)
    : await createScratchDatabase(process.env.BENCH_ENGINE as Engine, { prefix: 'roomcal-bench', postgresAdminUrl: process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' });
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: database.dataDir,
    JWT_SECRET: BENCH_JWT_SECRET,
    ICS_ENCRYPTION_KEY: 'b'.repeat(64),
    PUBLIC_URL: 'https://rooms.example.com',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    METRICS_TOKEN: BENCH_METRICS_TOKEN,
    LOCAL_WEBHOOK_SECRET: BENCH_WEBHOOK_SECRET,
    SYNC_ENABLED: 'false',
    RATE_LIMIT_MUTATIONS: '1000000',
    RATE_LIMIT_EXPENSIVE_MUTATIONS: '1000000',
    RATE_LIMIT_WEBSOCKET_CONNECTIONS: '1000000',
    RATE_LIMIT_SUBSCRIPTIONS: '1000000',
    ...database.env,
    ...JSON.parse(process.env.BENCH_SERVER_ENV ?? '{}'),
  });
  // The app's logger (src/logger.ts), counting error lines for the benchmark.
  const logger = pino({
    name: 'roomcal',
    level: config.logLevel,
    hooks: {
      logMethod(args, method, level) {
        if (level >= 50) errorLogs++;
        method.apply(this, args);
      },
    },
  });
  const app = await startApp({ config, logger });
  if (process.env.BENCH_SEED_ROOM) await seedRoomPage(app.services.db, process.env.BENCH_SEED_ROOM);
  return {
    url: app.url,
    stop: async () => {
      try {
        await app.close();
      } finally {
        await database.drop(); // a scratch database must not outlive the run
      }
    },
  };
}

/** A database another process created and drops; this server only needs a data folder of its own. */
async function sharedDatabase(url: string): Promise<ScratchDatabase> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'roomcal-bench-'));
  return { env: { DATABASE_URL: url }, dataDir, drop: () => rm(dataDir, { recursive: true, force: true }) };
}

/**
 * The room page benchmark's room, owned by `bench-owner`: 20 calendar events,
 * two of them running with their meetings active, three starting within 30
 * minutes, the rest later in the day.
 */
async function seedRoomPage(db: Db, name: string): Promise<void> {
  const now = Date.now();
  const minutes = (n: number) => new Date(now + n * 60_000);
  const room = await db.room.create({ data: { name, ownerId: 'bench-owner' } });
  const spans: Array<[number, number]> = [[-30, 60], [-10, 40], [5, 35], [10, 40], [20, 50], ...Array.from({ length: 15 }, (_, i): [number, number] => [120 + 30 * i, 140 + 30 * i])];
  for (const [index, [start, end]] of spans.entries()) {
    const event = await db.calendarEvent.create({
      data: {
        roomId: room.id,
        icsUid: `bench-${index}`,
        title: `Meeting ${index}`,
        description: 'Agenda: owner only',
        start: minutes(start),
        end: minutes(end),
        location: `https://rooms.example.com/${name}`,
        attendees: [{ email: 'a@example.com', name: 'A', partstat: 'ACCEPTED', role: 'REQ-PARTICIPANT' }],
        lastSynced: new Date(now),
        contentHash: `hash-${index}`,
        rawVevent: 'BEGIN:VEVENT\r\nEND:VEVENT',
      },
    });
    if (start < 0) {
      await db.meeting.create({
        data: {
          roomId: room.id,
          calendarEventId: event.id,
          platform: 'LOCAL',
          roomUrl: `https://rooms.example.com/video/${name}/${index}`,
          startDate: event.start,
          endDate: event.end,
          calendarSlot: `${room.id}|${event.start.toISOString()}|${event.end.toISOString()}`,
          participantCount: 3,
        },
      });
    }
  }
}

/**
 * A full GC, for reading the live heap. Not through --expose-gc on the command
 * line: worker threads (the sync's feed parsers) inherit execArgv and refuse it.
 */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

const server = await start();
process.on('message', async (message: { type: string; payload?: string }) => {
  if (message.type === 'memory') {
    collectGarbage();
    const { heapUsed, rss } = process.memoryUsage();
    send({ type: 'memory', heapUsed, rss, errorLogs });
  } else if (message.type === 'broadcast') {
    send({ type: 'broadcasted', sockets: server.broadcast?.(message.payload!) ?? 0 });
  } else if (message.type === 'stop') {
    await server.stop();
    send({ type: 'stopped' });
    process.exit(0);
  }
});
send({ type: 'listening', url: server.url });
