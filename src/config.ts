// Every setting comes from the environment, validated once at start-up.
// README "Configuration" lists them; keep the two in step.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** An origin as browsers send it: scheme, host and port only, no path. */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}

const count = (min: number, max: number, fallback: number) => z.coerce.number().int().min(min).max(max).default(fallback);

// Hostile requests (README "Limits"): GraphQL document and response bounds,
// per-client rate limits, token lifetimes and who may read /metrics.
const requestLimitSettings = {
  GRAPHQL_MAX_BODY_BYTES: count(1024, 25_000_000, 100 * 1024),
  GRAPHQL_MAX_TOKENS: count(100, 100_000, 2000),
  GRAPHQL_MAX_DEPTH: count(2, 100, 10),
  GRAPHQL_MAX_ALIASES: count(0, 1000, 15),
  GRAPHQL_MAX_DIRECTIVES: count(0, 1000, 20),
  GRAPHQL_MAX_COST: count(10, 1_000_000, 20_000),
  GRAPHQL_EXECUTION_TIMEOUT_MS: count(100, 600_000, 10_000),
  GRAPHQL_MAX_RESPONSE_BYTES: count(1024, 100 * 1024 * 1024, 1024 * 1024),
  RATE_LIMIT_MUTATIONS: count(1, 1_000_000, 60),
  RATE_LIMIT_EXPENSIVE_MUTATIONS: count(1, 1_000_000, 10),
  RATE_LIMIT_WEBSOCKET_CONNECTIONS: count(1, 1_000_000, 30),
  RATE_LIMIT_SUBSCRIPTIONS: count(1, 1_000_000, 30),
  RATE_LIMIT_WINDOW_SECONDS: count(1, 86_400, 60),
  RATE_LIMIT_REDIS_PREFIX: z.string().min(1).default('roomcal:rate'),
  TRUST_PROXY: booleanFlag.default(false),
  JWT_MAX_LIFETIME_SECONDS: count(60, 7 * 86_400, 24 * 3600),
  JWT_CLOCK_SKEW_SECONDS: count(0, 600, 60),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
};

// Connections one process holds (README "Performance"). The default stays
// below the process's open-file limit, leaving room for the database pool,
// Redis, feeds and files: past the limit, accept() fails and every operation
// that opens a socket or file fails with it.
const FILE_DESCRIPTORS_KEPT_FREE = 512;

/** The soft open-file limit (Linux /proc), or undefined where it cannot be read. */
function openFileLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((row) => row.startsWith('Max open files'));
    const soft = Number(line?.split(/\s{2,}/)[1]);
    return Number.isFinite(soft) ? soft : undefined;
  } catch {
    return undefined;
  }
}

const connectionSettings = {
  MAX_CONNECTIONS: count(1, 1_000_000, Math.max(64, Math.min(10_000, (openFileLimit() ?? Infinity) - FILE_DESCRIPTORS_KEPT_FREE))),
};

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const envSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(4000),
    HOST: z.string().min(1).default('0.0.0.0'),
    PUBLIC_URL: z
      .url({ protocol: /^https?$/, message: 'must be an http(s) URL such as https://rooms.example.com' })
      .optional(),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL (leave it unset for the embedded PGlite)')
      .optional(),
    REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional(),
    DATA_DIR: z.string().min(1).default('./data'),
    LOG_LEVEL: z.enum(logLevels, { message: `must be one of ${logLevels.join(', ')}` }).default('info'),
    JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    JWT_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
    JWT_ISSUER: z.string().min(1).optional(),
    JWT_AUDIENCE: z.string().min(1).optional(),
    ICS_ENCRYPTION_KEY: z
      .string()
      .regex(/^(?:[0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=)$/, 'must be 32 bytes as 64 hex digits or base64')
      .optional(),
    ICS_ALLOW_HTTP: booleanFlag.default(false),
    ICS_ALLOW_PRIVATE_NETWORKS: booleanFlag.default(false),
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
    ICS_FETCH_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(15_000),
    ICS_MAX_BYTES: z.coerce.number().int().min(1024).max(200 * 1024 * 1024).default(10 * 1024 * 1024),
    ICS_DEFAULT_TIME_ZONE: z
      .string()
      .refine(isKnownTimeZone, 'must be an IANA time zone such as Europe/Berlin')
      .default('UTC'),
    SYNC_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
    SYNC_POLL_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
    SYNC_ENABLED: booleanFlag.default(true),
    SYNC_WINDOW_PAST_MINUTES: z.coerce.number().int().min(0).max(7 * 24 * 60).default(60),
    SYNC_WINDOW_FUTURE_HOURS: z.coerce.number().int().min(1).max(24 * 31).default(24),
    MANUAL_SYNC_MIN_INTERVAL_SECONDS: z.coerce.number().int().min(0).max(3600).default(30),
    // Bounds on the memory and work feeds may take (parsing and expansion run in worker threads).
    SYNC_WORKER_THREADS: count(1, 64, 2),
    SYNC_PARSED_FEED_CACHE_MB: count(0, 65_536, 128),
    SYNC_MAX_EVENTS_PER_ROOM: count(1, 100_000, 500),
    MEETINGS_ENABLED: booleanFlag.default(true),
    MEETING_TICK_MS: z.coerce.number().int().min(50).max(60_000).default(1_000),
    MEETING_PRECREATE_LEAD_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
    WHEREBY_API_KEY: z.string().min(1).optional(),
    WHEREBY_API_URL: z.url({ protocol: /^https?$/ }).default('https://api.whereby.dev/v1'),
    WHEREBY_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
    LOCAL_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
    // Room page (web/): where `npm run build:web` put the built client.
    WEB_DIR: z.string().min(1).default('./web/dist'),

    // Shared query results (README "Performance" › "Response cache")
    RESPONSE_CACHE_TTL_MS: count(0, 60_000, 1000),
    RESPONSE_CACHE_ENTRIES: count(1, 1_000_000, 1000),
    RESPONSE_CACHE_ENTRY_KB: count(1, 100 * 1024, 64),

    // Browsers on other origins (README "Deploying")
    CORS_ORIGINS: z
      .string()
      .transform((value) => value.split(',').map((origin) => origin.trim()).filter(Boolean))
      .refine((origins) => origins.every((origin) => origin === '*' || isOrigin(origin)), {
        message: 'must be * or a comma-separated list of origins such as https://app.example.com',
      })
      .default([]),

    ...requestLimitSettings,
    ...connectionSettings,
  })
  .refine((env) => !(env.JWT_SECRET && env.JWT_JWKS_URL), {
    message: 'set JWT_SECRET or JWT_JWKS_URL, not both',
    path: ['JWT_SECRET'],
  })
  .refine((env) => !env.DATABASE_URL || env.ICS_ENCRYPTION_KEY, {
    message: 'is required with DATABASE_URL: every instance must decrypt the same stored ICS URLs',
    path: ['ICS_ENCRYPTION_KEY'],
  })
  .refine((env) => !env.DATABASE_URL || env.JWT_SECRET || env.JWT_JWKS_URL, {
    message: 'JWT_SECRET or JWT_JWKS_URL is required with DATABASE_URL',
    path: ['JWT_SECRET'],
  });

export type Config = {
  port: number;
  host: string;
  publicUrl: string;
  database: { kind: 'pglite'; dataDir: string } | { kind: 'postgres'; url: string };
  dataDir: string;
  /** Subscription fan-out across instances; in-process when unset. */
  redisUrl?: string;
  logLevel: (typeof logLevels)[number];
  jwt: { secret?: string; jwksUrl?: string; issuer?: string; audience?: string };
  icsEncryptionKey?: string;
  ics: {
    allowHttp: boolean;
    allowPrivateNetworks: boolean;
    fetchTimeoutMs: number;
    maxBytes: number;
    /** Zone for floating times and all-day dates of feeds that name none. */
    defaultTimeZone: string;
  };
  sync: {
    /** Run the background scheduler (tests drive syncs themselves). */
    enabled: boolean;
    concurrency: number;
    /** The longest the scheduler sleeps between rounds (it sleeps until the next room is due). */
    pollIntervalMs: number;
    windowPastMs: number;
    windowFutureMs: number;
    manualSyncMinIntervalMs: number;
    /** Worker threads that parse and expand feeds. */
    workerThreads: number;
    /** Estimated bytes of parsed feeds kept in memory (over all worker threads), so unchanged feeds are re-expanded without parsing. */
    parsedFeedCacheBytes: number;
    /** Instances per room and window stored at most: the earliest by start time. */
    maxEventsPerRoom: number;
  };
  meetings: {
    /** Run the meeting scheduler on this instance (tests drive it themselves). */
    enabled: boolean;
    tickMs: number;
    precreateLeadMs: number;
    whereby: { apiKey?: string; apiUrl: string; webhookSecret?: string };
    localWebhookSecret?: string;
  };
  shutdownTimeoutMs: number;
  /** The built room page client (index.html and assets/). */
  web: { dir: string };
  /** Shared query results (src/http/response-cache.ts); ttlMs 0: off. */
  responseCache: { ttlMs: number; maxEntries: number; maxEntryBytes: number };
  /** Origins allowed to call the API from a browser ('*': any); empty: same origin only. */
  corsOrigins: string[];
  limits: {
    graphql: {
      maxBodyBytes: number;
      maxTokens: number;
      maxDepth: number;
      maxAliases: number;
      maxDirectives: number;
      maxCost: number;
      executionTimeoutMs: number;
      maxResponseBytes: number;
    };
    /** Allowed per client (user id, or IP for anonymous callers) in each window. */
    rate: {
      windowSeconds: number;
      /** Key prefix of the counters in Redis (deployments sharing one Redis keep theirs apart). */
      redisPrefix: string;
      mutations: number;
      expensiveMutations: number;
      /** Per IP. */
      websocketConnections: number;
      /** Per WebSocket connection. */
      subscriptions: number;
    };
    /** Take the client address from the last X-Forwarded-For hop (behind one reverse proxy). */
    trustProxy: boolean;
    /** WebSocket connections this process holds; more are closed with 1013 (HTTP gets a little headroom above it). */
    maxConnections: number;
  };
  tokens: { maxLifetimeSeconds: number; clockSkewSeconds: number };
  /** Bearer token for /metrics; unset: /metrics is not served. */
  metricsToken?: string;
};

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

/** Reads and validates the environment; throws ConfigError listing every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // An empty variable means "not set", as in most deployment tools.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? 'environment');
        const value = present[name];
        const shown = value === undefined || /SECRET|KEY|TOKEN|_URL/.test(name) ? '' : ` (got "${value}")`;
        return `${name}: ${issue.message}${shown}`;
      }),
    );
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.DATA_DIR);
  return {
    port: e.PORT,
    host: e.HOST,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    database: e.DATABASE_URL
      ? { kind: 'postgres', url: e.DATABASE_URL }
      : { kind: 'pglite', dataDir: path.join(dataDir, 'pglite') },
    dataDir,
    redisUrl: e.REDIS_URL,
    logLevel: e.LOG_LEVEL,
    jwt: { secret: e.JWT_SECRET, jwksUrl: e.JWT_JWKS_URL, issuer: e.JWT_ISSUER, audience: e.JWT_AUDIENCE },
    icsEncryptionKey: e.ICS_ENCRYPTION_KEY,
    ics: {
      allowHttp: e.ICS_ALLOW_HTTP,
      allowPrivateNetworks: e.ICS_ALLOW_PRIVATE_NETWORKS,
      fetchTimeoutMs: e.ICS_FETCH_TIMEOUT_MS,
      maxBytes: e.ICS_MAX_BYTES,
      defaultTimeZone: e.ICS_DEFAULT_TIME_ZONE,
    },
    sync: {
      enabled: e.SYNC_ENABLED,
      concurrency: e.SYNC_CONCURRENCY,
      pollIntervalMs: e.SYNC_POLL_INTERVAL_MS,
      windowPastMs: e.SYNC_WINDOW_PAST_MINUTES * 60_000,
      windowFutureMs: e.SYNC_WINDOW_FUTURE_HOURS * 3_600_000,
      manualSyncMinIntervalMs: e.MANUAL_SYNC_MIN_INTERVAL_SECONDS * 1000,
      workerThreads: e.SYNC_WORKER_THREADS,
      parsedFeedCacheBytes: e.SYNC_PARSED_FEED_CACHE_MB * 1024 * 1024,
      maxEventsPerRoom: e.SYNC_MAX_EVENTS_PER_ROOM,
    },
    meetings: {
      enabled: e.MEETINGS_ENABLED,
      tickMs: e.MEETING_TICK_MS,
      precreateLeadMs: e.MEETING_PRECREATE_LEAD_SECONDS * 1000,
      whereby: { apiKey: e.WHEREBY_API_KEY, apiUrl: e.WHEREBY_API_URL, webhookSecret: e.WHEREBY_WEBHOOK_SECRET },
      localWebhookSecret: e.LOCAL_WEBHOOK_SECRET,
    },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    web: { dir: path.resolve(e.WEB_DIR) },
    corsOrigins: e.CORS_ORIGINS,
    responseCache: { ttlMs: e.RESPONSE_CACHE_TTL_MS, maxEntries: e.RESPONSE_CACHE_ENTRIES, maxEntryBytes: e.RESPONSE_CACHE_ENTRY_KB * 1024 },
    limits: {
      graphql: {
        maxBodyBytes: e.GRAPHQL_MAX_BODY_BYTES,
        maxTokens: e.GRAPHQL_MAX_TOKENS,
        maxDepth: e.GRAPHQL_MAX_DEPTH,
        maxAliases: e.GRAPHQL_MAX_ALIASES,
        maxDirectives: e.GRAPHQL_MAX_DIRECTIVES,
        maxCost: e.GRAPHQL_MAX_COST,
        executionTimeoutMs: e.GRAPHQL_EXECUTION_TIMEOUT_MS,
        maxResponseBytes: e.GRAPHQL_MAX_RESPONSE_BYTES,
      },
      rate: {
        windowSeconds: e.RATE_LIMIT_WINDOW_SECONDS,
        redisPrefix: e.RATE_LIMIT_REDIS_PREFIX,
        mutations: e.RATE_LIMIT_MUTATIONS,
        expensiveMutations: e.RATE_LIMIT_EXPENSIVE_MUTATIONS,
        websocketConnections: e.RATE_LIMIT_WEBSOCKET_CONNECTIONS,
        subscriptions: e.RATE_LIMIT_SUBSCRIPTIONS,
      },
      trustProxy: e.TRUST_PROXY,
      maxConnections: e.MAX_CONNECTIONS,
    },
    tokens: { maxLifetimeSeconds: e.JWT_MAX_LIFETIME_SECONDS, clockSkewSeconds: e.JWT_CLOCK_SKEW_SECONDS },
    metricsToken: e.METRICS_TOKEN,
  };
}
