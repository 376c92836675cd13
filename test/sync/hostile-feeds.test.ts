// Feeds that used to take the server down or fail every sync, through the
// public API against a real server and real feed servers: unreadable
// encodings (the process died), NUL characters (PostgreSQL refused the row),
// folds inside UTF-8 characters (titles got U+FFFD), runaway recurrences
// (thousands of rows per room), and raw HTTP responses of every shape.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateRoom } from '../api/operations.js';
import { TestClock } from '../support/clock.js';
import { engines } from '../support/databases.js';
import { icsCalendar, startFeedServer, type FeedServer } from '../support/feed-server.js';
import { resultAs } from '../support/results.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { FEED_ERROR_CODES } from '../../src/calendar/feed-errors.js';
import { EnableCalendar, RoomCalendar, SyncRoomCalendar, TestIcsUrl } from './operations.js';

const T0 = new Date('2026-12-01T09:00:00Z');
const HOUR = 3_600_000;
const MAX_EVENTS = 40;
const env = {
  ICS_ALLOW_HTTP: 'true',
  ICS_ALLOW_PRIVATE_NETWORKS: 'true',
  SYNC_ENABLED: 'false',
  ICS_FETCH_TIMEOUT_MS: '1000',
  MANUAL_SYNC_MIN_INTERVAL_SECONDS: '0',
  SYNC_MAX_EVENTS_PER_ROOM: String(MAX_EVENTS),
};

const feedFor = (room: string, summary = 'Planning') =>
  icsCalendar([
    { uid: 'a@x', summary, start: new Date(T0.getTime() + HOUR), end: new Date(T0.getTime() + 2 * HOUR), location: `https://rooms.example.com/${room}` },
    { uid: 'b@x', summary: 'Retro', start: new Date(T0.getTime() + 3 * HOUR), end: new Date(T0.getTime() + 4 * HOUR), description: `rooms.example.com/room/${room}` },
  ]);

describe.each(engines)('hostile feeds through the API on %s', (engine) => {
  let server: TestServer;
  let feeds: FeedServer;
  const clock = new TestClock(T0);
  let rooms = 0;

  beforeAll(async () => {
    feeds = await startFeedServer();
    server = await startTestServer(engine, { clock, env });
  });
  afterAll(async () => {
    await server?.close();
    await feeds?.close();
  });

  const health = async () => (await fetch(`${server.url}/health`)).status;

  /** A new room whose feed is served at its own path. */
  async function room(): Promise<{ name: string; path: string }> {
    rooms++;
    const name = `hostile-${rooms}`;
    const path = `/${name}.ics`;
    await server.request(CreateRoom, { input: { name } }, { as: 'owner' });
    feeds.serve(path, { body: feedFor(name) });
    const enabled = await server.request(EnableCalendar, { name, url: feeds.url(path) }, { as: 'owner' });
    expect(enabled.body.errors).toBeUndefined();
    return { name, path };
  }

  const calendarOf = async (name: string) => {
    const room = (await server.request(RoomCalendar, { name }, { as: 'owner' })).body.data!.room!;
    return { ics: room.ics, calendarEvents: room.calendarEvents.edges.map((edge) => edge.node) };
  };
  const syncNow = async (name: string) =>
    resultAs((await server.request(SyncRoomCalendar, { roomName: name }, { as: 'owner' })).body.data!.syncRoomCalendar, 'SyncRoomCalendarSuccess').result;

  it.each([
    ['br', brotliCompressSync],
    ['gzip, br', (body: Buffer) => brotliCompressSync(gzipSync(body))],
    ['deflate', deflateSync],
  ] as const)('testIcsUrl reads a feed sent with Content-Encoding "%s"', async (encoding, encode) => {
    const path = `/encoded/${encodeURIComponent(encoding)}.ics`;
    feeds.serve(path, { body: encode(Buffer.from(feedFor('x'))), headers: { 'content-encoding': encoding } });
    const probe = await server.request(TestIcsUrl, { url: feeds.url(path) }, { as: 'owner' });
    expect(probe.body.data?.testIcsUrl).toMatchObject({ __typename: 'TestIcsUrlSuccess', report: { eventsInFeed: 2 } });
  });

  it.each(['zstd', 'UTF-8', 'gzip, zstd'])(
    'testIcsUrl refuses a feed sent with Content-Encoding "%s" with a clear error, and the server keeps running',
    async (encoding) => {
      const path = `/unreadable/${encodeURIComponent(encoding)}.ics`;
      feeds.serve(path, { body: feedFor('x').repeat(50), headers: { 'content-encoding': encoding } });
      const probe = await server.request(TestIcsUrl, { url: feeds.url(path) }, { as: 'owner' });
      const refused = resultAs(probe.body.data?.testIcsUrl, 'FeedError');
      expect(refused.code).toBe('UNSUPPORTED_ENCODING');
      expect(refused.message).toContain(`Content-Encoding: ${encoding}`);
      expect(await health()).toBe(200);
    },
  );

  it('a room whose feed is unreadable records the error and backs off, and the server keeps running', async () => {
    const { name, path } = await room();
    feeds.serve(path, { body: feedFor(name), headers: { 'content-encoding': 'zstd' } });
    clock.advance(1000);
    const [first] = await server.app.services.calendarSync.runDueSyncs();
    expect(first?.status).toBe('ERROR');
    const afterFirst = (await calendarOf(name)).ics!;
    expect(afterFirst).toMatchObject({ lastStatus: 'ERROR' });
    expect(afterFirst.lastError).toContain('Content-Encoding: zstd');
    const firstDelay = new Date(afterFirst.nextSyncAt!).getTime() - new Date(afterFirst.lastSyncAt!).getTime();

    // Not due before its retry time; then it fails again and waits twice as long.
    expect(await server.app.services.calendarSync.runDueSyncs()).toEqual([]);
    clock.set(new Date(afterFirst.nextSyncAt!));
    await server.app.services.calendarSync.runDueSyncs();
    const afterSecond = (await calendarOf(name)).ics!;
    expect(new Date(afterSecond.nextSyncAt!).getTime() - new Date(afterSecond.lastSyncAt!).getTime()).toBe(2 * firstDelay);
    expect(await health()).toBe(200);
  });

  it('drops NUL characters from every text field instead of failing the sync', async () => {
    const { name, path } = await room();
    const body = feedFor(name, 'Plan\u0000ning')
      .replace(`LOCATION:https://rooms.example.com/${name}`, `LOCATION:https://rooms.example.com/${name}\u0000\r\nDESCRIPTION:agen\u0000da`)
      .replace('END:VEVENT', 'ATTENDEE;CN=An\u0000a:mailto:ana@example.com\r\nEND:VEVENT');
    feeds.serve(path, { body });
    expect(await syncNow(name)).toMatchObject({ status: 'SUCCESS', error: null });
    const [planning] = (await calendarOf(name)).calendarEvents;
    expect(planning).toMatchObject({ title: 'Planning', description: 'agenda', attendees: [{ name: 'Ana', email: 'ana@example.com' }] });
  });

  it('reads a title folded in the middle of a multi-byte UTF-8 character', async () => {
    const { name, path } = await room();
    const [before, after] = feedFor(name, 'Réunion équipe').split('Réunion');
    const e9 = Buffer.from('é'); // two bytes: C3 A9
    // SUMMARY:R<C3> CRLF SPACE <A9>union équipe — the fold splits "é" as a 75-octet folder may.
    const body = Buffer.concat([Buffer.from(`${before}R`), e9.subarray(0, 1), Buffer.from('\r\n '), e9.subarray(1), Buffer.from(`union${after}`)]);
    feeds.serve(path, { body });
    expect(await syncNow(name)).toMatchObject({ status: 'SUCCESS' });
    expect((await calendarOf(name)).calendarEvents.map((event) => event.title)).toEqual(['Réunion équipe', 'Retro']);
  });

  it(`keeps the first ${MAX_EVENTS} matching instances by start time and says so, for a runaway recurrence`, async () => {
    clock.set(T0);
    const { name, path } = await room();
    const minutely = icsCalendar([
      { uid: 'every-minute@x', summary: 'Every minute', start: new Date(T0.getTime() - 2 * HOUR), end: new Date(T0.getTime() - 2 * HOUR + 60_000), rrule: 'FREQ=MINUTELY', location: `https://rooms.example.com/${name}` },
    ]);
    feeds.serve(path, { body: minutely });
    expect(await syncNow(name)).toMatchObject({ status: 'SUCCESS' });
    const { ics, calendarEvents } = await calendarOf(name);
    // The window is now − 1 h … now + 24 h: 25 h of one-minute instances.
    expect(ics?.eventsMatched).toBe(25 * 60);
    expect(ics?.eventsCreated).toBe(MAX_EVENTS);
    expect(ics?.lastError).toMatch(new RegExp(`only the first ${MAX_EVENTS}`));
    const stored = await server.app.services.db.calendarEvent.findMany({ where: { room: { name } }, orderBy: { start: 'asc' } });
    expect(stored).toHaveLength(MAX_EVENTS);
    expect(stored[0]?.start).toEqual(new Date(T0.getTime() - HOUR));
    expect(calendarEvents.length).toBeLessThanOrEqual(MAX_EVENTS);
  });

  it('records an outcome for every raw HTTP response a feed server can send, and keeps running', async () => {
    const raw = await startRawFeedServer();
    const { name } = await room();
    await server.request(EnableCalendar, { name, url: raw.url }, { as: 'owner' });
    try {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(rawResponse(feedFor(name)), async (response) => {
          raw.respondWith(response);
          run++;
          const report = await syncNow(name);
          expect(['SUCCESS', 'UNCHANGED', 'ERROR']).toContain(report.status);
          const { ics } = await calendarOf(name);
          expect(ics?.lastStatus).toBe(report.status);
          if (report.status === 'ERROR') {
            expect(ics?.lastError).toBeTruthy();
            expect(ics?.lastError).not.toMatch(/Internal error/);
          }
          // A new URL each run: testIcsUrl answers a repeated test from its recent result.
          const probe = (await server.request(TestIcsUrl, { url: `${raw.url}?run=${run}` }, { as: 'owner' })).body.data!.testIcsUrl;
          if (probe.__typename === 'FeedError') expect(FEED_ERROR_CODES.filter((code) => code !== 'INTERNAL')).toContain(probe.code);
          else expect(probe.__typename).toBe('TestIcsUrlSuccess');
        }),
        { numRuns: 60, seed: 20261129 },
      );
    } finally {
      await raw.close();
    }
    expect(await health()).toBe(200);
  });
});

interface RawResponse {
  status: number;
  encoding: string | null;
  /** Whether the body really is encoded as the header says. */
  encoded: boolean;
  length: 'exact' | 'short' | 'long' | 'none' | 'garbage';
  extraHeader: string | null;
  body: Buffer;
  /** Cut the whole response (head and body) after this fraction of its bytes. */
  cut: number | null;
  ending: 'end' | 'reset';
}

const ENCODERS: Record<string, (body: Buffer) => Buffer> = {
  gzip: gzipSync,
  'x-gzip': gzipSync,
  deflate: deflateSync,
  br: brotliCompressSync,
  'gzip, br': (body) => brotliCompressSync(gzipSync(body)),
  'br, gzip': (body) => gzipSync(brotliCompressSync(body)),
};

function rawResponse(calendar: string): fc.Arbitrary<RawResponse> {
  return fc.record({
    status: fc.oneof(fc.constantFrom(200, 200, 200, 204, 301, 304, 404, 500), fc.integer({ min: 200, max: 999 })),
    encoding: fc.option(fc.constantFrom(...Object.keys(ENCODERS), 'zstd', 'UTF-8', 'identity', 'gzip, gzip, gzip, gzip', ' GZIP ', ',')),
    encoded: fc.boolean(),
    length: fc.constantFrom('exact', 'short', 'long', 'none', 'garbage'),
    extraHeader: fc.option(
      fc.constantFrom('Location: /elsewhere', 'Location: ftp://x', 'Content-Type: text/html', 'X-Bad Header: 1', 'Transfer-Encoding: chunked', 'Content-Length: 5'),
    ),
    body: fc.oneof(
      fc.constant(Buffer.from(calendar)),
      fc.string({ maxLength: 200 }).map((text) => Buffer.from(text)),
      fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
    ),
    cut: fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
    ending: fc.constantFrom('end', 'reset'),
  });
}

function encodeRaw(response: RawResponse): Buffer {
  const encoder = response.encoding && response.encoded ? ENCODERS[response.encoding] : undefined;
  const body = encoder ? encoder(response.body) : response.body;
  const lines = [`HTTP/1.1 ${response.status} Whatever`, 'Connection: close'];
  if (response.encoding !== null) lines.push(`Content-Encoding: ${response.encoding}`);
  const declared = { exact: String(body.length), short: String(Math.floor(body.length / 2)), long: String(body.length + 100), none: null, garbage: 'lots' }[response.length];
  if (declared !== null) lines.push(`Content-Length: ${declared}`);
  if (response.extraHeader) lines.push(response.extraHeader);
  const whole = Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), body]);
  return response.cut === null ? whole : whole.subarray(0, Math.floor(whole.length * response.cut));
}

/** A TCP server that answers every connection with the bytes of one raw HTTP response, then closes or resets. */
async function startRawFeedServer() {
  let current: RawResponse | null = null;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.once('data', () => {
      if (!current) return void socket.destroy();
      const ending = current.ending;
      socket.write(encodeRaw(current), () => (ending === 'reset' ? socket.resetAndDestroy() : socket.end()));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/feed.ics`,
    respondWith: (response: RawResponse) => void (current = response),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
