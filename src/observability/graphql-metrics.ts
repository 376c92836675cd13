// GraphQL operation counts, errors and latencies on /metrics, from Yoga's
// Prometheus plugin, in the server's own registry (metrics.ts) next to the
// sync and subscription metrics. /metrics itself is served by src/http.
import { usePrometheus } from '@graphql-yoga/plugin-prometheus';
import type { Registry } from 'prom-client';

export function graphqlOperationMetrics(registry: Registry) {
  return usePrometheus({
    registry,
    endpoint: false,
    metrics: {
      graphql_envelop_request: true,
      graphql_envelop_request_duration: true,
      graphql_envelop_error_result: true,
      graphql_envelop_phase_execute: true,
      graphql_envelop_phase_subscribe: true,
      // The schema deprecates no field, and counting uses of deprecated fields walks every
      // document with type info on every request (≈ 1.3 % of the room page's CPU): on again
      // when a field is deprecated.
      graphql_envelop_deprecated_field: false,
      // Per-phase timings and the summary add series without telling operators more.
      graphql_envelop_request_time_summary: false,
      graphql_envelop_phase_parse: false,
      graphql_envelop_phase_validate: false,
      graphql_envelop_phase_context: false,
      graphql_envelop_schema_change: false,
      graphql_yoga_http_duration: false,
    },
  });
}
