// Each feed worker thread caches the feeds it parsed, so a room is always
// analyzed on the same thread: a feed that did not change (304) is expanded
// from that thread's cached parse, never read back from the database's stored
// snapshot and parsed again elsewhere. Counted from the server's SQL log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateRoom } from '../api/operations.js';
import { day, meetingTestEnv, roomEvent } from '../meetings/meeting-setup.js';
import { TestClock } from '../support/clock.js';
import { engines } from '../support/databases.js';
import { icsCalendar, startFeedServer, type FeedServer } from '../support/feed-server.js';
import { sqlStatementLog } from '../support/sql-log.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { EnableCalendar } from './operations.js';

const ROOMS = Array.from({ length: 12 }, (_, index) => `desk-${index}`);

describe.each(engines)('feed worker threads on %s', (engine) => {
  let server: TestServer;
  let feeds: FeedServer;
  const clock = new TestClock(day('09:00:00'));
  const { logger, statements } = sqlStatementLog();

  beforeAll(async () => {
    feeds = await startFeedServer();
    server = await startTestServer(engine, { clock, logger, env: { ...meetingTestEnv, SYNC_WORKER_THREADS: '2' } });
    for (const room of ROOMS) {
      feeds.serve(`/${room}.ics`, { body: icsCalendar([roomEvent(room, `${room}-review`, day('11:00:00'), day('12:00:00'))]), etag: true });
      await server.request(CreateRoom, { input: { name: room } }, { as: 'owner' });
      await server.request(EnableCalendar, { name: room, url: feeds.url(`/${room}.ics`) }, { as: 'owner' });
    }
  });
  afterAll(async () => {
    await server?.close();
    await feeds?.close();
  });

  it('expands unchanged feeds from the parse cached on their own thread, without reading the stored feed', async () => {
    const first = await server.app.services.calendarSync.runDueSyncs();
    expect(first.map((report) => report.status)).toEqual(ROOMS.map(() => 'SUCCESS'));

    clock.advance(10 * 60_000);
    statements.length = 0;
    const second = await server.app.services.calendarSync.runDueSyncs();
    expect(second.map((report) => report.status)).toEqual(ROOMS.map(() => 'UNCHANGED'));
    for (const room of ROOMS) expect(feeds.requests(`/${room}.ics`).at(-1)?.['if-none-match']).toBeTruthy();
    expect(statements.filter((sql) => sql.includes('IcsFeedSnapshot'))).toEqual([]);
  });
});
