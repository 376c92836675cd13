// Feeds take bounded memory and work, and never the server's attention:
// parsing and expansion run in worker threads (requests are answered while a
// worker is busy), the parsed-feed cache stays within its byte budget however
// many large feeds there are, and testIcsUrl repeated in one request fetches once.
import { parse } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateRoom } from '../api/operations.js';
import { TestClock } from '../support/clock.js';
import { engines } from '../support/databases.js';
import { icsCalendar, startFeedServer, type FeedServer, type IcsEventSpec } from '../support/feed-server.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { EnableCalendar, RoomCalendar } from './operations.js';

const T0 = new Date('2026-12-01T09:00:00Z');
const HOUR = 3_600_000;
const MB = 1024 * 1024;
const CACHE_MB = 8;
const env = {
  ICS_ALLOW_HTTP: 'true',
  ICS_ALLOW_PRIVATE_NETWORKS: 'true',
  SYNC_ENABLED: 'false',
  SYNC_WORKER_THREADS: '1',
  SYNC_PARSED_FEED_CACHE_MB: String(CACHE_MB),
};

/** A feed of `count` events, two of them in the window and pointing at the room. */
function largeFeed(room: string, count: number): string {
  const events: IcsEventSpec[] = Array.from({ length: count }, (_, index) => ({
    uid: `event-${index}@example.com`,
    summary: `Meeting ${index} about a topic with a reasonably long title`,
    start: new Date(T0.getTime() + (index < 2 ? HOUR * (index + 1) : 400 * 24 * HOUR + index * HOUR)),
    end: new Date(T0.getTime() + (index < 2 ? HOUR * (index + 2) : 400 * 24 * HOUR + index * HOUR + HOUR)),
    location: `https://rooms.example.com/${room}`,
    description: 'An agenda with a few lines of text, as real invitations carry, repeated to make the event realistic in size.',
  }));
  return icsCalendar(events);
}

describe.each(engines)('bounded feed work on %s', (engine) => {
  let server: TestServer;
  let feeds: FeedServer;
  const clock = new TestClock(T0);

  beforeAll(async () => {
    feeds = await startFeedServer();
    server = await startTestServer(engine, { clock, env });
  });
  afterAll(async () => {
    await server?.close();
    await feeds?.close();
  });

  async function roomWithFeed(name: string, body: string) {
    feeds.serve(`/${name}.ics`, { body, etag: true });
    await server.request(CreateRoom, { input: { name } }, { as: 'owner' });
    const enabled = await server.request(EnableCalendar, { name, url: feeds.url(`/${name}.ics`) }, { as: 'owner' });
    expect(enabled.body.errors).toBeUndefined();
  }

  it('keeps the parsed-feed cache within its byte budget with many large feeds, and still syncs every room', async () => {
    const rooms = Array.from({ length: 16 }, (_, index) => `large-${index}`);
    for (const name of rooms) await roomWithFeed(name, largeFeed(name, 1500));
    const feedChars = largeFeed('large-0', 1500).length;
    // Together far over the budget: each parsed feed alone takes a few MB.
    expect(rooms.length * feedChars * 8).toBeGreaterThan(4 * CACHE_MB * MB);

    clock.advance(1000);
    const first = await server.app.services.calendarSync.runDueSyncs();
    expect(first.map((report) => report.status)).toEqual(rooms.map(() => 'SUCCESS'));
    const cached = server.app.services.feedAnalyzer.cachedBytes();
    expect(cached).toBeGreaterThan(0);
    expect(cached).toBeLessThanOrEqual(CACHE_MB * MB);

    // Unchanged feeds (304): rooms whose parse was evicted are read from their stored snapshot.
    clock.advance(10 * 60_000);
    const second = await server.app.services.calendarSync.runDueSyncs();
    expect(second.map((report) => report.status)).toEqual(rooms.map(() => 'UNCHANGED'));
    for (const name of rooms) expect(feeds.requests(`/${name}.ics`).at(-1)?.['if-none-match']).toBeTruthy();
    const { ics } = (await server.request(RoomCalendar, { name: 'large-15' }, { as: 'owner' })).body.data!.room!;
    expect(ics).toMatchObject({ lastStatus: 'UNCHANGED', eventsInFeed: 1500, eventsMatched: 2 });
    expect(server.app.services.feedAnalyzer.cachedBytes()).toBeLessThanOrEqual(CACHE_MB * MB);
  });

  it('answers other requests while a worker expands a hostile recurrence feed', async () => {
    clock.set(T0);
    // Sub-second rules with a huge COUNT cannot skip ahead: each walks from 1900 until the expansion budget runs out.
    const hostile = icsCalendar(
      Array.from({ length: 40 }, (_, index) => ({
        uid: `secondly-${index}@example.com`,
        summary: 'Every second',
        start: new Date('1900-01-01T00:00:00Z'),
        end: new Date('1900-01-01T00:00:01Z'),
        rrule: 'FREQ=SECONDLY;COUNT=100000000',
        location: 'https://rooms.example.com/hostile',
      })),
    );
    await roomWithFeed('hostile', hostile);
    const analyzer = server.app.services.feedAnalyzer;
    const completedBefore = analyzer.completed;

    clock.advance(1000);
    const syncing = server.app.services.calendarSync.runDueSyncs();
    await expect.poll(() => analyzer.pending, { timeout: 10_000, interval: 5 }).toBe(1);
    // Answered while the worker's job is still running: the event loop is free.
    const answer = await server.request(RoomCalendar, { name: 'hostile' }, { as: 'owner' });
    expect(answer.body.data?.room?.ics).toBeTruthy();
    expect(analyzer.completed).toBe(completedBefore);

    const [report] = await syncing;
    expect(report).toMatchObject({ status: 'ERROR' });
    expect(report?.error).toMatch(/too complex/);
  });

  // As many aliases as GRAPHQL_MAX_ALIASES lets through by default.
  it('fetches once for a request that repeats testIcsUrl under 15 aliases', async () => {
    feeds.serve('/aliased.ics', { body: largeFeed('aliased', 10) });
    const url = feeds.url('/aliased.ics');
    const fields = Array.from(
      { length: 15 },
      (_, index) => `t${index}: testIcsUrl(url: $url) { __typename ... on TestIcsUrlSuccess { report { eventsInFeed } } }`,
    ).join('\n');
    type Tested = { __typename: string; report?: { eventsInFeed: number } };
    const document = parse(`mutation Aliased($url: String!) { ${fields} }`) as TypedDocumentNode<Record<string, Tested>, { url: string }>;
    const response = await server.request(document, { url }, { as: 'owner' });
    expect(response.body.errors).toBeUndefined();
    expect(Object.values(response.body.data ?? {})).toEqual(
      Array.from({ length: 15 }, () => ({ __typename: 'TestIcsUrlSuccess', report: { eventsInFeed: 10 } })),
    );
    expect(feeds.requests('/aliased.ics')).toHaveLength(1);

    // A later test fetches again.
    clock.advance(60_000);
    await server.request(document, { url }, { as: 'owner' });
    expect(feeds.requests('/aliased.ics')).toHaveLength(2);
  });
});
