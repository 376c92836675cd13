// One port serves GraphQL over HTTP (and GraphiQL) and graphql-ws on /graphql,
// plus /health and /ready for orchestrators.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { GraphQLError, type ExecutionArgs, type GraphQLFormattedError } from 'graphql';
import type { AppServices } from '../app-services.js';
import type { TokenVerifier } from '../auth/token-verifier.js';
import type { Viewer } from '../auth/viewer.js';
import { createGraphqlYoga, tokenFromAuthorization, type RoomcalYoga } from './graphql-yoga.js';
import { clientAddress, createRateLimits, rateLimitedError, retryAfterSeconds } from './rate-limits.js';
import { createWebhookHandler } from './webhook-handler.js';

export interface HttpServer {
  server: Server;
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Stops accepting work, closes sockets; in-flight requests get `timeoutMs` to finish. */
  close(timeoutMs: number): Promise<void>;
}

const REQUEST_ID = /^[\w.-]{1,128}$/;

/** Close code of a WebSocket whose credentials are refused or no longer valid (graphql-ws uses it for a refused connection_init too). */
const WS_FORBIDDEN = 4403;
/** setTimeout's longest delay; JWT_MAX_LIFETIME_SECONDS keeps token lifetimes below it. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** `extensions.http` tells Yoga which HTTP status and headers to send; WebSocket clients have no use for it. */
function withoutHttpExtension(error: GraphQLError | GraphQLFormattedError): GraphQLFormattedError {
  const { http: _http, ...extensions } = error.extensions ?? {};
  return { ...(error instanceof GraphQLError ? error.toJSON() : error), extensions };
}

/** /metrics answers only a scraper presenting METRICS_TOKEN; without one configured it is not served. */
function metricsAllowed(req: IncomingMessage, metricsToken: string | undefined): boolean {
  if (!metricsToken) return false;
  const presented = Buffer.from(req.headers.authorization ?? '');
  const expected = Buffer.from(`Bearer ${metricsToken}`);
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

type SocketExtra = {
  viewer?: Viewer | null;
  /** Cancels the close scheduled for when the connection's token expires. */
  expiryTimer?: NodeJS.Timeout;
  tokenExpiresAt?: Date;
  /** Rate-limit key of this connection's operations. */
  connectionId?: string;
};

export function createHttpServer(services: AppServices, verifyToken: TokenVerifier): HttpServer {
  const { config, clock } = services;
  const rateLimits = createRateLimits(config);
  const yoga = createGraphqlYoga(services, verifyToken, rateLimits);
  const handleWebhook = createWebhookHandler({ db: services.db, clock, pubsub: services.pubsub, secrets: config.meetings });
  let shuttingDown = false;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('x-request-id', requestId);
    const started = performance.now();
    res.on('finish', () => {
      const level = req.url === '/health' || req.url === '/ready' || req.url === '/metrics' ? 'debug' : 'info';
      services.logger[level](
        { requestId, method: req.method, path: req.url?.split('?')[0], status: res.statusCode, ms: Math.round(performance.now() - started) },
        'request',
      );
    });

    const path = req.url?.split('?')[0];
    if (path === '/health') return sendJson(res, 200, { status: 'ok' });
    if (path === '/ready') {
      if (shuttingDown) return sendJson(res, 503, { status: 'shutting down' });
      try {
        await services.db.$queryRaw`SELECT 1`;
        return sendJson(res, 200, { status: 'ready' });
      } catch (error) {
        services.logger.warn({ err: error }, 'readiness check: database unreachable');
        return sendJson(res, 503, { status: 'database unreachable' });
      }
    }
    if (path?.startsWith('/webhooks/') && (await handleWebhook(req, res, path))) return;
    if (path === '/metrics') {
      if (!config.metricsToken) return sendJson(res, 404, { error: 'Metrics are served only when METRICS_TOKEN is set' });
      if (!metricsAllowed(req, config.metricsToken)) {
        res.setHeader('www-authenticate', 'Bearer realm="metrics"');
        return sendJson(res, 401, { error: 'Send Authorization: Bearer <METRICS_TOKEN>' });
      }
      res.writeHead(200, { 'content-type': services.metrics.registry.contentType });
      return void res.end(await services.metrics.registry.metrics());
    }
    await yoga.handle(req, res, { requestId, clientIp: clientAddress(req, config.limits.trustProxy) });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      services.logger.error({ err: error }, 'request handler failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });

  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const wsServer = new WebSocketServer({
    server,
    path: yoga.graphqlEndpoint,
    // The same bound as an HTTP body: one message carries one operation.
    maxPayload: config.limits.graphql.maxBodyBytes,
    // Connections per IP are refused at the upgrade, with an HTTP 429 and Retry-After.
    verifyClient: (info, accept) => {
      retryAfterSeconds(rateLimits.websocketConnections, clientAddress(info.req, config.limits.trustProxy)).then(
        (wait) => (wait === null ? accept(true) : accept(false, 429, 'Too Many Requests', { 'Retry-After': String(wait) })),
        (error: unknown) => {
          services.logger.error({ err: error }, 'websocket rate limit check failed');
          accept(false, 503, 'Service Unavailable');
        },
      );
    },
  });
  const wsGraphql = useServer<Record<string, unknown> | undefined, SocketExtra>(
    {
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args),
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args),
      // Over WebSocket there is no per-operation request: the token comes once,
      // in connection_init. A bad one refuses the connection (close code 4403);
      // a good one holds until it expires, when the connection is closed the same way.
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const authorization = params.authorization ?? params.Authorization;
        try {
          const token = await tokenFromAuthorization(verifyToken, typeof authorization === 'string' ? authorization : undefined);
          ctx.extra.viewer = token?.viewer ?? null;
          ctx.extra.connectionId = randomUUID();
          if (token) {
            ctx.extra.tokenExpiresAt = token.expiresAt;
            const closeOnExpiry = () => ctx.extra.socket.close(WS_FORBIDDEN, 'Token expired');
            const delay = Math.min(token.expiresAt.getTime() - clock.now().getTime(), MAX_TIMER_MS);
            ctx.extra.expiryTimer = setTimeout(closeOnExpiry, delay);
          }
          return true;
        } catch (error) {
          services.logger.info({ err: error }, 'websocket connection refused: bad token');
          return false;
        }
      },
      onClose: (ctx) => clearTimeout(ctx.extra.expiryTimer),
      onError: (_ctx, _id, _payload, errors) => errors.map(withoutHttpExtension),
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: result.errors.map(withoutHttpExtension) } : undefined,
      onSubscribe: async (ctx, _id, params) => {
        // The expiry timer runs on real time; the clock decides too, so no operation runs on an expired token.
        if (ctx.extra.tokenExpiresAt && clock.now() >= ctx.extra.tokenExpiresAt) {
          ctx.extra.socket.close(WS_FORBIDDEN, 'Token expired');
          return [new GraphQLError('Token has expired', { extensions: { code: 'UNAUTHENTICATED' } })];
        }
        const wait = await retryAfterSeconds(rateLimits.subscriptions, ctx.extra.connectionId ?? 'unknown');
        if (wait !== null) return [rateLimitedError('operations on this connection', wait)];
        const enveloped = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
          requestId: randomUUID(),
          clientIp: clientAddress(ctx.extra.request, config.limits.trustProxy),
          socketViewer: ctx.extra.viewer ?? null,
        });
        let document;
        try {
          document = enveloped.parse(params.query);
        } catch (error) {
          // Syntax errors and the token limit, answered like over HTTP instead of closing the socket.
          if (error instanceof GraphQLError) return [error];
          throw error;
        }
        const errors = enveloped.validate(enveloped.schema, document);
        if (errors.length > 0) return errors;
        const args: ExecutionArgs = {
          schema: enveloped.schema,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue: await enveloped.contextFactory(),
          rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe } satisfies EnvelopedRoot,
        };
        return args;
      },
    },
    wsServer,
  );

  return {
    server,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      }),
    async close(timeoutMs) {
      shuttingDown = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await wsGraphql.dispose(); // closes every socket with 1001 Going Away
      server.closeIdleConnections();
      const forced = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, timeoutMs);
      await closed;
      clearTimeout(forced);
      await yoga.dispose();
      await rateLimits.close();
    },
  };
}

/** Yoga's enveloped execute/subscribe travel to graphql-ws in rootValue. */
type EnvelopedRoot = Pick<ReturnType<RoomcalYoga['getEnveloped']>, 'execute' | 'subscribe'>;
