// What the meeting tests share: a fixed day, a server whose schedulers the test
// drives by hand, rooms fed from a real ICS server, and a Whereby-shaped HTTP API.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect } from 'vitest';
import { signWebhook } from '../../src/meetings/webhook-signature.js';
import { CreateRoom } from '../api/operations.js';
import type { Clock } from '../../src/clock.js';
import type { Engine } from '../support/databases.js';
import { icsCalendar, startFeedServer, type FeedServer, type IcsEventSpec } from '../support/feed-server.js';
import { resultAs } from '../support/results.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { EnableCalendar, SyncRoomCalendar } from '../sync/operations.js';

export const day = (time: string) => new Date(`2026-12-01T${time}Z`);

/** LOCAL_WEBHOOK_SECRET of the servers whose tests report participants through /webhooks/local. */
export const LOCAL_WEBHOOK_SECRET = 'local-webhook-secret-for-tests';

/**
 * POSTs a platform report to /webhooks/local, signed for `at` with the test
 * secret (or `secret`), or sent with a given signature `header`; a string body
 * is sent as it is.
 */
export async function postLocalWebhook(server: TestServer, body: unknown, options: { at: Date; secret?: string; header?: string }) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const response = await fetch(`${server.url}/webhooks/local`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'whereby-signature': options.header ?? signWebhook(raw, options.secret ?? LOCAL_WEBHOOK_SECRET, options.at) },
    body: raw,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Schedulers off (tests tick them with the injected clock), local feeds allowed, manual sync unthrottled. */
export const meetingTestEnv = {
  ICS_ALLOW_HTTP: 'true',
  ICS_ALLOW_PRIVATE_NETWORKS: 'true',
  SYNC_ENABLED: 'false',
  MEETINGS_ENABLED: 'false',
  MANUAL_SYNC_MIN_INTERVAL_SECONDS: '0',
};

/** An event whose location points at the room. */
export const roomEvent = (room: string, uid: string, start: Date, end: Date): IcsEventSpec => ({
  uid,
  summary: uid,
  start,
  end,
  location: `https://rooms.example.com/${room}`,
});

/** Creates the room (unless it exists) with a calendar serving `events`, synced once. */
export async function roomWithCalendar(server: TestServer, feeds: FeedServer, room: string, events: IcsEventSpec[]): Promise<void> {
  feeds.serve(`/${room}.ics`, { body: icsCalendar(events), etag: true });
  if ((await server.app.services.db.room.count({ where: { name: room } })) === 0) {
    await server.request(CreateRoom, { input: { name: room } }, { as: 'owner' });
  }
  await server.request(EnableCalendar, { name: room, url: feeds.url(`/${room}.ics`) }, { as: 'owner' });
  const synced = await server.request(SyncRoomCalendar, { roomName: room }, { as: 'owner' });
  expect(resultAs(synced.body.data?.syncRoomCalendar, 'SyncRoomCalendarSuccess').result.status).toBe('SUCCESS');
}

export interface FakeWhereby {
  /** WHEREBY_API_URL for the server under test. */
  apiUrl: string;
  calls: Array<{ method: string; url: string; authorization: string | undefined; at: Date }>;
  /** While set, meeting creation answers this HTTP status. */
  failWith: number | null;
  close(): Promise<void>;
}

/** Speaks Whereby's REST shapes: POST /v1/meetings → 201 with ids wb-<call number>, DELETE → 204. */
export async function startFakeWhereby(clock: Clock): Promise<FakeWhereby> {
  const server = createServer((req, res) => {
    const call = { method: req.method!, url: req.url!, authorization: req.headers.authorization, at: clock.now() };
    fake.calls.push(call);
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (req.method === 'DELETE') return void res.writeHead(204).end();
      if (req.method !== 'POST' || req.url !== '/v1/meetings') return void res.writeHead(404).end();
      if (fake.failWith !== null) return void res.writeHead(fake.failWith).end('unavailable');
      const { endDate } = JSON.parse(body) as { endDate: string };
      const meetingId = `wb-${fake.calls.length}`;
      res.writeHead(201, { 'content-type': 'application/json' }).end(
        JSON.stringify({ meetingId, roomUrl: `https://example.whereby.com/room-${meetingId}`, hostRoomUrl: `https://example.whereby.com/room-${meetingId}?roomKey=secret`, endDate }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const fake: FakeWhereby = {
    apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    calls: [],
    failWith: null,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  return fake;
}

/**
 * A test server on `engine` (schedulers driven by the test through `clock`) and
 * a feed server, started before the suite's tests and closed after them.
 * `env` is read at start-up, so it may name servers started in an earlier hook.
 */
export function useMeetingServer(engine: Engine, clock: Clock, env: () => Record<string, string> = () => ({})) {
  const started = {} as { server: TestServer; feeds: FeedServer };
  beforeAll(async () => {
    started.feeds = await startFeedServer();
    started.server = await startTestServer(engine, { clock, env: { ...meetingTestEnv, ...env() } });
  });
  afterAll(async () => {
    await started.server?.close();
    await started.feeds?.close();
  });
  return started;
}
