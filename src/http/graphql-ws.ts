// graphql-ws on the HTTP server's port and GraphQL path. Operations go
// through Yoga's envelop (the same limits, rate limits and context as over
// HTTP); the token comes once, in connection_init, and the connection lives
// no longer than it.
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { GraphQLError, type ExecutionArgs, type GraphQLFormattedError } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { AppServices } from '../app-services.js';
import { tokenFromAuthorization, type TokenVerifier } from '../auth/token-verifier.js';
import { createSharedSubscriptions } from '../realtime/shared-subscriptions.js';
import type { Viewer } from '../auth/viewer.js';
import type { RoomcalYoga } from './graphql-yoga.js';
import { clientAddress, rateLimitedError, retryAfterSeconds, type RateLimits } from './rate-limits.js';

/** Close code of a WebSocket whose credentials are refused or no longer valid (graphql-ws uses it for a refused connection_init too). */
const WS_FORBIDDEN = 4403;
/** Close code of a WebSocket refused because the server holds MAX_CONNECTIONS already (RFC 6455 "Try Again Later"). */
const WS_TRY_AGAIN_LATER = 1013;
/** setTimeout's longest delay; JWT_MAX_LIFETIME_SECONDS keeps token lifetimes below it. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** `extensions.http` tells Yoga which HTTP status and headers to send; WebSocket clients have no use for it. */
function withoutHttpExtension(error: GraphQLError | GraphQLFormattedError): GraphQLFormattedError {
  const { http: _http, ...extensions } = error.extensions ?? {};
  return { ...(error instanceof GraphQLError ? error.toJSON() : error), extensions };
}

type SocketExtra = {
  viewer?: Viewer | null;
  /** Cancels the close scheduled for when the connection's token expires. */
  expiryTimer?: NodeJS.Timeout;
  tokenExpiresAt?: Date;
  /** Rate-limit key of this connection's operations. */
  connectionId?: string;
};

export function createGraphqlWsServer(deps: {
  server: Server;
  yoga: RoomcalYoga;
  verifyToken: TokenVerifier;
  rateLimits: RateLimits;
  services: AppServices;
}) {
  const { server, yoga, verifyToken, rateLimits, services } = deps;
  const { config, clock } = services;
  const shared = createSharedSubscriptions(services.metrics);
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
  refuseBeyond(config.limits.maxConnections, wsServer, services.logger);
  return useServer<Record<string, unknown> | undefined, SocketExtra>(
    {
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args),
      // One execution per operation and viewer, whatever the number of subscribers (src/realtime/shared-subscriptions.ts).
      // While Redis is unreachable a new subscriber executes alone, and so is told SERVICE_UNAVAILABLE
      // instead of joining a stream that is paused.
      subscribe: (args) => {
        const root = args.rootValue as EnvelopedRoot;
        return services.pubsub.unavailable() ? root.subscribe(args) : shared.join(root.sharingKey, () => root.subscribe(args));
      },
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
        const wait = await retryAfterSeconds(rateLimits.subscriptions, ctx.extra.connectionId!);
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
          rootValue: {
            execute: enveloped.execute,
            subscribe: enveloped.subscribe,
            // Results depend on the operation and on who asks (owner-only fields), nothing else in the context.
            sharingKey: JSON.stringify([params.query, params.operationName ?? null, params.variables ?? null, ctx.extra.viewer?.userId ?? null]),
          } satisfies EnvelopedRoot,
        };
        return args;
      },
    },
    wsServer,
  );
}

/**
 * Past `max` open WebSockets a new one is closed at once with 1013, before
 * graphql-ws reads from it; one log line when the limit is reached, another
 * only after the count fell well below it and reached it again.
 */
function refuseBeyond(max: number, wsServer: WebSocketServer, logger: AppServices['logger']): void {
  let full = false;
  // Registered before graphql-ws's own listener, so a refused socket never starts a connection.
  wsServer.on('connection', (socket) => {
    if (wsServer.clients.size <= max) {
      socket.once('close', () => {
        if (full && wsServer.clients.size < max * 0.9) full = false;
      });
      return;
    }
    if (!full) {
      full = true;
      logger.warn({ maxConnections: max }, 'connection limit reached: new WebSocket connections are closed with 1013 until some close (MAX_CONNECTIONS)');
    }
    socket.close(WS_TRY_AGAIN_LATER, 'Server at its connection limit; retry later');
  });
}

/** Yoga's enveloped execute/subscribe travel to graphql-ws in rootValue, with the key subscribers share an execution by. */
type EnvelopedRoot = Pick<ReturnType<RoomcalYoga['getEnveloped']>, 'execute' | 'subscribe'> & { sharingKey: string };
