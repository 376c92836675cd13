import { randomUUID } from 'node:crypto';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { createYoga, maskError, type YogaServerInstance } from 'graphql-yoga';
import type { AppServices } from '../app-services.js';
import { AuthenticationError, tokenFromAuthorization, type TokenVerifier } from '../auth/token-verifier.js';
import type { Viewer } from '../auth/viewer.js';
import { graphqlOperationMetrics } from '../observability/graphql-metrics.js';
import type { AppContext } from '../schema/context.js';
import { requestError } from '../schema/errors.js';
import { schema } from '../schema/index.js';
import { useDocumentLimits, useExecutionDeadline, useRefuseNulInput, useResponseSizeLimit } from './graphql-limits.js';
import { useMutationRateLimit, type RateLimits } from './rate-limits.js';
import { useSharedResponseCache } from './response-cache.js';

/** What the transports hand to Yoga: an HTTP request, or a WebSocket's already-authenticated viewer. */
export interface TransportContext {
  requestId?: string;
  /** The caller's address, the rate-limit key of anonymous callers. */
  clientIp?: string;
  /** Set by the WebSocket transport after connection_init was authenticated. */
  socketViewer?: Viewer | null;
}

export type RoomcalYoga = YogaServerInstance<TransportContext, AppContext>;

export function createGraphqlYoga(services: AppServices, verifyToken: TokenVerifier, rateLimits: RateLimits): RoomcalYoga {
  const limits = services.config.limits.graphql;
  const responseCache = services.config.responseCache;
  return createYoga<TransportContext, AppContext>({
    schema,
    graphqlEndpoint: '/graphql',
    maxRequestBodySize: limits.maxBodyBytes,
    plugins: [
      // First: a repeated query is answered before the other plugins' work, and its
      // execute function is the one the deadline below wraps.
      responseCache.ttlMs > 0 && useSharedResponseCache(responseCache, { clock: services.clock, pubsub: services.pubsub, metrics: services.metrics, verifyToken }),
      useDocumentLimits(limits),
      useRefuseNulInput(),
      useMutationRateLimit(rateLimits),
      useExecutionDeadline(limits.executionTimeoutMs),
      useResponseSizeLimit(limits.maxResponseBytes),
      graphqlOperationMetrics(services.metrics.registry),
    ],
    logging: services.logger,
    graphiql: { subscriptionsProtocol: 'WS', title: 'roomcal' },
    renderGraphiQL, // GraphiQL's assets from the installed package, not a CDN (works offline)
    // CORS_ORIGINS: same origin only by default. Tokens travel in the
    // Authorization header, never in cookies, so no credentials.
    cors: services.config.corsOrigins.length > 0 ? { origin: services.config.corsOrigins, credentials: false } : false,
    maskedErrors: {
      // Errors meant for clients carry a code and pass through; the rest are
      // replaced by a generic message, and logged here with their stack.
      maskError(error, message, isDev) {
        const masked = maskError(error, message, isDev);
        if (masked !== error) services.logger.error({ err: error }, 'unexpected error in a GraphQL operation');
        return masked;
      },
    },
    context: async ({ request, requestId, socketViewer }): Promise<AppContext> => {
      let viewer: Viewer | null;
      if (socketViewer !== undefined) {
        viewer = socketViewer;
      } else {
        try {
          viewer = (await tokenFromAuthorization(verifyToken, request?.headers.get('authorization')))?.viewer ?? null;
        } catch (error) {
          if (error instanceof AuthenticationError) throw requestError('UNAUTHENTICATED', error.message);
          throw error;
        }
      }
      return { viewer, requestId: requestId ?? randomUUID(), services };
    },
  });
}
