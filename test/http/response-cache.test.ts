// The response cache (README "Performance" › "Response cache") from a client's
// side: a repeated query costs no SQL, each viewer keeps their own answer,
// every change shows on the next request, and time-bound answers follow the
// server's clock. The clock is a TestClock that only the test moves, so a
// result is reused for as long as the test does not change or move anything.
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateRoom, ServerTime, UpdateRoom } from '../api/operations.js';
import { graphql } from '../generated/index.js';
import { day, LOCAL_WEBHOOK_SECRET, meetingTestEnv, postLocalWebhook, roomEvent } from '../meetings/meeting-setup.js';
import { CreateMeeting } from '../meetings/operations.js';
import { TestClock } from '../support/clock.js';
import { engines } from '../support/databases.js';
import { icsCalendar, startFeedServer, type FeedServer } from '../support/feed-server.js';
import { resultAs } from '../support/results.js';
import { sqlStatementLog } from '../support/sql-log.js';
import { startTestServer, tokenFor, type TestServer } from '../support/test-server.js';
import { EnableCalendar, SyncRoomCalendar } from '../sync/operations.js';

/** The room page's kind of query: no serverTime, so it may be served from the cache. */
const CachedRoom = graphql(`
  query CachedRoom($name: String!) {
    room(name: $name) {
      name
      isOwner
      activeMeetings { id title participantCount platformMeetingId }
      upcomingMeetings(withinMinutes: 30) { title calendarEvent { description } meeting { id } }
    }
  }
`);

const ROOM = 'lobby';
const standup = { ...roomEvent(ROOM, 'standup', day('10:00:00'), day('10:30:00')), description: 'Blockers first' };
const planning = roomEvent(ROOM, 'planning', day('10:30:00'), day('11:00:00'));

describe.each(engines)('response cache on %s', (engine) => {
  let server: TestServer;
  let feeds: FeedServer;
  const clock = new TestClock(day('09:50:00'));
  const { logger, statements } = sqlStatementLog();

  /** The query as a browser sends it, with the SQL statements it cost. */
  async function ask(name: string, headers: Record<string, string> = {}) {
    statements.length = 0;
    const response = await fetch(server.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query: print(CachedRoom), variables: { name } }),
    });
    const text = await response.text();
    return { status: response.status, etag: response.headers.get('etag'), text, body: text ? JSON.parse(text) : null, sql: statements.length };
  }
  const owner = async () => ({ authorization: `Bearer ${await tokenFor('owner', { now: clock.now(), expiresIn: '12h' })}` });
  const room = async (name = ROOM, headers: Record<string, string> = {}) => {
    const answer = await ask(name, headers);
    expect(answer.body.errors).toBeUndefined();
    return answer.body.data.room;
  };
  async function sync() {
    const synced = await server.request(SyncRoomCalendar, { roomName: ROOM }, { as: 'owner' });
    expect(resultAs(synced.body.data?.syncRoomCalendar, 'SyncRoomCalendarSuccess').result.status).toBe('SUCCESS');
  }

  beforeAll(async () => {
    feeds = await startFeedServer();
    server = await startTestServer(engine, { clock, logger, env: { ...meetingTestEnv, LOCAL_WEBHOOK_SECRET } });
    feeds.serve(`/${ROOM}.ics`, { body: icsCalendar([standup, planning]) });
    await server.request(CreateRoom, { input: { name: ROOM } }, { as: 'owner' });
    await server.request(EnableCalendar, { name: ROOM, url: feeds.url(`/${ROOM}.ics`) }, { as: 'owner' });
    await sync();
  });
  afterAll(async () => {
    await server?.close();
    await feeds?.close();
  });

  it('answers a repeated query without the database, with an ETag that a conditional request gets 304 for', async () => {
    const first = await ask(ROOM);
    expect(first.body.data.room.upcomingMeetings.map((upcoming: { title: string }) => upcoming.title)).toEqual(['standup']);
    expect(first.sql).toBeGreaterThan(0);
    const second = await ask(ROOM);
    expect(second.text).toBe(first.text);
    expect(second.sql).toBe(0);
    expect(second.etag).toMatch(/^[0-9a-f]{64}$/);
    const conditional = await ask(ROOM, { 'if-none-match': second.etag! });
    expect(conditional.status).toBe(304);
    expect(conditional.text).toBe('');
  });

  it("keeps each viewer's answer apart: anonymous callers never get the owner's fields, a bad token is refused", async () => {
    expect((await room()).upcomingMeetings[0]).toEqual({ title: 'standup', calendarEvent: { description: null }, meeting: null });
    const ownView = await room(ROOM, await owner());
    expect(ownView.isOwner).toBe(true);
    expect(ownView.upcomingMeetings[0].calendarEvent.description).toBe('Blockers first');
    const guest = `Bearer ${await tokenFor('guest', { now: clock.now(), expiresIn: '12h' })}`;
    expect(await room(ROOM, { authorization: guest })).toMatchObject({ isOwner: false, upcomingMeetings: [{ calendarEvent: { description: null } }] });
    expect(await room()).toMatchObject({ isOwner: false, upcomingMeetings: [{ calendarEvent: { description: null } }] });

    const anonymous = await ask(ROOM);
    const forgedToken = `Bearer ${await tokenFor('owner', { now: clock.now(), secret: 'not-the-servers-secret-but-long-enough' })}`;
    for (const conditional of [{}, { 'if-none-match': anonymous.etag! }] as Array<Record<string, string>>) {
      const forged = await ask(ROOM, { authorization: forgedToken, ...conditional });
      expect(forged.status).toBe(401);
      expect(forged.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    }
  });

  it('shows each change on the next request: a new room, a new meeting, its participants, a synced feed, a renamed room', async () => {
    expect(await room('annex')).toBeNull();
    await server.request(CreateRoom, { input: { name: 'annex' } }, { as: 'owner' });
    expect((await room('annex')).name).toBe('annex');

    expect((await room()).activeMeetings).toEqual([]);
    const created = await server.request(CreateMeeting, { roomName: ROOM }, { as: 'owner' });
    const meeting = resultAs(created.body.data?.createMeeting, 'CreateMeetingSuccess').meeting;
    expect((await room()).activeMeetings).toEqual([{ id: meeting.id, title: null, participantCount: 0, platformMeetingId: null }]);

    const joined = { type: 'room.client.joined', data: { meetingId: meeting.platformMeetingId, numClients: 4 } };
    expect((await postLocalWebhook(server, joined, { at: clock.now() })).status).toBe(200);
    expect((await room()).activeMeetings[0].participantCount).toBe(4);

    const briefing = roomEvent(ROOM, 'briefing', day('10:10:00'), day('10:20:00'));
    feeds.serve(`/${ROOM}.ics`, { body: icsCalendar([standup, briefing, planning]) });
    await sync();
    expect((await room()).upcomingMeetings.map((upcoming: { title: string }) => upcoming.title)).toEqual(['standup', 'briefing']);

    expect(await room('front-desk')).toBeNull();
    await server.request(UpdateRoom, { name: ROOM, input: { name: 'front-desk' } }, { as: 'owner' });
    expect(await room(ROOM)).toBeNull();
    expect((await room('front-desk')).name).toBe('front-desk');
    await server.request(UpdateRoom, { name: 'front-desk', input: { name: ROOM } }, { as: 'owner' });
    expect((await room()).name).toBe(ROOM);
  });

  it("follows the server's clock: what time alone changes is recomputed once the clock moves on", async () => {
    clock.set(day('09:55:00'));
    expect((await room()).upcomingMeetings.map((upcoming: { title: string }) => upcoming.title)).not.toContain('planning');
    clock.set(day('10:05:00')); // no write at all: planning (10:30) is now within 30 minutes
    expect((await room()).upcomingMeetings.map((upcoming: { title: string }) => upcoming.title)).toContain('planning');
  });

  it('never serves serverTime from the cache', async () => {
    const before = (await server.request(ServerTime, {})).body.data!.serverTime;
    clock.advance(10); // within the same cache slot
    const after = (await server.request(ServerTime, {})).body.data!.serverTime;
    expect(new Date(after).getTime() - new Date(before).getTime()).toBe(10);
  });
});
