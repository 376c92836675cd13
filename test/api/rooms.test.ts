import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { CreateRoom, DeleteRoom, MyRooms, RoomByName, UpdateRoom } from './operations.js';

const GOOGLE_FEED = 'webcal://calendar.google.com/calendar/ical/team%40example.com/private-0123456789abcdef/basic.ics';

describe.each(engines)('rooms on %s', (engine) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(engine);
  });
  afterAll(() => server?.close());

  const codeOf = (response: { body: { errors?: Array<{ extensions?: Record<string, unknown> }> } }) =>
    response.body.errors?.[0]?.extensions?.code;

  it('creates a room owned by the caller, with its ICS URL stored encrypted and shown masked', async () => {
    const created = await server.request(
      CreateRoom,
      { input: { name: 'standup', ics: { url: GOOGLE_FEED, enabled: true, fetchIntervalSeconds: 600 } } },
      { as: 'alice' },
    );
    expect(created.body.errors).toBeUndefined();
    expect(created.body.data?.createRoom).toMatchObject({
      name: 'standup',
      isOwner: true,
      platform: 'LOCAL',
      publicUrl: 'https://rooms.example.com/standup',
      ics: { url: 'https://calendar.google.com/…/basic.ics', enabled: true, fetchIntervalSeconds: 600 },
    });
    expect(created.body.data?.createRoom.ics?.nextSyncAt).toBeTruthy();

    const stored = await server.app.services.db.room.findUniqueOrThrow({ where: { name: 'standup' } });
    expect(stored.ownerId).toBe('alice');
    expect(stored.icsUrlEncrypted).not.toContain('calendar.google.com');
    expect(server.app.services.urlCipher.decrypt(stored.icsUrlEncrypted!)).toBe(
      'https://calendar.google.com/calendar/ical/team%40example.com/private-0123456789abcdef/basic.ics',
    );
  });

  it('shows ICS settings to the owner only: others and anonymous viewers get null, not an error', async () => {
    const asOwner = await server.request(RoomByName, { name: 'standup' }, { as: 'alice' });
    expect(asOwner.body.data?.room).toMatchObject({ isOwner: true, ics: { enabled: true, fetchIntervalSeconds: 600 } });

    for (const auth of [{ as: 'bob' }, {}]) {
      const response = await server.request(RoomByName, { name: 'standup' }, auth);
      expect(response.body.errors).toBeUndefined();
      expect(response.body.data?.room).toMatchObject({ name: 'standup', isOwner: false, ics: null });
    }
  });

  it('returns null for a room that does not exist', async () => {
    const response = await server.request(RoomByName, { name: 'nowhere' });
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data?.room).toBeNull();
  });

  it('lists only the caller\'s own rooms, and requires sign-in for that', async () => {
    await server.request(CreateRoom, { input: { name: 'bobs-room' } }, { as: 'bob' });
    const alice = await server.request(MyRooms, {}, { as: 'alice' });
    expect(alice.body.data?.rooms).toEqual([{ name: 'standup' }]);
    const bob = await server.request(MyRooms, {}, { as: 'bob' });
    expect(bob.body.data?.rooms).toEqual([{ name: 'bobs-room' }]);
    const anonymous = await server.request(MyRooms, {});
    expect(codeOf(anonymous)).toBe('UNAUTHENTICATED');
  });

  it.each([
    ['', 'BAD_USER_INPUT'],
    ['a', 'BAD_USER_INPUT'],
    ['Upper', 'BAD_USER_INPUT'],
    ['has space', 'BAD_USER_INPUT'],
    ['-leading', 'BAD_USER_INPUT'],
    ['double--hyphen', 'BAD_USER_INPUT'],
    ['ünïcode', 'BAD_USER_INPUT'],
    ['x'.repeat(64), 'BAD_USER_INPUT'],
    ['graphql', 'BAD_USER_INPUT'],
    ['standup', 'CONFLICT'],
  ])('refuses the room name %j with %s and writes nothing', async (name, code) => {
    const before = await server.app.services.db.room.count();
    const response = await server.request(CreateRoom, { input: { name } }, { as: 'carol' });
    expect(codeOf(response)).toBe(code);
    expect(response.body.errors?.[0]?.message).toMatch(/room|name/i);
    expect(await server.app.services.db.room.count()).toBe(before);
  });

  it.each([
    ['http://example.com/cal.ics', /https/],
    ['ftp://example.com/cal.ics', /scheme "ftp"/],
    ['not a url', /not a valid URL/],
    ['', /empty/],
    [`https://example.com/${'a'.repeat(2100)}`, /longer than/],
  ])('refuses the ICS URL %j with BAD_USER_INPUT and keeps the stored one', async (url, message) => {
    const response = await server.request(UpdateRoom, { name: 'standup', input: { ics: { url } } }, { as: 'alice' });
    expect(codeOf(response)).toBe('BAD_USER_INPUT');
    expect(response.body.errors?.[0]?.message).toMatch(message);
    const room = await server.request(RoomByName, { name: 'standup' }, { as: 'alice' });
    expect(room.body.data?.room?.ics?.url).toBe('https://calendar.google.com/…/basic.ics');
  });

  it.each([0, 59, 120, 86400, -1])('refuses fetchIntervalSeconds %d', async (seconds) => {
    const response = await server.request(
      UpdateRoom,
      { name: 'standup', input: { ics: { fetchIntervalSeconds: seconds } } },
      { as: 'alice' },
    );
    expect(codeOf(response)).toBe('BAD_USER_INPUT');
    expect(response.body.errors?.[0]?.message).toContain('60, 300, 600, 1800, 3600');
  });

  it('lets the owner change the interval, the URL and the name; removing the URL disables sync', async () => {
    const updated = await server.request(
      UpdateRoom,
      {
        name: 'standup',
        input: {
          name: 'daily-standup',
          ics: { url: 'https://outlook.office365.com/owa/calendar/abc/def/calendar.ics?token=s3cret', fetchIntervalSeconds: 3600 },
        },
      },
      { as: 'alice' },
    );
    expect(updated.body.errors).toBeUndefined();
    expect(updated.body.data?.updateRoom).toMatchObject({
      name: 'daily-standup',
      ics: { url: 'https://outlook.office365.com/…/calendar.ics?token=…', enabled: true, fetchIntervalSeconds: 3600 },
    });

    const cleared = await server.request(UpdateRoom, { name: 'daily-standup', input: { ics: { url: null } } }, { as: 'alice' });
    expect(cleared.body.data?.updateRoom.ics).toMatchObject({ url: null, enabled: false });

    const enableWithoutUrl = await server.request(
      UpdateRoom,
      { name: 'daily-standup', input: { ics: { enabled: true } } },
      { as: 'alice' },
    );
    expect(codeOf(enableWithoutUrl)).toBe('BAD_USER_INPUT');
  });

  it('accepts plain http feeds only when the operator allows them', async () => {
    const allowing = await startTestServer(engine, { env: { ICS_ALLOW_HTTP: 'true' } });
    try {
      const response = await allowing.request(
        CreateRoom,
        { input: { name: 'intranet', ics: { url: 'http://calendar.intranet.example/team.ics' } } },
        { as: 'alice' },
      );
      expect(response.body.data?.createRoom.ics?.url).toBe('http://calendar.intranet.example/team.ics');
    } finally {
      await allowing.close();
    }
  });

  it('refuses updates and deletes by anyone but the owner', async () => {
    const update = await server.request(UpdateRoom, { name: 'daily-standup', input: { platform: 'WHEREBY' } }, { as: 'mallory' });
    expect(codeOf(update)).toBe('FORBIDDEN');
    const anonymous = await server.request(DeleteRoom, { name: 'daily-standup' });
    expect(codeOf(anonymous)).toBe('UNAUTHENTICATED');
    const other = await server.request(DeleteRoom, { name: 'daily-standup' }, { as: 'mallory' });
    expect(codeOf(other)).toBe('FORBIDDEN');
    const missing = await server.request(DeleteRoom, { name: 'no-such-room' }, { as: 'alice' });
    expect(codeOf(missing)).toBe('NOT_FOUND');

    const room = await server.request(RoomByName, { name: 'daily-standup' }, { as: 'alice' });
    expect(room.body.data?.room?.name).toBe('daily-standup');
  });

  it('refuses renaming onto another room\'s name', async () => {
    const response = await server.request(UpdateRoom, { name: 'daily-standup', input: { name: 'bobs-room' } }, { as: 'alice' });
    expect(codeOf(response)).toBe('CONFLICT');
  });

  it('deletes a room for its owner', async () => {
    const deleted = await server.request(DeleteRoom, { name: 'daily-standup' }, { as: 'alice' });
    expect(deleted.body.data?.deleteRoom).toBeTruthy();
    const gone = await server.request(RoomByName, { name: 'daily-standup' });
    expect(gone.body.data?.room).toBeNull();
  });

  it('answers unknown fields with a validation error and keeps serving', async () => {
    const response = await fetch(server.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ room(name: "bobs-room") { name secretField } }' }),
    });
    const body = (await response.json()) as { errors: Array<{ message: string }> };
    expect(body.errors[0]?.message).toContain('Cannot query field "secretField"');
    const still = await server.request(RoomByName, { name: 'bobs-room' });
    expect(still.body.data?.room?.name).toBe('bobs-room');
  });
});
