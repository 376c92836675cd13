// The Whereby client against a local fake of Whereby's REST API (a real
// node:http server that checks what the client sends and answers the way
// Whereby does), plus the built-in local platform.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLocalPlatform } from '../../src/meetings/platforms/local-platform.js';
import { VideoPlatformError, type CreatePlatformMeetingInput } from '../../src/meetings/platforms/video-platform.js';
import { createWherebyPlatform } from '../../src/meetings/platforms/whereby-client.js';

const API_KEY = 'eyJ-test-whereby-key.s3cr3t-value';
const TIMEOUT_MS = 300;
const INPUT: CreatePlatformMeetingInput = {
  roomName: 'team-standup',
  meetingId: 'mtg_123',
  startDate: new Date('2030-05-01T09:00:00Z'),
  endDate: new Date('2030-05-01T09:30:00Z'),
};

/** A one-shot misbehaviour for the next request, in place of the normal answer. */
type Fault =
  | { kind: 'status'; status: number; body?: string }
  | { kind: 'created'; body: string }
  | { kind: 'hang' }
  | { kind: 'stall-body' }
  | { kind: 'reset' };

interface SeenRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

let server: http.Server;
let baseUrl: string;
let fault: Fault | null = null;
const seen: SeenRequest[] = [];
const meetings = new Map<string, { roomUrl: string }>();
let nextId = 1;

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** The request body Whereby's "Create meeting" expects from us; null when acceptable. */
function createBodyProblem(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return 'body must be a JSON object';
  const b = body as Record<string, unknown>;
  if (typeof b.endDate !== 'string' || Number.isNaN(Date.parse(b.endDate)) || !b.endDate.endsWith('Z')) return 'endDate must be an ISO date';
  if (b.isLocked !== false) return 'isLocked must be false';
  if (b.roomMode !== 'normal') return 'roomMode must be normal';
  if (typeof b.roomNamePrefix !== 'string' || !/^[a-z0-9-]+$/.test(b.roomNamePrefix)) return 'invalid roomNamePrefix';
  if (b.roomNamePattern !== 'uuid') return 'roomNamePattern must be uuid';
  if (JSON.stringify(b.fields) !== '["hostRoomUrl"]') return 'fields must be ["hostRoomUrl"]';
  return null;
}

function fakeWhereby(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
  const path = req.url ?? '';
  seen.push({ method: req.method ?? '', path, headers: req.headers, body });
  const injected = fault;
  fault = null;
  switch (injected?.kind) {
    case 'status':
      return void res.writeHead(injected.status, { 'content-type': 'application/json' }).end(injected.body ?? '{"error":"injected"}');
    case 'created':
      return void res.writeHead(201, { 'content-type': 'application/json' }).end(injected.body);
    case 'hang':
      return; // never answers; afterAll closes the connection
    case 'stall-body':
      res.writeHead(201, { 'content-type': 'application/json' });
      return void res.write('{"meetingId":"'); // headers and half a body, then silence
    case 'reset':
      return void req.socket.destroy();
  }

  if (req.headers.authorization !== `Bearer ${API_KEY}`) return json(res, 401, { error: 'Unauthorized' });
  if (req.method === 'POST' && path === '/v1/meetings') {
    if (req.headers['content-type'] !== 'application/json') return json(res, 415, { error: 'Unsupported Media Type' });
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return json(res, 400, { error: 'Invalid JSON' });
    }
    const problem = createBodyProblem(parsed);
    if (problem) return json(res, 400, { error: problem });
    const request = parsed as { roomNamePrefix: string; endDate: string };
    const meetingId = String(nextId++);
    const roomName = `/${request.roomNamePrefix}-0b7c6a4e-${meetingId}`;
    const roomUrl = `https://example.whereby.com${roomName}`;
    meetings.set(meetingId, { roomUrl });
    return json(res, 201, {
      meetingId,
      roomName,
      roomUrl,
      hostRoomUrl: `${roomUrl}?roomKey=host-key-${meetingId}`,
      startDate: new Date().toISOString(),
      endDate: request.endDate,
    });
  }
  const deletion = /^\/v1\/meetings\/([^/]+)$/.exec(path);
  if (req.method === 'DELETE' && deletion?.[1]) {
    const id = decodeURIComponent(deletion[1]);
    if (!meetings.delete(id)) return json(res, 404, { error: 'Meeting not found' });
    return void res.writeHead(204).end();
  }
  json(res, 404, { error: 'Not found' });
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => fakeWhereby(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterEach(() => {
  fault = null;
  seen.length = 0;
});

afterAll(async () => {
  server.closeAllConnections(); // includes the requests left hanging on purpose
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function whereby(overrides: { apiKey?: string; baseUrl?: string; roomNamePrefix?: string } = {}) {
  return createWherebyPlatform({ apiKey: API_KEY, baseUrl, timeoutMs: TIMEOUT_MS, ...overrides });
}

/** Awaits a rejection and checks it is a VideoPlatformError that does not leak the API key anywhere. */
async function failure(promise: Promise<unknown>): Promise<VideoPlatformError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(VideoPlatformError);
  const platformError = error as VideoPlatformError;
  for (const text of [platformError.message, platformError.stack ?? '', JSON.stringify(platformError), String(platformError.cause)]) {
    expect(text).not.toContain(API_KEY);
    expect(text).not.toContain('s3cr3t');
  }
  return platformError;
}

describe('Whereby client: requests', () => {
  it('creates a meeting with the documented request and returns its ids and URLs', async () => {
    const meeting = await whereby().createMeeting(INPUT);

    expect(meeting.platformMeetingId).toMatch(/^\d+$/);
    expect(meeting.roomUrl).toMatch(/^https:\/\/example\.whereby\.com\/team-standup-/);
    expect(meeting.hostRoomUrl).toBe(`${meeting.roomUrl}?roomKey=host-key-${meeting.platformMeetingId}`);
    expect(seen).toHaveLength(1);
    const [sent] = seen;
    expect(sent?.method).toBe('POST');
    expect(sent?.path).toBe('/v1/meetings');
    expect(sent?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(JSON.parse(sent?.body ?? '')).toEqual({
      endDate: '2030-05-01T09:30:00.000Z',
      isLocked: false,
      roomMode: 'normal',
      roomNamePrefix: 'team-standup',
      roomNamePattern: 'uuid',
      fields: ['hostRoomUrl'],
    });
  });

  it('uses the configured room name prefix and tolerates a trailing slash in the base URL', async () => {
    const meeting = await whereby({ baseUrl: `${baseUrl}/`, roomNamePrefix: 'roomcal' }).createMeeting(INPUT);

    expect(seen[0]?.path).toBe('/v1/meetings');
    expect(JSON.parse(seen[0]?.body ?? '')).toMatchObject({ roomNamePrefix: 'roomcal' });
    expect(meeting.roomUrl).toMatch(/\/roomcal-/);
  });

  it('deletes a meeting with DELETE /meetings/{id} (204)', async () => {
    const platform = whereby();
    const { platformMeetingId } = await platform.createMeeting(INPUT);
    expect(meetings.has(platformMeetingId)).toBe(true);

    await platform.deleteMeeting(platformMeetingId);

    expect(seen[1]).toMatchObject({ method: 'DELETE', path: `/v1/meetings/${platformMeetingId}` });
    expect(seen[1]?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(meetings.has(platformMeetingId)).toBe(false);
  });

  it('treats deleting a meeting that is already gone (404) as success', async () => {
    await expect(whereby().deleteMeeting('no-such-meeting')).resolves.toBeUndefined();
    expect(seen[0]?.path).toBe('/v1/meetings/no-such-meeting');
  });

  it('returns hostRoomUrl null when Whereby does not send one', async () => {
    fault = { kind: 'created', body: JSON.stringify({ meetingId: '42', roomUrl: 'https://example.whereby.com/x-1' }) };
    await expect(whereby().createMeeting(INPUT)).resolves.toEqual({
      platformMeetingId: '42',
      roomUrl: 'https://example.whereby.com/x-1',
      hostRoomUrl: null,
    });
  });
});

describe('Whereby client: failures', () => {
  it('a rejected API key (401) is not retryable and says so, for create and delete', async () => {
    const platform = createWherebyPlatform({ apiKey: 'wrong-key', baseUrl, timeoutMs: TIMEOUT_MS });

    const created = await failure(platform.createMeeting(INPUT));
    expect(created).toMatchObject({ retryable: false, httpStatus: 401 });
    expect(created.message).toMatch(/Whereby rejected the API key/);
    expect(created.message).not.toContain('wrong-key');

    const deleted = await failure(platform.deleteMeeting('1'));
    expect(deleted).toMatchObject({ retryable: false, httpStatus: 401 });
  });

  it('403 is treated like a rejected key', async () => {
    fault = { kind: 'status', status: 403 };
    const error = await failure(whereby().createMeeting(INPUT));
    expect(error).toMatchObject({ retryable: false, httpStatus: 403 });
    expect(error.message).toMatch(/Whereby rejected the API key/);
  });

  it.each([500, 502, 503, 429])('HTTP %i is retryable', async (status) => {
    fault = { kind: 'status', status };
    const error = await failure(whereby().createMeeting(INPUT));
    expect(error).toMatchObject({ retryable: true, httpStatus: status });
    expect(error.message).toContain(`HTTP ${status}`);
  });

  it('a server error on delete is retryable', async () => {
    fault = { kind: 'status', status: 500 };
    expect(await failure(whereby().deleteMeeting('1'))).toMatchObject({ retryable: true, httpStatus: 500 });
  });

  it('a refused request (400) is not retryable and quotes Whereby, with an echoed key blanked out', async () => {
    fault = { kind: 'status', status: 400, body: JSON.stringify({ error: `endDate must be in the future (key ${API_KEY})` }) };
    const error = await failure(whereby().createMeeting(INPUT));
    expect(error).toMatchObject({ retryable: false, httpStatus: 400 });
    expect(error.message).toContain('endDate must be in the future');
    expect(error.message).toContain('[redacted]');
  });

  it('no answer within the timeout is retryable', async () => {
    fault = { kind: 'hang' };
    const started = performance.now();
    const error = await failure(whereby().createMeeting(INPUT));
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/did not answer within 300 ms/);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('a body that stalls after the headers runs into the same timeout', async () => {
    fault = { kind: 'stall-body' };
    const error = await failure(whereby().createMeeting(INPUT));
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/did not answer within/);
  });

  it('a dropped connection is retryable', async () => {
    fault = { kind: 'reset' };
    const error = await failure(whereby().createMeeting(INPUT));
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/^Could not reach Whereby to create a meeting/);
  });

  it('a refused connection is retryable', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const error = await failure(whereby({ baseUrl: `http://127.0.0.1:${port}/v1` }).deleteMeeting('1'));
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('a 201 whose body is not JSON is not retryable', async () => {
    fault = { kind: 'created', body: '<html>oops</html>' };
    const error = await failure(whereby().createMeeting(INPUT));
    expect(error).toMatchObject({ retryable: false, httpStatus: 201 });
    expect(error.message).toMatch(/not JSON/);
  });

  it('a 201 without meetingId and roomUrl is not retryable and names the fields', async () => {
    fault = { kind: 'created', body: JSON.stringify({ roomName: '/x-1', hostRoomUrl: 'https://example.whereby.com/x-1?roomKey=k' }) };
    const error = await failure(whereby().createMeeting(INPUT));
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/unusable/);
    expect(error.message).toContain('meetingId');
    expect(error.message).toContain('roomUrl');
  });

  it('a roomUrl that is not an http(s) URL is refused', async () => {
    fault = { kind: 'created', body: JSON.stringify({ meetingId: '7', roomUrl: 'javascript:alert(1)' }) };
    const error = await failure(whereby().createMeeting(INPUT));
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('roomUrl');
  });

  it('refuses an unusable configuration up front, without quoting the key', () => {
    const problem = (options: Parameters<typeof createWherebyPlatform>[0]) => {
      try {
        createWherebyPlatform(options);
        return 'no error';
      } catch (error) {
        return String(error);
      }
    };
    expect(problem({ apiKey: '', baseUrl })).toMatch(/API key is empty/);
    const withNewline = problem({ apiKey: `${API_KEY}\n`, baseUrl });
    expect(withNewline).toMatch(/API key/);
    expect(withNewline).not.toContain(API_KEY);
    expect(problem({ apiKey: API_KEY, baseUrl: 'ftp://example.com' })).toMatch(/http\(s\) URL/);
  });
});

describe('local platform', () => {
  const local = createLocalPlatform({ publicUrl: 'https://rooms.example.org/' });

  it('derives deterministic URLs from the room and meeting, with a distinct host URL', async () => {
    const first = await local.createMeeting(INPUT);
    const again = await local.createMeeting(INPUT);

    expect(local.name).toBe('LOCAL');
    expect(first).toEqual({
      platformMeetingId: 'local-mtg_123',
      roomUrl: 'https://rooms.example.org/video/team-standup/mtg_123',
      hostRoomUrl: 'https://rooms.example.org/video/team-standup/mtg_123?host=1',
    });
    expect(again).toEqual(first);
    expect(first.hostRoomUrl).not.toBe(first.roomUrl);
  });

  it('gives different meetings different URLs', async () => {
    const other = await local.createMeeting({ ...INPUT, meetingId: 'mtg_124' });
    expect(other.roomUrl).toBe('https://rooms.example.org/video/team-standup/mtg_124');
    expect(other.platformMeetingId).toBe('local-mtg_124');
  });

  it('deletes as a no-op, also for unknown meetings', async () => {
    await expect(local.deleteMeeting('local-mtg_123')).resolves.toBeUndefined();
    await expect(local.deleteMeeting('never-existed')).resolves.toBeUndefined();
  });
});
