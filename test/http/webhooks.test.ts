// Hostile webhook requests: a delivery replayed with its signature header
// re-written is still a replay; an oversized body leaves the keep-alive
// connection usable; NUL in ids is a 400; delivery ids no longer replayable
// are pruned.
import net from 'node:net';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook } from '../../src/meetings/webhook-signature.js';
import { CreateRoom } from '../api/operations.js';
import { LOCAL_WEBHOOK_SECRET, postLocalWebhook } from '../meetings/meeting-setup.js';
import { CreateMeeting } from '../meetings/operations.js';
import { TestClock } from '../support/clock.js';
import { engines } from '../support/databases.js';
import { resultAs } from '../support/results.js';
import { startTestServer, type TestServer } from '../support/test-server.js';


/** Sends raw bytes on one connection and reads what comes back until `responses` HTTP responses arrived. */
function exchange(port: number, requests: string[], responses: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    const statusLines = () => received.match(/^HTTP\/1\.1 \d+ .*$/gm) ?? [];
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      // Each reply is JSON, sent whole or as chunks ending in a zero-length chunk.
      if (statusLines().length >= responses && /(\}|\r\n0\r\n\r\n)$/.test(received)) {
        socket.destroy();
        resolve(statusLines());
      }
    });
    socket.on('close', () => resolve(statusLines()));
    socket.on('error', reject);
    for (const request of requests) socket.write(request);
  });
}

describe.each(engines)('webhooks on %s', (engine) => {
  let server: TestServer;
  let platformMeetingId: string;
  let meetingId: string;
  const clock = new TestClock(new Date());

  const post = (body: unknown, header?: string) => postLocalWebhook(server, body, { at: clock.now(), header });
  const participantCount = async () => (await server.app.services.db.meeting.findUniqueOrThrow({ where: { id: meetingId } })).participantCount;

  beforeAll(async () => {
    server = await startTestServer(engine, { clock, env: { LOCAL_WEBHOOK_SECRET, MEETINGS_ENABLED: 'false', SYNC_ENABLED: 'false' } });
    await server.request(CreateRoom, { input: { name: 'hooks' } }, { as: 'owner' });
    const created = await server.request(CreateMeeting, { roomName: 'hooks' }, { as: 'owner' });
    const { meeting } = resultAs(created.body.data!.createMeeting, 'CreateMeetingSuccess');
    meetingId = decodeGlobalID(meeting.id).id;
    platformMeetingId = meeting.platformMeetingId!;
  });
  afterAll(() => server?.close());

  it('refuses a replayed delivery however its signature header is re-written', async () => {
    const joined = JSON.stringify({ type: 'room.client.joined', data: { meetingId: platformMeetingId, numClients: 1 } });
    const header = signWebhook(joined, LOCAL_WEBHOOK_SECRET, clock.now());
    expect((await post(joined, header)).status).toBe(200);
    expect((await post({ type: 'room.client.left', data: { meetingId: platformMeetingId, numClients: 0 } })).status).toBe(200);
    expect(await participantCount()).toBe(0);

    const [timestamp, signature] = header.split(',');
    const hex = signature!.slice('v1='.length);
    for (const rewritten of [
      `${timestamp}, ${signature}`,
      `${signature},${timestamp}`,
      `${timestamp},v1=${hex.toUpperCase()}`,
      `${timestamp},v0=${hex},${signature}`,
      ` ${timestamp} , ${signature} `,
    ]) {
      const replay = await post(joined, rewritten);
      expect(replay, rewritten).toMatchObject({ status: 409 });
    }
    expect(await participantCount()).toBe(0);
  });

  it('keeps the keep-alive connection usable after refusing an oversized body', async () => {
    const big = 'x'.repeat(200 * 1024);
    const statuses = await exchange(
      server.app.port,
      [
        `POST /webhooks/local HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: ${big.length}\r\n\r\n${big}`,
        'GET /health HTTP/1.1\r\nHost: test\r\n\r\n',
      ],
      2,
    );
    expect(statuses).toEqual([expect.stringMatching(/^HTTP\/1\.1 413/), expect.stringMatching(/^HTTP\/1\.1 200/)]);

    // Streamed without a length, the body is refused once it passes the limit, and the connection carries on too.
    const chunk = 'y'.repeat(16 * 1024);
    const chunked = `${Array.from({ length: 8 }, () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`).join('')}0\r\n\r\n`;
    const streamed = await exchange(
      server.app.port,
      [`POST /webhooks/local HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n${chunked}`, 'GET /health HTTP/1.1\r\nHost: test\r\n\r\n'],
      2,
    );
    expect(streamed).toEqual([expect.stringMatching(/^HTTP\/1\.1 413/), expect.stringMatching(/^HTTP\/1\.1 200/)]);
  });

  it('closes the connection instead of draining a body declared larger than 1 MiB', async () => {
    let received = '';
    const closed = await new Promise<boolean>((resolve, reject) => {
      const socket = net.connect(server.app.port, '127.0.0.1');
      socket.on('data', (chunk) => (received += chunk.toString('latin1')));
      socket.on('close', () => resolve(true));
      socket.on('error', reject);
      // Only the start of a 50 MB body: the server answers and hangs up without waiting for the rest.
      socket.write(`POST /webhooks/local HTTP/1.1\r\nHost: test\r\nContent-Length: ${50 * 1024 * 1024}\r\n\r\n${'z'.repeat(1024)}`);
    });
    expect(closed).toBe(true);
    expect(received).toMatch(/^HTTP\/1\.1 413/);
    expect(received).toMatch(/^connection: close/im);
  });

  it('answers NUL and other control characters in a meeting id with 400', async () => {
    for (const id of [`${platformMeetingId}\u0000`, 'a\u0001b', '']) {
      const response = await post({ type: 'room.client.joined', data: { meetingId: id, numClients: 1 } });
      expect(response.status).toBe(400);
    }
    expect(await participantCount()).toBe(0);
  });

  it('prunes delivery ids once their signatures can no longer be replayed', async () => {
    const before = await server.app.services.db.webhookDelivery.findMany({ select: { id: true } });
    expect(before.length).toBeGreaterThan(0);
    clock.advance(2 * 60_000 + 1000); // past twice the 60 s signature window
    expect((await post({ type: 'room.client.joined', data: { meetingId: platformMeetingId, numClients: 2 } })).status).toBe(200);
    const after = await server.app.services.db.webhookDelivery.findMany({ select: { id: true } });
    expect(after).toHaveLength(1);
    expect(before.map((row) => row.id)).not.toContain(after[0]!.id);
  });
});
