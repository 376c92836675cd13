// `npm run bench -- fanout`: one event to N graphql-ws subscribers of one room
// on one server process (N = 1,000 / 5,000 / 10,000), against a bare `ws`
// server broadcasting the same bytes to the same number of sockets. Per round:
// N anonymous subscribers of meetingStarted(roomName); createMeeting (its
// response time is printed too: publishing must not wait for the fan-out);
// then participantCount(meetingId) on the same sockets and one participant
// webhook. Time = until the last subscriber received it (p99 and max over
// subscribers), measured in the load generator's process. Server memory per
// subscriber = heap growth after GC / N. Rounds interleave roomcal and bare ws.
// Env: BENCH_FANOUT_SIZES (1000,5000,10000), BENCH_ROUNDS (3),
// BENCH_FANOUT_ENGINE (postgres | pglite).
import type { ChildProcess } from 'node:child_process';
import { SignJWT } from 'jose';
import { signWebhook } from '../src/meetings/webhook-signature.js';
import { ask, forkTs, formatSummary, once, printTable, summarize } from './support/rounds.js';
import { BENCH_JWT_SECRET, BENCH_METRICS_TOKEN, BENCH_WEBHOOK_SECRET } from './support/bench-env.js';

const SIZES = (process.env.BENCH_FANOUT_SIZES ?? '1000,5000,10000').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ENGINE = process.env.BENCH_FANOUT_ENGINE ?? 'postgres';

const MEETING_STARTED = 'subscription ($room: String!) { meetingStarted(roomName: $room) { id title startsAt endsAt status participantCount } }';
const PARTICIPANT_COUNT = 'subscription ($id: ID!) { participantCount(meetingId: $id) { meetingId participantCount } }';
const CREATE_ROOM = 'mutation ($name: String!) { createRoom(input: { name: $name }) { __typename ... on CreateRoomSuccess { room { name } } } }';
const CREATE_MEETING = 'mutation ($room: String!) { createMeeting(roomName: $room) { __typename ... on CreateMeetingSuccess { meeting { id platformMeetingId } } } }';

interface Received {
  type: 'received';
  count: number;
  p99: number;
  max: number;
  sample?: string;
}

interface RoundResult {
  startedP99: number;
  startedMax: number;
  countP99: number;
  createMeetingMs: number;
  bytesPerSubscriber: number;
  bareP99: number;
  delivered: string;
}

export async function graphqlRequest(url: string, token: string, query: string, variables: object): Promise<Record<string, any>> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Record<string, any>; errors?: unknown[] };
  if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data!;
}

export async function waitForSubscribers(url: string, topic: string, count: number): Promise<void> {
  const line = new RegExp(`^roomcal_active_subscriptions\\{topic="${topic}"\\} (\\d+)`, 'm');
  const deadline = Date.now() + 120_000;
  for (;;) {
    const metrics = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${BENCH_METRICS_TOKEN}` } })).text();
    if (Number(line.exec(metrics)?.[1] ?? 0) >= count) return;
    if (Date.now() > deadline) throw new Error(`fewer than ${count} ${topic} subscriptions open after 120 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const heapOf = async (server: ChildProcess) => (await ask<{ type: string; heapUsed: number }>(server, { type: 'memory' }, 'memory')).heapUsed;

/** A roomcal server process under benchmark and its URL. */
export interface Instance {
  server: ChildProcess;
  url: string;
}

/**
 * One round on `instances` (one, or several sharing a database and Redis):
 * `size` subscribers split evenly across them; every event is published
 * through the first.
 */
export async function roomcalRound(instances: Instance[], clients: ChildProcess, token: string, size: number, round: number) {
  const [publisher] = instances as [Instance, ...Instance[]];
  const url = publisher.url;
  const room = `fanout-${instances.length}x${size}-${round}`;
  await graphqlRequest(url, token, CREATE_ROOM, { name: room });
  const heapsBefore = await Promise.all(instances.map(({ server }) => heapOf(server)));
  // Sockets opened one instance after the other; the load generator adds each batch to those it holds.
  let open = 0;
  const openOn = new Map<Instance, number>();
  for (const [index, instance] of instances.entries()) {
    const count = Math.floor(size / instances.length) + (index < size % instances.length ? 1 : 0);
    const connected = await ask<{ type: string; open: number; failed: number }>(clients, { type: 'connect', url: instance.url.replace('http', 'ws') + '/graphql', count, graphql: true }, 'connected', 600_000);
    openOn.set(instance, connected.open - open);
    open = connected.open;
  }
  const waitForAll = (topic: string) => Promise.all(instances.map((instance) => waitForSubscribers(instance.url, topic, openOn.get(instance)!)));
  await ask(clients, { type: 'subscribe', id: '1', query: MEETING_STARTED, variables: { room } }, 'subscribed');
  await waitForAll('room:meeting-started');
  const heapsAfter = await Promise.all(instances.map(({ server }) => heapOf(server)));

  await ask(clients, { type: 'expect', id: '1', sentAt: Date.now() }, 'expecting');
  const published = Date.now();
  const received = once<Received>(clients, 'received', 120_000);
  const created = await graphqlRequest(url, token, CREATE_MEETING, { room });
  const createMeetingMs = Date.now() - published;
  const started = await received;
  const meeting = created.createMeeting.meeting as { id: string; platformMeetingId: string };

  await ask(clients, { type: 'subscribe', id: '2', query: PARTICIPANT_COUNT, variables: { id: meeting.id } }, 'subscribed');
  await waitForAll('meeting:participants');
  await ask(clients, { type: 'expect', id: '2', sentAt: Date.now() }, 'expecting');
  const counted = once<Received>(clients, 'received', 120_000);
  const body = JSON.stringify({ type: 'room.client.joined', data: { meetingId: meeting.platformMeetingId, numClients: 1 } });
  await fetch(`${url}/webhooks/local`, { method: 'POST', headers: { 'content-type': 'application/json', 'whereby-signature': signWebhook(body, BENCH_WEBHOOK_SECRET, new Date()) }, body });
  const count = await counted;
  await ask(clients, { type: 'close' }, 'closed', 120_000);
  const heapGrowth = heapsAfter.reduce((sum, after, index) => sum + after - heapsBefore[index]!, 0);
  return { started, count, createMeetingMs, bytesPerSubscriber: heapGrowth / Math.max(1, open), open };
}

async function bareRound(server: ChildProcess, url: string, clients: ChildProcess, size: number, payload: string): Promise<Received> {
  await ask(clients, { type: 'connect', url: url.replace('http', 'ws'), count: size, graphql: false }, 'connected', 600_000);
  await ask(clients, { type: 'expect', id: '1', sentAt: Date.now() }, 'expecting');
  const received = once<Received>(clients, 'received', 120_000);
  server.send({ type: 'broadcast', payload });
  const result = await received;
  await ask(clients, { type: 'close' }, 'closed', 120_000);
  return result;
}

export async function runFanoutBenchmark(): Promise<void> {
  process.env.BENCH_ENGINE = ENGINE;
  const roomcal = forkTs('support/server-process.ts', ['roomcal']);
  const bare = forkTs('support/server-process.ts', ['ws']);
  const clients = forkTs('support/ws-subscribers.ts');
  try {
    const [{ url }, { url: bareUrl }] = await Promise.all([once<{ type: string; url: string }>(roomcal, 'listening'), once<{ type: string; url: string }>(bare, 'listening')]);
    await once(clients, 'ready');
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('bench-owner').setIssuedAt().setExpirationTime('2h').sign(new TextEncoder().encode(BENCH_JWT_SECRET));
    const rows: string[][] = [];
    for (const size of SIZES) {
      const results: RoundResult[] = [];
      for (let round = 1; round <= ROUNDS; round++) {
        const a = await roomcalRound([{ server: roomcal, url }], clients, token, size, round);
        const b = await bareRound(bare, bareUrl, clients, size, a.started.sample ?? '{}');
        results.push({
          startedP99: a.started.p99,
          startedMax: a.started.max,
          countP99: a.count.p99,
          createMeetingMs: a.createMeetingMs,
          bytesPerSubscriber: a.bytesPerSubscriber,
          bareP99: b.p99,
          delivered: `${a.started.count}+${a.count.count}/${2 * a.open}`,
        });
        console.log(`  ${size} subscribers, round ${round}: meetingStarted p99 ${a.started.p99} ms, participantCount p99 ${a.count.p99} ms, bare ws p99 ${b.p99} ms`);
      }
      const column = (pick: (result: RoundResult) => number, digits = 0) => formatSummary(summarize(results.map(pick)), digits);
      rows.push([
        String(size),
        column((r) => r.startedP99),
        column((r) => r.startedMax),
        column((r) => r.countP99),
        column((r) => r.bareP99),
        column((r) => r.startedP99 / Math.max(1, r.bareP99), 1),
        column((r) => r.createMeetingMs),
        column((r) => r.bytesPerSubscriber / 1024, 1),
        results.map((r) => r.delivered).join(' '),
      ]);
    }
    printTable(
      `Fan-out: one event to N graphql-ws subscribers of one room (${ENGINE}), ${ROUNDS} rounds interleaved with a bare ws broadcast`,
      ['N', 'meetingStarted p99 ms', 'meetingStarted max ms', 'participantCount p99 ms', 'bare ws p99 ms', 'meetingStarted/bare', 'createMeeting response ms', 'server heap KiB/subscriber', 'delivered'],
      rows,
    );
  } finally {
    await Promise.allSettled([ask(roomcal, { type: 'stop' }, 'stopped', 30_000), ask(bare, { type: 'stop' }, 'stopped', 30_000)]);
    clients.kill();
  }
}
