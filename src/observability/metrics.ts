// Prometheus metrics served on /metrics: calendar sync outcomes, durations and
// lag, live GraphQL subscriptions, and queries answered from the response cache. One registry per server instance, so
// tests running several servers in one process do not mix their numbers.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';

export interface Metrics {
  registry: Registry;
  recordSync(status: string, durationMs: number): void;
  subscriptionStarted(topic: string): void;
  subscriptionEnded(topic: string): void;
  /** A query answered from the response cache: Yoga's own graphql_envelop_* metrics count executed operations only. */
  responseCacheHit(): void;
}

export function createMetrics(deps: { db: Db; clock: Clock }): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const syncs = new Counter({
    name: 'roomcal_calendar_syncs_total',
    help: 'Calendar syncs by outcome',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  const syncDuration = new Histogram({
    name: 'roomcal_calendar_sync_duration_seconds',
    help: 'Duration of calendar syncs (fetch, parse, expand, store)',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  new Gauge({
    name: 'roomcal_calendar_sync_lag_seconds',
    help: 'How long the most overdue enabled room has been waiting for its sync (0 when none is overdue)',
    registers: [registry],
    async collect() {
      const now = deps.clock.now();
      const oldest = await deps.db.room.findFirst({
        where: { icsEnabled: true, icsNextSyncAt: { lte: now } },
        orderBy: { icsNextSyncAt: 'asc' },
        select: { icsNextSyncAt: true },
      });
      this.set(oldest?.icsNextSyncAt ? (now.getTime() - oldest.icsNextSyncAt.getTime()) / 1000 : 0);
    },
  });
  const subscriptions = new Gauge({
    name: 'roomcal_active_subscriptions',
    help: 'GraphQL subscription streams currently open, by topic',
    labelNames: ['topic'] as const,
    registers: [registry],
  });

  const responseCacheHits = new Counter({
    name: 'roomcal_graphql_response_cache_hits_total',
    help: 'GraphQL queries answered from the response cache, without execution (graphql_envelop_* count the executed ones)',
    registers: [registry],
  });

  return {
    registry,
    recordSync(status, durationMs) {
      syncs.inc({ status });
      syncDuration.observe(durationMs / 1000);
    },
    subscriptionStarted: (topic) => subscriptions.inc({ topic }),
    subscriptionEnded: (topic) => subscriptions.dec({ topic }),
    responseCacheHit: () => responseCacheHits.inc(),
  };
}
