// Calendar sync throughput benchmark: 1,000 rooms, one local ICS feed each
// (10 matching VEVENTs in the next 24 h + 2 that point elsewhere), synced by
// the real scheduler (services.calendarSync.runDueSyncs) on PGlite and on
// PostgreSQL, taking turns within each round (A, B / B, A), BENCH_ROUNDS (3) times over. Four rounds:
//   1 first sync            every feed new: 10 creates per room
//   2 unchanged (304)       ETag matches, nothing downloaded
//   3 unchanged (200)       server sends no ETag: full download, same hash
//   4 changed feeds         every event's title and time moved: 10 updates per room
// Env: BENCH_SYNC_ROOMS (1000), BENCH_SYNC_CONCURRENCY (16), BENCH_SYNC_ENGINES (pglite,postgres),
// BENCH_POSTGRES_URL (admin URL; a fresh database is created and dropped), BENCH_SYNC_LOG_LEVEL (silent).
// Setup (PGlite initdb, migrations, inserting rooms, a warm-up) is not timed.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { startApp, type RunningApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { SyncReport } from '../src/sync/room-sync.js';
import { createScratchDatabase, type Engine, type ScratchDatabase } from '../test/support/scratch-database.js';
import { formatSummary, loadAverage, printTable, summarize } from './support/rounds.js';

const ROOMS = Number(process.env.BENCH_SYNC_ROOMS ?? 1000);
const MATCHING_EVENTS = 10;
const WARMUP_ROOMS = 50;
const CONCURRENCY = Number(process.env.BENCH_SYNC_CONCURRENCY ?? 16);
const REPETITIONS = Number(process.env.BENCH_ROUNDS ?? 3);
const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PUBLIC_URL = 'https://rooms.example.com';
const JWT_SECRET = 'bench-secret-that-is-long-enough-for-hs256';
const ENCRYPTION_KEY = 'b'.repeat(64);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

type RoundName = 'first sync' | 'unchanged (304)' | 'unchanged (200, same hash)' | 'changed feeds';
const ENGINES = (process.env.BENCH_SYNC_ENGINES ?? 'pglite,postgres').split(',') as Engine[];
const ROUND_NAMES: RoundName[] = ['first sync', 'unchanged (304)', 'unchanged (200, same hash)', 'changed feeds'];

interface RoundResult {
  engine: Engine;
  round: RoundName;
  ms: number;
  roomsPerSecond: number;
  /** SQL statements per room (PostgreSQL only). */
  statementsPerRoom?: number;
}

// ---------------------------------------------------------------- feed server

/** Serves /feeds/<name>.ics; `version` changes every body, `sendEtag` toggles validators. */
class FeedServer {
  version = 0;
  sendEtag = true;
  readonly statuses = new Map<number, number>();
  private server = http.createServer((req, res) => this.handle(req, res));
  private anchor = Math.ceil(Date.now() / HOUR) * HOUR; // fixed: same version => same bytes
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  feedUrl(roomName: string): string {
    return `${this.url}/feeds/${roomName}.ics`;
  }

  count(status: number): number {
    return this.statuses.get(status) ?? 0;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const match = /^\/feeds\/([a-z0-9-]+)\.ics$/.exec(req.url ?? '');
    if (!match?.[1]) return this.reply(res, 404, {});
    const etag = `"${match[1]}-v${this.version}"`;
    if (this.sendEtag && req.headers['if-none-match'] === etag) return this.reply(res, 304, { etag });
    const body = this.feed(match[1]);
    this.reply(res, 200, { 'content-type': 'text/calendar; charset=utf-8', ...(this.sendEtag ? { etag } : {}) }, body);
  }

  private reply(res: http.ServerResponse, status: number, headers: Record<string, string>, body?: string): void {
    this.statuses.set(status, this.count(status) + 1);
    res.writeHead(status, headers).end(body);
  }

  /** 10 events for the room + 2 for elsewhere; version N moves every event by N×15 min and renames it. */
  private feed(roomName: string): string {
    const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    const shift = this.version * 15 * MINUTE;
    const event = (uid: string, index: number, location: string) => [
      'BEGIN:VEVENT',
      `UID:${uid}@bench.example.com`,
      `DTSTAMP:${stamp(this.anchor)}`,
      `DTSTART:${stamp(this.anchor + index * 2 * HOUR + shift)}`,
      `DTEND:${stamp(this.anchor + index * 2 * HOUR + shift + 30 * MINUTE)}`,
      `SUMMARY:Meeting ${index} of ${roomName} (v${this.version})`,
      `DESCRIPTION:Weekly sync\\, agenda in the doc.`,
      `LOCATION:${location}`,
      'ORGANIZER;CN=Ada:mailto:ada@example.com',
      'ATTENDEE;CN=Bob;PARTSTAT=ACCEPTED:mailto:bob@example.com',
      'END:VEVENT',
    ];
    const lines = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//roomcal//sync bench//EN'];
    for (let i = 0; i < MATCHING_EVENTS; i++) lines.push(...event(`${roomName}-${i}`, i, `${PUBLIC_URL}/${roomName}`));
    lines.push(...event(`${roomName}-other-1`, 3, 'Conference room B'));
    lines.push(...event(`${roomName}-other-2`, 5, `${PUBLIC_URL}/${roomName}-annex`)); // near miss: another room
    lines.push('END:VCALENDAR', '');
    return lines.join('\r\n');
  }
}

// ------------------------------------------------------------------ databases

/**
 * Counts SQL statements sent to PostgreSQL (each one a round trip): the
 * Prisma pg adapter sends every query through pg.Client#query. By first words
 * of the SQL ("INSERT INTO "public"."CalendarEvent"", "BEGIN"…).
 */
const statements = new Map<string, number>();
const originalQuery = pg.Client.prototype.query;
function countStatements(): void {
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const config = args[0] as string | { text?: string } | undefined;
    const text = typeof config === 'string' ? config : (config?.text ?? '');
    const kind = text.replace(/\s+/g, ' ').trim().split(' ').slice(0, 3).join(' ');
    statements.set(kind, (statements.get(kind) ?? 0) + 1);
    return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof originalQuery;
}
const statementTotal = () => [...statements.values()].reduce((sum, n) => sum + n, 0);

const createDatabase = (engine: Engine) => createScratchDatabase(engine, { prefix: 'roomcal-bench', postgresAdminUrl: ADMIN_URL });

async function startBenchApp(database: ScratchDatabase): Promise<RunningApp> {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: database.dataDir,
    SYNC_ENABLED: 'false', // the bench drives runDueSyncs itself
    SYNC_CONCURRENCY: String(CONCURRENCY),
    ICS_ALLOW_HTTP: 'true',
    ICS_ALLOW_PRIVATE_NETWORKS: 'true',
    PUBLIC_URL,
    LOG_LEVEL: process.env.BENCH_SYNC_LOG_LEVEL ?? 'silent',
    JWT_SECRET,
    ICS_ENCRYPTION_KEY: ENCRYPTION_KEY,
    ...database.env,
  });
  return startApp({ config });
}

// ----------------------------------------------------------------- the rounds

const roomName = (prefix: string, n: number) => `${prefix}-${String(n).padStart(4, '0')}`;

async function insertRooms(app: RunningApp, feeds: FeedServer, prefix: string, count: number): Promise<void> {
  const now = new Date();
  const data = Array.from({ length: count }, (_, n) => {
    const name = roomName(prefix, n);
    return {
      name,
      ownerId: 'bench-owner',
      icsEnabled: true,
      icsUrlEncrypted: app.services.urlCipher.encrypt(feeds.feedUrl(name)),
      icsNextSyncAt: now,
    };
  });
  await app.services.db.room.createMany({ data });
}

/** Makes every room due again, as if its interval had passed. */
async function makeAllDue(app: RunningApp): Promise<void> {
  await app.services.db.room.updateMany({ data: { icsNextSyncAt: new Date(Date.now() - 1000) } });
}

async function eventStats(app: RunningApp) {
  const { _count, _max } = await app.services.db.calendarEvent.aggregate({
    where: { isDeleted: false },
    _count: { _all: true },
    _max: { updatedAt: true },
  });
  const sums = await app.services.db.room.aggregate({ _sum: { icsEventsCreated: true, icsEventsUpdated: true } });
  return {
    live: _count._all,
    lastWrite: _max.updatedAt?.getTime() ?? 0,
    created: sums._sum.icsEventsCreated ?? 0,
    updated: sums._sum.icsEventsUpdated ?? 0,
  };
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`sync bench verification failed: ${message}`);
}

function statusCounts(reports: SyncReport[]): string {
  const counts = new Map<string, number>();
  for (const report of reports) counts.set(report.status, (counts.get(report.status) ?? 0) + 1);
  const firstError = reports.find((report) => report.error)?.error;
  return `${[...counts].map(([status, n]) => `${status} ${n}`).join(', ')}${firstError ? ` (first error: ${firstError})` : ''}`;
}

const EXPECTED: Record<RoundName, 'SUCCESS' | 'UNCHANGED'> = {
  'first sync': 'SUCCESS',
  'unchanged (304)': 'UNCHANGED',
  'unchanged (200, same hash)': 'UNCHANGED',
  'changed feeds': 'SUCCESS',
};

/** Feed server state for a round; the same for both engines, which run it one after the other. */
function prepareFeeds(feeds: FeedServer, round: RoundName): void {
  feeds.sendEtag = round !== 'unchanged (200, same hash)';
  if (round === 'first sync') feeds.version = 0;
  if (round === 'changed feeds') feeds.version++;
}

/** Syncs every room of `app` once for `round`, checks the outcome, and returns its time. */
async function runRound(app: RunningApp, feeds: FeedServer, round: RoundName): Promise<{ ms: number; statementsPerRoom: number }> {
  if (round === 'first sync') {
    await app.services.db.room.deleteMany({}); // cascades to events and snapshots
    await insertRooms(app, feeds, 'room', ROOMS);
  } else {
    await makeAllDue(app);
  }
  const before = await eventStats(app);
  feeds.statuses.clear();
  const statementsBefore = statementTotal();

  const started = performance.now();
  const reports = await app.services.calendarSync.runDueSyncs();
  const ms = performance.now() - started;
  const statementsPerRoom = (statementTotal() - statementsBefore) / ROOMS;

  const after = await eventStats(app);
  check(reports.length === ROOMS, `${round}: ${reports.length} reports, expected ${ROOMS}`);
  check(reports.every((report) => report.status === EXPECTED[round]), `${round}: ${statusCounts(reports)}`);
  check(after.live === ROOMS * MATCHING_EVENTS, `${round}: ${after.live} live events stored`);
  if (round === 'first sync') check(after.created === ROOMS * MATCHING_EVENTS, `${round}: ${after.created} created`);
  if (round === 'unchanged (304)') check(feeds.count(304) === ROOMS, `${round}: ${feeds.count(304)} × 304`);
  if (round === 'unchanged (200, same hash)') check(feeds.count(200) === ROOMS, `${round}: ${feeds.count(200)} × 200`);
  if (EXPECTED[round] === 'UNCHANGED') check(after.lastWrite === before.lastWrite, `${round}: events were written`);
  if (round === 'changed feeds') {
    check(after.updated - before.updated === ROOMS * MATCHING_EVENTS, `${round}: ${after.updated - before.updated} updated`);
  }
  return { ms, statementsPerRoom };
}

/** A running app on a fresh database of `engine`, warmed up (JIT, connection pool) on rooms it then deletes. */
async function startEngine(engine: Engine, feeds: FeedServer): Promise<{ app: RunningApp; database: ScratchDatabase }> {
  const database = await createDatabase(engine);
  const app = await startBenchApp(database).catch(async (error: unknown) => {
    await database.drop();
    throw error;
  });
  await insertRooms(app, feeds, 'warm', WARMUP_ROOMS);
  await app.services.calendarSync.runDueSyncs();
  await app.services.db.room.deleteMany({});
  return { app, database };
}

export async function runSyncBenchmark(): Promise<void> {
  console.log(
    `\nCalendar sync: ${ROOMS} rooms × 1 local ICS feed (${MATCHING_EVENTS} matching + 2 other VEVENTs), SYNC_CONCURRENCY ${CONCURRENCY}, ${REPETITIONS} repetitions; engines take turns within each round`,
  );
  const feeds = new FeedServer();
  await feeds.start();
  countStatements();
  const results: RoundResult[] = [];
  const running: Array<{ engine: Engine; app: RunningApp; database: ScratchDatabase }> = [];
  try {
    for (const engine of ENGINES) running.push({ engine, ...(await startEngine(engine, feeds)) });
    for (let repetition = 1; repetition <= REPETITIONS; repetition++) {
      for (const round of ROUND_NAMES) {
        prepareFeeds(feeds, round);
        // Alternate which engine goes first, so neither always runs on the warmer machine.
        const order = repetition % 2 === 1 ? running : [...running].reverse();
        for (const { engine, app } of order) {
          const { ms, statementsPerRoom } = await runRound(app, feeds, round);
          results.push({ engine, round, ms, roomsPerSecond: ROOMS / (ms / 1000), statementsPerRoom });
        }
      }
      console.log(`  repetition ${repetition} done (load average ${loadAverage()})`);
    }
  } finally {
    pg.Client.prototype.query = originalQuery;
    await Promise.allSettled(running.map(async ({ app, database }) => {
      await app.close();
      await database.drop();
    }));
    await feeds.close();
  }

  const label: Record<Engine, string> = { pglite: 'PGlite', postgres: 'PostgreSQL' };
  const of = (engine: Engine, round: RoundName) => results.filter((r) => r.engine === engine && r.round === round);
  const targets: Partial<Record<RoundName, number>> = { 'unchanged (304)': 500, 'unchanged (200, same hash)': 500, 'changed feeds': 100 };
  const rows = ROUND_NAMES.map((round) => {
    const row: string[] = [round];
    for (const engine of ENGINES) row.push(formatSummary(summarize(of(engine, round).map((r) => r.roomsPerSecond))));
    const lite = of('pglite', round);
    const pgsql = of('postgres', round);
    // Ratios of runs of the same repetition: both engines ran that round back to back.
    row.push(lite.length && pgsql.length ? formatSummary(summarize(pgsql.map((r, i) => r.roomsPerSecond / lite[i]!.roomsPerSecond)), 2) : '');
    row.push(pgsql.length ? (pgsql[0]!.statementsPerRoom ?? 0).toFixed(1) : '');
    const target = targets[round];
    const median = pgsql.length ? summarize(pgsql.map((r) => r.roomsPerSecond)).median : NaN;
    row.push(target ? `≥ ${target} ${median >= target ? 'met' : 'MISSED'} (median)` : '');
    return row;
  });
  printTable(
    'Calendar sync, rooms per second',
    ['round', ...ENGINES.map((engine) => `${label[engine]} rooms/s`), 'PostgreSQL / PGlite', 'PG SQL/room', 'PG target'],
    rows,
  );
}
