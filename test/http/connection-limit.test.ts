// MAX_CONNECTIONS: past it, a new WebSocket is closed at once with 1013 (Try
// Again Later) and one log line says why — not an error per operation — and
// the server serves again once connections close.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { engines } from '../support/databases.js';
import { startTestServer, wsExecute, type TestServer } from '../support/test-server.js';
import { ServerTime } from '../api/operations.js';

/** Opens a graphql-ws socket and resolves with how it ended, or 'open' once the server acknowledged it. */
function connect(url: string): Promise<{ socket: WebSocket; outcome: 'open' | { code: number; reason: string } }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, 'graphql-transport-ws');
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init' })));
    socket.on('message', (data) => {
      if (JSON.parse(data.toString()).type === 'connection_ack') resolve({ socket, outcome: 'open' });
    });
    socket.on('close', (code, reason) => resolve({ socket, outcome: { code, reason: reason.toString() } }));
  });
}

describe('connection limit', () => {
  let server: TestServer;
  const warnings: string[] = [];
  beforeAll(async () => {
    const log = new Writable({
      write(line: Buffer, _encoding, done) {
        const entry = JSON.parse(line.toString()) as { level: number; msg: string };
        if (entry.level >= 40) warnings.push(entry.msg);
        done();
      },
    });
    server = await startTestServer(engines[0]!, { env: { MAX_CONNECTIONS: '2' }, logger: pino({ level: 'warn' }, log) });
  });
  afterAll(() => server?.close());

  it('closes WebSockets past MAX_CONNECTIONS with 1013 and logs it once', async () => {
    const held = [await connect(server.wsUrl), await connect(server.wsUrl)];
    expect(held.map(({ outcome }) => outcome)).toEqual(['open', 'open']);

    const refused = await Promise.all([connect(server.wsUrl), connect(server.wsUrl), connect(server.wsUrl)]);
    for (const { outcome } of refused) expect(outcome).toEqual({ code: 1013, reason: 'Server at its connection limit; retry later' });
    expect(warnings.filter((message) => message.includes('connection limit'))).toHaveLength(1);

    // HTTP is still served meanwhile, and a slot that frees up is taken again.
    const response = await fetch(`${server.url}/health`);
    expect(response.status).toBe(200);
    held[0]!.socket.close();
    await new Promise((resolve) => held[0]!.socket.once('close', resolve));
    const client = server.wsClient();
    expect((await wsExecute(client, ServerTime)).errors).toBeUndefined();
    held[1]!.socket.close();
  });
});
