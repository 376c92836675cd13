// The fan-out benchmark's load generator, in its own process: holds N
// WebSockets to 127.0.0.1 (graphql-ws protocol, or bare for the ws
// comparison) and reports when each received a message, over IPC; counts
// every message and every failure (`stats`) for the soak benchmark.
import WebSocket from 'ws';
import { percentile } from './rounds.js';

interface Expectation {
  id: string;
  sentAt: number;
  latencies: number[];
  sample?: string;
  timer: NodeJS.Timeout;
}

let sockets: WebSocket[] = [];
let expectation: Expectation | undefined;
let closing = false;
/** Since the start: `next` messages, subscription errors (an `error` message or a `next` with errors), sockets the server closed. */
const stats = { received: 0, failedSubscriptions: 0, closedByServer: 0 };
const send = (message: object) => process.send!(message);

function report(): void {
  if (!expectation) return;
  const { latencies, sample, timer } = expectation;
  clearTimeout(timer);
  expectation = undefined;
  send({ type: 'received', count: latencies.length, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: Math.max(...latencies), sample });
}

function onMessage(data: WebSocket.RawData): void {
  const text = data.toString();
  const message = JSON.parse(text) as { id?: string; type: string; payload?: { errors?: unknown[] } };
  if (message.type === 'next') stats.received++;
  if (message.type === 'error' || message.payload?.errors) stats.failedSubscriptions++;
  if (!expectation || message.type !== 'next' || message.id !== expectation.id) return;
  expectation.latencies.push(Date.now() - expectation.sentAt);
  expectation.sample ??= text;
  if (expectation.latencies.length === sockets.length) report();
}

/** Opens one socket; graphql-ws sockets resolve once the server acknowledged connection_init. */
function open(url: string, graphql: boolean, authorization?: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, graphql ? 'graphql-transport-ws' : undefined);
    let acknowledged = !graphql;
    socket.once('error', reject);
    socket.once('close', (code, reason) => reject(new Error(`closed ${code} ${reason.toString()}`)));
    socket.on('open', () => {
      if (!graphql) return resolve(socket);
      socket.send(JSON.stringify({ type: 'connection_init', payload: authorization ? { authorization } : {} }));
    });
    socket.on('message', (data) => {
      if (!acknowledged && JSON.parse(data.toString()).type === 'connection_ack') {
        acknowledged = true;
        socket.on('close', () => {
          if (!closing) stats.closedByServer++;
        });
        return resolve(socket);
      }
      onMessage(data);
    });
  });
}

process.on('message', async (message: { type: string; [key: string]: unknown }) => {
  if (message.type === 'connect') {
    const { url, count, graphql, authorization } = message as unknown as { url: string; count: number; graphql: boolean; authorization?: string };
    let failed = 0;
    // In batches, so the server's accept backlog is not what is measured.
    for (let start = 0; start < count; start += 250) {
      const batch = await Promise.allSettled(Array.from({ length: Math.min(250, count - start) }, () => open(url, graphql, authorization)));
      for (const result of batch) {
        if (result.status === 'fulfilled') sockets.push(result.value);
        else failed++;
      }
    }
    send({ type: 'connected', open: sockets.length, failed });
  } else if (message.type === 'subscribe') {
    // `variables` may be a list: socket i subscribes with variables[i mod length] (e.g. one room each, round-robin).
    const choices = Array.isArray(message.variables) ? message.variables : [message.variables];
    sockets.forEach((socket, index) => socket.send(JSON.stringify({ id: message.id, type: 'subscribe', payload: { query: message.query, variables: choices[index % choices.length] } })));
    send({ type: 'subscribed' });
  } else if (message.type === 'expect') {
    const timeoutMs = Number(message.timeoutMs ?? 30_000);
    expectation = { id: String(message.id), sentAt: Number(message.sentAt), latencies: [], timer: setTimeout(report, timeoutMs) };
    send({ type: 'expecting' });
  } else if (message.type === 'stats') {
    send({ type: 'stats', open: sockets.filter((socket) => socket.readyState === WebSocket.OPEN).length, ...stats });
  } else if (message.type === 'close') {
    closing = true;
    const closed = sockets.map((socket) => new Promise((resolve) => (socket.readyState === WebSocket.CLOSED ? resolve(null) : (socket.once('close', resolve), socket.terminate()))));
    await Promise.all(closed);
    sockets = [];
    closing = false;
    send({ type: 'closed' });
  }
});
send({ type: 'ready' });
