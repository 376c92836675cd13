// Secrets the benchmark's server process is configured with and its load generators use.
export const BENCH_JWT_SECRET = 'bench-secret-that-is-long-enough-for-hs256';
export const BENCH_METRICS_TOKEN = 'bench-metrics-token-long-enough';
export const BENCH_WEBHOOK_SECRET = 'bench-local-webhook-secret';
