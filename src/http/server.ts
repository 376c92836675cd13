// One port serves GraphQL over HTTP (and GraphiQL) and graphql-ws on /graphql,
// plus /health and /ready for orchestrators.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { ExecutionArgs } from 'graphql';
import type { AppServices } from '../app-services.js';
import type { TokenVerifier } from '../auth/token-verifier.js';
import type { Viewer } from '../auth/viewer.js';
import { handleWebhook } from '../meetings/webhook-handler.js';
import { createWebRoutes } from '../web/web-routes.js';
import { createGraphqlYoga, viewerFromAuthorization, type RoomcalYoga } from './graphql-yoga.js';

export interface HttpServer {
  server: Server;
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Stops accepting work, closes sockets; in-flight requests get `timeoutMs` to finish. */
  close(timeoutMs: number): Promise<void>;
}

const REQUEST_ID = /^[\w.-]{1,128}$/;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

export function createHttpServer(services: AppServices, verifyToken: TokenVerifier): HttpServer {
  const yoga = createGraphqlYoga(services, verifyToken);
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
    if (path?.startsWith('/webhooks/') && (await handleWebhook(services, req, res, path))) return;
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': services.metrics.registry.contentType });
      return void res.end(await services.metrics.registry.metrics());
    }
    if (path && (await web.handle(req, res, path))) return;
    await yoga.handle(req, res, { requestId });
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

  const wsServer = new WebSocketServer({ server, path: yoga.graphqlEndpoint });
  const wsGraphql = useServer<Record<string, unknown> | undefined, { viewer?: Viewer | null }>(
    {
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args),
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args),
      // Over WebSocket there is no per-operation request: the token comes once,
      // in connection_init. A bad one refuses the connection (close code 4403).
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const authorization = params.authorization ?? params.Authorization;
        try {
          ctx.extra.viewer = await viewerFromAuthorization(verifyToken, typeof authorization === 'string' ? authorization : undefined);
          return true;
        } catch (error) {
          services.logger.info({ err: error }, 'websocket connection refused: bad token');
          return false;
        }
      },
      onSubscribe: async (ctx, _id, params) => {
        const enveloped = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
          requestId: randomUUID(),
          socketViewer: ctx.extra.viewer ?? null,
        });
        const document = enveloped.parse(params.query);
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
      await web.close(); // ends the local meeting pages' presence streams, recording the leaves
      server.closeIdleConnections();
      const forced = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, timeoutMs);
      await closed;
      clearTimeout(forced);
      await yoga.dispose();
    },
  };
}

/** Yoga's enveloped execute/subscribe travel to graphql-ws in rootValue. */
type EnvelopedRoot = Pick<ReturnType<RoomcalYoga['getEnveloped']>, 'execute' | 'subscribe'>;
