// One port serves GraphQL over HTTP (and GraphiQL) and graphql-ws on /graphql,
// plus /health and /ready for orchestrators.
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { AppServices } from '../app-services.js';
import type { TokenVerifier } from '../auth/token-verifier.js';
import { createWebRoutes } from '../web/web-routes.js';
import { sendJson } from './json-response.js';
import { createGraphqlWsServer } from './graphql-ws.js';
import { createGraphqlYoga } from './graphql-yoga.js';
import { clientAddress, createRateLimits } from './rate-limits.js';
import { createWebhookHandler } from './webhook-handler.js';

export interface HttpServer {
  server: Server;
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Stops accepting work, closes sockets; in-flight requests get `timeoutMs` to finish. */
  close(timeoutMs: number): Promise<void>;
}

const REQUEST_ID = /^[\w.-]{1,128}$/;

/** /metrics answers only a scraper presenting METRICS_TOKEN; without one configured it is not served. */
function metricsAllowed(req: IncomingMessage, metricsToken: string): boolean {
  const presented = Buffer.from(req.headers.authorization ?? '');
  const expected = Buffer.from(`Bearer ${metricsToken}`);
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

/** Connections beyond MAX_CONNECTIONS still accepted, so HTTP requests (and /health) are served while WebSockets are full. */
const HTTP_HEADROOM_CONNECTIONS = 100;

export function createHttpServer(services: AppServices, verifyToken: TokenVerifier): HttpServer {
  const { config, clock } = services;
  const rateLimits = createRateLimits(config);
  const yoga = createGraphqlYoga(services, verifyToken, rateLimits);
  const handleWebhook = createWebhookHandler({ db: services.db, clock, pubsub: services.pubsub, secrets: config.meetings });
  const web = createWebRoutes(services);
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
      const pubsubProblem = services.pubsub.unavailable();
      if (pubsubProblem) return sendJson(res, 503, { status: pubsubProblem });
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
    if (path && (await web.handle(req, res, path))) return;
    await yoga.handle(req, res, { requestId, clientIp: clientAddress(req, config.limits.trustProxy) });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      services.logger.error({ err: error }, 'request handler failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });

  // Past MAX_CONNECTIONS WebSockets get a close code (src/http/graphql-ws.ts); past it plus
  // this headroom, Node drops new TCP connections at once, logged at most once a minute.
  server.maxConnections = config.limits.maxConnections + HTTP_HEADROOM_CONNECTIONS;
  let droppedLoggedAt = 0;
  server.on('drop', () => {
    if (Date.now() - droppedLoggedAt < 60_000) return;
    droppedLoggedAt = Date.now();
    services.logger.warn({ maxConnections: server.maxConnections }, 'connection limit reached: new connections are dropped (MAX_CONNECTIONS)');
  });

  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const wsGraphql = createGraphqlWsServer({ server, yoga, verifyToken, rateLimits, services });

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
      await web.close(); // ends the local meeting pages' presence streams, recording the leaves
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
