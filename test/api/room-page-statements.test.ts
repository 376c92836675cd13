// The room page query costs a fixed, small number of SQL statements, however
// many meetings and events the room has: no statement per list item, no
// re-reading of the room. Counted from the server's own statement log
// (LOG_LEVEL=trace logs each one), with the schedulers off so nothing else runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from '../generated/index.js';
import { meetingTestEnv } from '../meetings/meeting-setup.js';
import { TestClock } from '../support/clock.js';
import { engines } from '../support/databases.js';
import { icsCalendar, startFeedServer, type FeedServer, type IcsEventSpec } from '../support/feed-server.js';
import { sqlStatementLog } from '../support/sql-log.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { EnableCalendar, SyncRoomCalendar } from '../sync/operations.js';
import { CreateRoom } from './operations.js';

/** The room page query of the README ("GraphQL API" › "The room page"). */
const RoomPage = graphql(`
  query RoomPageStatements($name: String!) {
    serverTime
    room(name: $name) {
      name
      isOwner
      activeMeetings { id title startsAt endsAt participantCount status }
      upcomingMeetings(withinMinutes: 30) {
        title startsAt endsAt secondsUntilStart
        meeting { id status }
      }
      calendarEvents(first: 20) {
        edges { node { id title startsAt endsAt isAllDay startDate endDate timeZone } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
`);

const NOW = new Date('2026-12-01T09:00:00Z');
const ROOM = 'busy';
/** An event of the room from `start` to `end` minutes after NOW. */
const event = (uid: string, start: number, end: number): IcsEventSpec => ({
  uid,
  summary: uid,
  start: new Date(NOW.getTime() + start * 60_000),
  end: new Date(NOW.getTime() + end * 60_000),
  location: `https://rooms.example.com/${ROOM}`,
  description: 'owner only',
});
/** Two running at NOW, three starting within 30 minutes (the first pre-created a minute ahead), and later ones. */
const EVENTS = [
  event('running-1', -30, 60),
  event('running-2', -15, 30),
  event('soon-1', 0.5, 30),
  event('soon-2', 10, 40),
  event('soon-3', 20, 50),
  ...Array.from({ length: 15 }, (_, i) => event(`later-${i}`, 120 + 30 * i, 140 + 30 * i)),
];

describe.each(engines)('SQL statements of the room page query on %s', (engine) => {
  let server: TestServer;
  let feeds: FeedServer;
  const { logger, statements } = sqlStatementLog();
  beforeAll(async () => {
    const clock = new TestClock(NOW);
    feeds = await startFeedServer();
    server = await startTestServer(engine, {
      clock,
      logger,
      env: meetingTestEnv,
    });
    feeds.serve(`/${ROOM}.ics`, { body: icsCalendar(EVENTS) });
    await server.request(CreateRoom, { input: { name: ROOM } }, { as: 'owner' });
    await server.request(EnableCalendar, { name: ROOM, url: feeds.url(`/${ROOM}.ics`) }, { as: 'owner' });
    expect((await server.request(SyncRoomCalendar, { roomName: ROOM }, { as: 'owner' })).body.data?.syncRoomCalendar).toMatchObject({ result: { status: 'SUCCESS' } });
    await server.app.services.meetings.tick(); // starts the running meetings, pre-creates the one a minute away
  });
  afterAll(async () => {
    await server?.close();
    await feeds?.close();
  });

  async function statementsOf(as?: string) {
    statements.length = 0;
    const response = await server.request(RoomPage, { name: ROOM }, as ? { as } : {});
    expect(response.body.errors).toBeUndefined();
    return { room: response.body.data?.room, statements: [...statements] };
  }

  it.each([['anonymous', undefined], ['owner', 'owner']])('answers %s callers in at most 3 statements', async (_who, as) => {
    const { room, statements: sql } = await statementsOf(as);
    expect(room?.activeMeetings).toHaveLength(2);
    expect(room?.upcomingMeetings).toHaveLength(3);
    expect(room?.upcomingMeetings.filter((upcoming) => upcoming.meeting)).toHaveLength(1);
    expect(room?.calendarEvents.edges).toHaveLength(EVENTS.length);
    expect(room?.isOwner).toBe(as === 'owner');
    expect(sql.length, sql.join('\n')).toBeGreaterThan(0);
    expect(sql.length, sql.join('\n')).toBeLessThanOrEqual(3);
  });
});
