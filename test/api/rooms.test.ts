import { encodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/databases.js';
import { resultAs } from '../support/results.js';
import { startTestServer, tokenFor, type TestServer } from '../support/test-server.js';
import { ClearIcsUrl, CreateRoom, DeleteRoom, MyRooms, NodeById, RoomByName, UpdateRoom, Viewer } from './operations.js';

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
      { input: { name: 'standup', ics: { url: GOOGLE_FEED, enabled: true, fetchInterval: 'EVERY_10_MINUTES' } } },
      { as: 'alice' },
    );
    expect(created.body.errors).toBeUndefined();
    const { room } = resultAs(created.body.data?.createRoom, 'CreateRoomSuccess');
    expect(room).toMatchObject({
      name: 'standup',
      isOwner: true,
      platform: 'LOCAL',
      publicUrl: 'https://rooms.example.com/standup',
      ics: { url: 'https://calendar.google.com/…/basic.ics', enabled: true, fetchInterval: 'EVERY_10_MINUTES', fetchIntervalSeconds: 600 },
    });
    expect(room.ics?.nextSyncAt).toBeTruthy();

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

  it('lists only the caller\'s own rooms, page by page, and requires sign-in for that', async () => {
    await server.request(CreateRoom, { input: { name: 'bobs-room' } }, { as: 'bob' });
    for (const name of ['alpha', 'beta']) await server.request(CreateRoom, { input: { name } }, { as: 'alice' });
    const firstPage = await server.request(MyRooms, { first: 2 }, { as: 'alice' });
    expect(firstPage.body.data?.rooms.edges.map((edge) => edge.node.name)).toEqual(['alpha', 'beta']);
    expect(firstPage.body.data?.rooms.pageInfo.hasNextPage).toBe(true);
    const secondPage = await server.request(MyRooms, { first: 2, after: firstPage.body.data?.rooms.pageInfo.endCursor }, { as: 'alice' });
    expect(secondPage.body.data?.rooms.edges.map((edge) => edge.node.name)).toEqual(['standup']);
    expect(secondPage.body.data?.rooms.pageInfo.hasNextPage).toBe(false);

    const bob = await server.request(Viewer, {}, { as: 'bob' });
    expect(bob.body.data?.viewer).toEqual({ userId: 'bob', rooms: { edges: [{ node: { name: 'bobs-room' } }] } });
    expect((await server.request(Viewer, {})).body.data?.viewer).toBeNull();
    const anonymous = await server.request(MyRooms, {});
    expect(codeOf(anonymous)).toBe('UNAUTHENTICATED');
    for (const name of ['alpha', 'beta']) await server.request(DeleteRoom, { name }, { as: 'alice' });
  });

  it('refetches a room by its global id, with owner-only fields still hidden from others', async () => {
    const { body } = await server.request(RoomByName, { name: 'standup' });
    const id = body.data!.room!.id;
    const asOwner = await server.request(NodeById, { id }, { as: 'alice' });
    expect(asOwner.body.data?.node).toMatchObject({ __typename: 'Room', id, name: 'standup', ics: { enabled: true } });
    const asOther = await server.request(NodeById, { id }, { as: 'bob' });
    expect(asOther.body.data?.node).toMatchObject({ __typename: 'Room', name: 'standup', ics: null });
    // Malformed or foreign ids are ids of nothing: null, not an error.
    for (const bad of ['garbage', encodeGlobalID('Room', 'not-a-uuid'), encodeGlobalID('Secret', '00000000-0000-4000-8000-000000000000')]) {
      const response = await server.request(NodeById, { id: bad });
      expect(response.body).toEqual({ data: { node: null } });
    }
  });

  it.each([
    ['', 'InvalidInput'],
    ['a', 'InvalidInput'],
    ['Upper', 'InvalidInput'],
    ['has space', 'InvalidInput'],
    ['-leading', 'InvalidInput'],
    ['double--hyphen', 'InvalidInput'],
    ['ünïcode', 'InvalidInput'],
    ['x'.repeat(64), 'InvalidInput'],
    ['graphql', 'InvalidInput'],
    ['standup', 'Conflict'],
  ] as const)('refuses the room name %j with %s on input.name and writes nothing', async (name, typename) => {
    const before = await server.app.services.db.room.count();
    const response = await server.request(CreateRoom, { input: { name } }, { as: 'carol' });
    expect(response.body.errors).toBeUndefined();
    const failure = resultAs(response.body.data?.createRoom, typename);
    expect(failure).toMatchObject({ field: 'input.name', message: expect.stringMatching(/room|name/i) });
    expect(await server.app.services.db.room.count()).toBe(before);
  });

  it.each([
    ['http://example.com/cal.ics', /https/],
    ['ftp://example.com/cal.ics', /scheme "ftp"/],
    ['not a url', /not a valid URL/],
    ['', /empty/],
    [`https://example.com/${'a'.repeat(2100)}`, /longer than/],
  ])('refuses the ICS URL %j as InvalidInput and keeps the stored one', async (url, message) => {
    const response = await server.request(UpdateRoom, { name: 'standup', input: { ics: { url } } }, { as: 'alice' });
    const failure = resultAs(response.body.data?.updateRoom, 'InvalidInput');
    expect(failure.field).toBe('input.ics.url');
    expect(failure.message).toMatch(message);
    const room = await server.request(RoomByName, { name: 'standup' }, { as: 'alice' });
    expect(room.body.data?.room?.ics?.url).toBe('https://calendar.google.com/…/basic.ics');
  });

  it.each([0, 59, 600.5, 'FAST'])('refuses the fetch interval %j: only the FetchInterval values exist', async (value) => {
    const response = await fetch(server.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await tokenFor('alice')}` },
      body: JSON.stringify({
        query: 'mutation($v: FetchInterval) { updateRoom(name: "standup", input: { ics: { fetchInterval: $v } }) { __typename } }',
        variables: { v: value },
      }),
    });
    const body = (await response.json()) as { errors?: Array<{ message: string }> };
    expect(body.errors?.[0]?.message).toMatch(/FetchInterval/);
    const room = await server.request(RoomByName, { name: 'standup' }, { as: 'alice' });
    expect(room.body.data?.room?.ics?.fetchIntervalSeconds).toBe(600);
  });

  it('lets the owner change the interval, the URL and the name; null leaves the URL alone; clearIcsUrl removes it', async () => {
    const updated = await server.request(
      UpdateRoom,
      {
        name: 'standup',
        input: {
          name: 'daily-standup',
          ics: { url: 'https://outlook.office365.com/owa/calendar/abc/def/calendar.ics?token=s3cret', fetchInterval: 'EVERY_HOUR' },
        },
      },
      { as: 'alice' },
    );
    expect(updated.body.errors).toBeUndefined();
    expect(resultAs(updated.body.data?.updateRoom, 'UpdateRoomSuccess').room).toMatchObject({
      name: 'daily-standup',
      ics: { url: 'https://outlook.office365.com/…/calendar.ics?token=…', enabled: true, fetchInterval: 'EVERY_HOUR', fetchIntervalSeconds: 3600 },
    });

    // A client serializer that sends every field as null changes nothing.
    const nulls = await server.request(
      UpdateRoom,
      { name: 'daily-standup', input: { name: null, platform: null, ics: { url: null, enabled: null, fetchInterval: null } } },
      { as: 'alice' },
    );
    expect(resultAs(nulls.body.data?.updateRoom, 'UpdateRoomSuccess').room.ics).toMatchObject({
      url: 'https://outlook.office365.com/…/calendar.ics?token=…',
      enabled: true,
      fetchInterval: 'EVERY_HOUR',
    });

    const cleared = await server.request(ClearIcsUrl, { roomName: 'daily-standup' }, { as: 'alice' });
    expect(resultAs(cleared.body.data?.clearIcsUrl, 'ClearIcsUrlSuccess').room.ics).toEqual({ url: null, enabled: false, nextSyncAt: null });
    const stored = await server.app.services.db.room.findUniqueOrThrow({ where: { name: 'daily-standup' } });
    expect(stored.icsUrlEncrypted).toBeNull();

    const enableWithoutUrl = await server.request(UpdateRoom, { name: 'daily-standup', input: { ics: { enabled: true } } }, { as: 'alice' });
    expect(resultAs(enableWithoutUrl.body.data?.updateRoom, 'InvalidInput').field).toBe('input.ics.enabled');
  });

  it('accepts plain http feeds only when the operator allows them', async () => {
    const allowing = await startTestServer(engine, { env: { ICS_ALLOW_HTTP: 'true' } });
    try {
      const response = await allowing.request(
        CreateRoom,
        { input: { name: 'intranet', ics: { url: 'http://calendar.intranet.example/team.ics' } } },
        { as: 'alice' },
      );
      expect(resultAs(response.body.data?.createRoom, 'CreateRoomSuccess').room.ics?.url).toBe('http://calendar.intranet.example/team.ics');
    } finally {
      await allowing.close();
    }
  });

  it('refuses changes by anyone but the owner with GraphQL errors; an unknown room is a NotFound result', async () => {
    const update = await server.request(UpdateRoom, { name: 'daily-standup', input: { platform: 'WHEREBY' } }, { as: 'mallory' });
    expect(codeOf(update)).toBe('FORBIDDEN');
    const clear = await server.request(ClearIcsUrl, { roomName: 'daily-standup' }, { as: 'mallory' });
    expect(codeOf(clear)).toBe('FORBIDDEN');
    const anonymous = await server.request(DeleteRoom, { name: 'daily-standup' });
    expect(codeOf(anonymous)).toBe('UNAUTHENTICATED');
    const other = await server.request(DeleteRoom, { name: 'daily-standup' }, { as: 'mallory' });
    expect(codeOf(other)).toBe('FORBIDDEN');
    const missing = await server.request(DeleteRoom, { name: 'no-such-room' }, { as: 'alice' });
    expect(resultAs(missing.body.data?.deleteRoom, 'NotFound').message).toContain('no-such-room');

    const room = await server.request(RoomByName, { name: 'daily-standup' }, { as: 'alice' });
    expect(room.body.data?.room?.name).toBe('daily-standup');
  });

  it('refuses renaming onto another room\'s name as a Conflict on input.name', async () => {
    const response = await server.request(UpdateRoom, { name: 'daily-standup', input: { name: 'bobs-room' } }, { as: 'alice' });
    expect(resultAs(response.body.data?.updateRoom, 'Conflict').field).toBe('input.name');
  });

  it('deletes a room for its owner and returns its global id', async () => {
    const { body } = await server.request(RoomByName, { name: 'daily-standup' });
    const deleted = await server.request(DeleteRoom, { name: 'daily-standup' }, { as: 'alice' });
    expect(resultAs(deleted.body.data?.deleteRoom, 'DeleteRoomSuccess').deletedRoomId).toBe(body.data?.room?.id);
    const gone = await server.request(RoomByName, { name: 'daily-standup' });
    expect(gone.body.data?.room).toBeNull();
    const node = await server.request(NodeById, { id: body.data!.room!.id });
    expect(node.body.data?.node).toBeNull();
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
