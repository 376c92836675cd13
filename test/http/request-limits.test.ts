// GraphQL request limits (README "Limits"): oversized, over-deep, over-aliased
// or over-costly documents get a clear 4xx before anything runs, over HTTP and
// over graphql-ws alike; results are bounded; the server keeps answering.
// Limits do not touch storage, so one engine is enough.
import { getIntrospectionQuery, print, type DocumentNode, type FormattedExecutionResult } from 'graphql';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as apiOperations from '../api/operations.js';
import { CreateRoom } from '../api/operations.js';
import * as meetingOperations from '../meetings/operations.js';
import * as syncOperations from '../sync/operations.js';
import { startTestServer, tokenFor, type TestServer } from '../support/test-server.js';

interface RawResponse {
  status: number;
  body: { data?: unknown; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
}

async function post(server: TestServer, body: string, as?: string): Promise<RawResponse> {
  const response = await fetch(server.graphqlUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      ...(as ? { authorization: `Bearer ${await tokenFor(as)}` } : {}),
    },
    body,
  });
  return { status: response.status, body: await response.json() };
}

const query = (server: TestServer, text: string, options: { variables?: Record<string, unknown>; as?: string } = {}) =>
  post(server, JSON.stringify({ query: text, variables: options.variables }), options.as);

const aliases = (count: number, field = 'serverTime') => `{ ${Array.from({ length: count }, (_, i) => `a${i}: ${field}`).join(' ')} }`;

/** A selection nested `depth` levels deep: parsing it recursively would overflow the stack. */
const nested = (depth: number) => `{ ${'a { '.repeat(depth)}b${' }'.repeat(depth)} }`;

const firstError = (response: RawResponse) => response.body.errors?.[0];

describe('GraphQL request limits', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('pglite', {
      env: { GRAPHQL_MAX_ALIASES: '15', GRAPHQL_MAX_DEPTH: '10', GRAPHQL_MAX_TOKENS: '2000' },
    });
  });
  afterAll(() => server?.close());

  it('refuses more aliases than GRAPHQL_MAX_ALIASES with a 400 naming the limit', async () => {
    expect((await query(server, aliases(15))).status).toBe(200);
    const response = await query(server, aliases(100));
    expect(response.status).toBe(400);
    expect(firstError(response)).toMatchObject({ message: expect.stringMatching(/Aliases limit of 15 exceeded, found 100/), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    expect(response.body.data).toBeUndefined();
  });

  it('refuses a document deeper than GRAPHQL_MAX_DEPTH', async () => {
    expect((await query(server, roomsNested(6), { as: 'alice' })).body.errors).toBeUndefined(); // depth 10
    const response = await query(server, roomsNested(7), { as: 'alice' });
    expect(response.status).toBe(400);
    expect(firstError(response)).toMatchObject({ message: expect.stringMatching(/depth limit of 10 exceeded, found 11/), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
  });

  it('stops parsing at GRAPHQL_MAX_TOKENS, so a selection nested 10,000 deep is a 400, not a stack overflow', async () => {
    const response = await query(server, nested(10_000));
    expect(response.status).toBe(400);
    expect(firstError(response)).toMatchObject({ message: expect.stringMatching(/Token limit of 2000 exceeded/), extensions: { code: 'GRAPHQL_PARSE_FAILED' } });
    expect((await query(server, '{ serverTime }')).status).toBe(200);
  });

  it('refuses a body larger than GRAPHQL_MAX_BODY_BYTES with 413, and keeps serving', async () => {
    const response = await post(server, JSON.stringify({ query: `{ serverTime } # ${'x'.repeat(5 * 1024 * 1024)}` }));
    expect(response.status).toBe(413);
    expect(firstError(response)?.extensions?.code).toBe('REQUEST_ENTITY_TOO_LARGE');
    expect((await query(server, '{ serverTime }')).status).toBe(200);
  });

  it('answers /ready while heavy requests are in flight', async () => {
    const heavy = Array.from({ length: 4 }, () => query(server, aliases(3000, 'room(name: "x") { name }')));
    const ready = await fetch(`${server.url}/ready`);
    expect(ready.status).toBe(200);
    for (const response of await Promise.all(heavy)) expect([400, 413]).toContain(response.status);
  });

  it('refuses NUL in arguments and variables with BAD_USER_INPUT', async () => {
    for (const response of [
      await query(server, 'query ($name: String!) { room(name: $name) { name } }', { variables: { name: 'a\u0000b' } }),
      await query(server, '{ room(name: "a\\u0000b") { name } }'),
    ]) {
      expect(response.status).toBe(400);
      expect(firstError(response)?.extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  it('applies the same limits to graphql-ws operations, and the connection stays usable', async () => {
    const client = server.wsClient();
    const run = (text: string) =>
      new Promise<unknown>((resolve) => {
        client.subscribe({ query: text }, { next: resolve, error: resolve, complete: () => {} });
      });
    expect(await run(aliases(100))).toEqual([expect.objectContaining({ message: expect.stringMatching(/Aliases limit of 15 exceeded/) })]);
    expect(await run(nested(10_000))).toEqual([expect.objectContaining({ message: expect.stringMatching(/Token limit of 2000 exceeded/) })]);
    expect(await run('{ room(name: "a\\u0000b") { name } }')).toMatchObject({ errors: [{ extensions: { code: 'BAD_USER_INPUT' } }] });
    expect(await run('{ serverTime }')).toMatchObject({ data: { serverTime: expect.any(String) } });
  });

  it('closes a WebSocket whose message is larger than GRAPHQL_MAX_BODY_BYTES (1009)', async () => {
    const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws');
    await new Promise((resolve) => socket.once('open', resolve));
    const closed = new Promise<number>((resolve) => socket.once('close', resolve));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { padding: 'x'.repeat(200 * 1024) } }));
    expect(await closed).toBe(1009);
  });

  it('still answers the GraphiQL introspection query', async () => {
    const introspection = getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true });
    const response = await query(server, introspection);
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data).toHaveProperty('__schema.queryType.name', 'Query');
  });

  it('lets every operation the test suites use through the limits', async () => {
    const documents = [apiOperations, meetingOperations, syncOperations].flatMap((module) =>
      Object.values(module).filter((value): value is DocumentNode => (value as DocumentNode)?.kind === 'Document'),
    );
    expect(documents.length).toBeGreaterThan(10);
    for (const document of documents) {
      const response = await query(server, print(document));
      const limitErrors = (response.body.errors ?? []).filter((error) => /limit of|Query validation error/.test(error.message));
      expect(limitErrors, print(document)).toEqual([]);
    }
  });
});

describe('GraphQL response size limit', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('pglite', { env: { GRAPHQL_MAX_RESPONSE_BYTES: '4096' } });
    for (let i = 0; i < 12; i++) {
      await server.request(CreateRoom, { input: { name: `big-room-${i}-${'x'.repeat(40)}` } }, { as: 'bulk-owner' });
    }
  });
  afterAll(() => server?.close());

  it('replaces a result larger than GRAPHQL_MAX_RESPONSE_BYTES by RESPONSE_TOO_LARGE', async () => {
    const rooms = 'rooms { edges { node { name id } } }';
    const oneList = await query(server, `{ ${rooms} }`, { as: 'bulk-owner' });
    expect(oneList.body.errors).toBeUndefined();
    expect((oneList.body.data as { rooms: { edges: unknown[] } }).rooms.edges).toHaveLength(12);
    const response = await query(server, `{ ${Array.from({ length: 10 }, (_, i) => `r${i}: ${rooms}`).join(' ')} }`, { as: 'bulk-owner' });
    expect(response.body.data).toBeUndefined();
    expect(firstError(response)?.extensions?.code).toBe('RESPONSE_TOO_LARGE');
  });

  it('bounds results sent over graphql-ws the same way', async () => {
    const client = server.wsClient({ authorization: `Bearer ${await tokenFor('bulk-owner')}` });
    const run = (text: string) =>
      new Promise<FormattedExecutionResult>((resolve, reject) => {
        client.subscribe({ query: text }, { next: resolve, error: reject, complete: () => {} });
      });
    const rooms = 'rooms { edges { node { name id } } }';
    expect(await run(`{ ${rooms} }`)).toMatchObject({ data: { rooms: { edges: expect.any(Array) } } });
    const tooLarge = await run(`{ ${Array.from({ length: 10 }, (_, i) => `r${i}: ${rooms}`).join(' ')} }`);
    expect(tooLarge.data).toBeUndefined();
    expect(tooLarge.errors?.[0]?.extensions?.code).toBe('RESPONSE_TOO_LARGE');
  });
});

describe('GraphQL execution deadline', () => {
  let server: TestServer;
  let silentFeed: Server;
  beforeAll(async () => {
    // A feed server that accepts the request and never answers: only the deadline can end the operation.
    silentFeed = createServer(() => {});
    await new Promise<void>((resolve) => silentFeed.listen(0, '127.0.0.1', resolve));
    server = await startTestServer('pglite', {
      env: { GRAPHQL_EXECUTION_TIMEOUT_MS: '300', ICS_ALLOW_HTTP: 'true', ICS_ALLOW_PRIVATE_NETWORKS: 'true' },
    });
  });
  afterAll(async () => {
    silentFeed?.closeAllConnections(); // ends the fetch the stopped operation left behind
    silentFeed?.close();
    await server?.close();
  });

  it('stops an operation past GRAPHQL_EXECUTION_TIMEOUT_MS with TIMEOUT', async () => {
    const url = `http://127.0.0.1:${(silentFeed.address() as AddressInfo).port}/feed.ics`;
    const response = await query(server, 'mutation ($url: String!) { testIcsUrl(url: $url) { __typename } }', { variables: { url }, as: 'alice' });
    expect(response.status).toBe(504);
    expect(firstError(response)).toMatchObject({ message: expect.stringMatching(/longer than 300 ms/), extensions: { code: 'TIMEOUT' } });
    expect((await query(server, '{ serverTime }')).status).toBe(200);
  });
});

/** `rooms { edges { node { name } } }` with `fragments` inline fragments between: depth fragments + 4. */
function roomsNested(fragments: number): string {
  return `{ rooms { edges { node { ${'... on Room { '.repeat(fragments)}name${' }'.repeat(fragments)} } } } }`;
}
