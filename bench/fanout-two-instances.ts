// `npm run bench -- fanout2`: the fan-out benchmark (bench/fanout.ts) across
// two roomcal instances on one PostgreSQL database and one Redis
// (REDIS_URL=redis://127.0.0.1:6379, a rate-limit prefix of this run's own):
// N graphql-ws subscribers split evenly across both, meetingStarted and
// participantCount published through the first. Each round also runs the
// same N on the first instance alone (same Redis round trip), so the two
// figures are compared under the same load. Env: BENCH_FANOUT2_SUBSCRIBERS
// (10000), BENCH_ROUNDS (3), BENCH_POSTGRES_URL, BENCH_REDIS_URL.
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { createScratchDatabase } from '../test/support/scratch-database.js';
import { roomcalRound, type Instance } from './fanout.js';
import { BENCH_JWT_SECRET } from './support/bench-env.js';
import { ask, forkTs, formatSummary, once, printTable, summarize } from './support/rounds.js';

const SUBSCRIBERS = Number(process.env.BENCH_FANOUT2_SUBSCRIBERS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

export async function runFanoutTwoInstancesBenchmark(): Promise<void> {
  const database = await createScratchDatabase('postgres', { prefix: 'roomcal-bench-fanout2', postgresAdminUrl: process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' });
  const env = {
    BENCH_DATABASE_URL: database.env.DATABASE_URL!,
    BENCH_SERVER_ENV: JSON.stringify({ REDIS_URL, RATE_LIMIT_REDIS_PREFIX: `roomcal-bench-${randomBytes(6).toString('hex')}:rate` }),
  };
  const servers = [forkTs('support/server-process.ts', ['roomcal'], env), forkTs('support/server-process.ts', ['roomcal'], env)];
  const clients = forkTs('support/ws-subscribers.ts');
  try {
    const instances: Instance[] = await Promise.all(servers.map(async (server) => ({ server, url: (await once<{ type: string; url: string }>(server, 'listening')).url })));
    await once(clients, 'ready');
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('bench-owner').setIssuedAt().setExpirationTime('2h').sign(new TextEncoder().encode(BENCH_JWT_SECRET));
    type RoundResult = Awaited<ReturnType<typeof roomcalRound>>;
    const results: Array<{ one: RoundResult; two: RoundResult }> = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const runOne = () => roomcalRound(instances.slice(0, 1), clients, token, SUBSCRIBERS, round);
      const runTwo = () => roomcalRound(instances, clients, token, SUBSCRIBERS, round);
      // Alternate which side goes first, so neither always meets the quieter machine.
      let one: RoundResult;
      let two: RoundResult;
      if (round % 2 === 1) {
        one = await runOne();
        two = await runTwo();
      } else {
        two = await runTwo();
        one = await runOne();
      }
      results.push({ one, two });
      console.log(`  round ${round}: meetingStarted p99 one instance ${one.started.p99} ms, two ${two.started.p99} ms; participantCount p99 ${one.count.p99} / ${two.count.p99} ms`);
    }
    const column = (pick: (result: (typeof results)[number]) => number, digits = 0) => formatSummary(summarize(results.map(pick)), digits);
    const delivered = (side: 'one' | 'two') => results.map((r) => `${r[side].started.count}+${r[side].count.count}/${2 * r[side].open}`).join(' ');
    printTable(
      `Fan-out across instances: ${SUBSCRIBERS} graphql-ws subscribers of one room, PostgreSQL + Redis, events published through instance 1, ${ROUNDS} rounds`,
      ['setup', 'meetingStarted p99 ms', 'meetingStarted max ms', 'participantCount p99 ms', 'createMeeting response ms', 'delivered'],
      [
        ['1 instance', column((r) => r.one.started.p99), column((r) => r.one.started.max), column((r) => r.one.count.p99), column((r) => r.one.createMeetingMs), delivered('one')],
        ['2 instances (half each)', column((r) => r.two.started.p99), column((r) => r.two.started.max), column((r) => r.two.count.p99), column((r) => r.two.createMeetingMs), delivered('two')],
        ['2 / 1 (same round)', column((r) => r.two.started.p99 / Math.max(1, r.one.started.p99), 2), '', column((r) => r.two.count.p99 / Math.max(1, r.one.count.p99), 2), '', ''],
      ],
    );
  } finally {
    await Promise.allSettled(servers.map((server) => ask(server, { type: 'stop' }, 'stopped', 30_000)));
    clients.kill();
    await database.drop();
  }
}
