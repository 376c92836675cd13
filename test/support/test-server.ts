// Starts the real server (HTTP + WebSocket) on a random port, on the chosen
// storage engine, and talks to it the way clients do.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type ExecutionResult } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { startApp, type RunningApp } from '../../src/app.js';
import type { Clock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { createTestDatabase, type Engine } from './databases.js';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256';
export const TEST_ENCRYPTION_KEY = 'a'.repeat(64);
export const TEST_METRICS_TOKEN = 'test-metrics-token-long-enough';

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000 } as const;

/**
 * A token for `sub`, issued at `now` (the server's clock: it checks `exp` and
 * `iat` against it) and expiring `expiresIn` ("90s", "-1m", "12h") later.
 */
export async function tokenFor(sub: string, options: { expiresIn?: string; secret?: string; now?: Date } = {}): Promise<string> {
  const now = options.now ?? new Date();
  const [, amount, unit] = /^(-?\d+)([smh])$/.exec(options.expiresIn ?? '1h') ?? [];
  if (!amount || !unit) throw new Error(`expiresIn must look like "90s", "-1m" or "12h", got ${options.expiresIn}`);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt(now)
    .setExpirationTime(new Date(now.getTime() + Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS]))
    .sign(new TextEncoder().encode(options.secret ?? TEST_JWT_SECRET));
}

export interface GraphqlResponse<T> {
  status: number;
  body: ExecutionResult<T> & { errors?: Array<{ message: string; extensions?: Record<string, unknown>; path?: string[] }> };
}

export interface TestServer {
  app: RunningApp;
  engine: Engine;
  /** DATABASE_URL of this server's database (PostgreSQL only): a second server given it shares the database. */
  databaseEnv: Record<string, string>;
  url: string;
  graphqlUrl: string;
  wsUrl: string;
  /** GraphQL over HTTP POST; `as` is a user id whose token is sent, or a raw Authorization header. */
  request<T, V>(
    document: TypedDocumentNode<T, V>,
    variables?: V,
    auth?: { as?: string; authorization?: string },
  ): Promise<GraphqlResponse<T>>;
  /** A graphql-ws client over a real socket, closed with the server. */
  wsClient(connectionParams?: Record<string, unknown>): Client;
  /**
   * Waits until exactly `count` subscription streams of `topic` are open on
   * this server (its /metrics gauge): a subscription is live only once its
   * resolver has run, some time after the client sent it.
   */
  waitForSubscribers(topic: string, count: number): Promise<void>;
  close(): Promise<void>;
}

export async function startTestServer(
  engine: Engine,
  options: { env?: Record<string, string>; clock?: Clock; logger?: Logger } = {},
): Promise<TestServer> {
  const database = await createTestDatabase(engine);
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: database.dataDir,
    JWT_SECRET: TEST_JWT_SECRET,
    ICS_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    PUBLIC_URL: 'https://rooms.example.com',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    SHUTDOWN_TIMEOUT_MS: '2000',
    METRICS_TOKEN: TEST_METRICS_TOKEN,
    // Functional tests act as a few users from one address; test/http/rate-limits.test.ts sets real limits.
    RATE_LIMIT_MUTATIONS: '100000',
    RATE_LIMIT_EXPENSIVE_MUTATIONS: '100000',
    RATE_LIMIT_WEBSOCKET_CONNECTIONS: '100000',
    RATE_LIMIT_SUBSCRIPTIONS: '100000',
    ...database.env,
    ...options.env,
  });
  const app = await startApp({ config, clock: options.clock, logger: options.logger ?? createLogger(config.logLevel) }).catch(async (error: unknown) => {
    await database.drop();
    throw error;
  });
  const graphqlUrl = `${app.url}/graphql`;
  const clients: Client[] = [];
  return {
    app,
    engine,
    databaseEnv: database.env,
    url: app.url,
    graphqlUrl,
    wsUrl: graphqlUrl.replace(/^http/, 'ws'),
    async request(document, variables, auth = {}) {
      const authorization = auth.authorization ?? (auth.as ? `Bearer ${await tokenFor(auth.as, { now: app.services.clock.now() })}` : undefined);
      const response = await fetch(graphqlUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json',
          ...(authorization ? { authorization } : {}),
        },
        body: JSON.stringify({ query: print(document), variables }),
      });
      return { status: response.status, body: await response.json() };
    },
    wsClient(connectionParams) {
      const client = createClient({
        url: graphqlUrl.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        lazy: true,
        connectionParams,
      });
      clients.push(client);
      return client;
    },
    async waitForSubscribers(topic, count) {
      const line = new RegExp(`^roomcal_active_subscriptions\\{topic="${topic}"\\} (\\d+)`, 'm');
      const deadline = Date.now() + 20_000;
      for (;;) {
        const open = Number(line.exec(await (await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` } })).text())?.[1] ?? 0);
        if (open === count) return;
        if (Date.now() > deadline) throw new Error(`${open} ${topic} subscriptions open, expected ${count}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async close() {
      await Promise.all(clients.map((client) => client.dispose()));
      await app.close();
      await database.drop();
    },
  };
}

/** Runs one operation over graphql-ws and returns its single result. */
export function wsExecute<T, V>(client: Client, document: TypedDocumentNode<T, V>, variables?: V): Promise<ExecutionResult<T>> {
  return new Promise((resolve, reject) => {
    let result: ExecutionResult<T> | undefined;
    client.subscribe<T>(
      { query: print(document), variables: variables as Record<string, unknown> | undefined },
      {
        next: (value) => (result = value as ExecutionResult<T>),
        error: reject,
        complete: () => (result ? resolve(result) : reject(new Error('no result'))),
      },
    );
  });
}

/** Subscribes and collects payloads as they arrive; `next(n)` waits for the n-th. */
export function wsSubscribe<T, V>(client: Client, document: TypedDocumentNode<T, V>, variables?: V) {
  const received: ExecutionResult<T>[] = [];
  const waiters: Array<{ count: number; resolve: () => void; reject: (error: unknown) => void }> = [];
  let failure: unknown;
  const settle = () => {
    for (const waiter of [...waiters]) {
      if (failure !== undefined) waiter.reject(failure);
      else if (received.length >= waiter.count) waiter.resolve();
      else continue;
      waiters.splice(waiters.indexOf(waiter), 1);
    }
  };
  const unsubscribe = client.subscribe<T>(
    { query: print(document), variables: variables as Record<string, unknown> | undefined },
    {
      next: (value) => {
        received.push(value as ExecutionResult<T>);
        settle();
      },
      error: (error) => {
        failure = error;
        settle();
      },
      complete: () => {},
    },
  );
  return {
    received,
    /** Resolves once `count` payloads have arrived in total. */
    waitFor(count: number): Promise<ExecutionResult<T>[]> {
      return new Promise<void>((resolve, reject) => {
        waiters.push({ count, resolve, reject });
        settle();
      }).then(() => received);
    },
    unsubscribe,
  };
}
