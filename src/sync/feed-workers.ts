// The pool of worker threads (piscina) that parse and expand feeds, so a
// large or hostile feed never holds the server's event loop: requests are
// answered while a worker is busy. Tasks beyond the pool's threads wait in its
// queue, so the number of feeds being analyzed at once is bounded too. Each
// thread has a heap limit: a feed that needs more memory fails alone, the
// thread is replaced, and the server keeps running.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { FeedError } from '../calendar/feed-errors.js';
import type { FeedAnalysis, FeedAnalysisJob } from './feed-analysis.js';
import type { FeedWorkerData, FeedWorkerResult } from './feed-worker.js';

// The worker module sits next to this one with the same extension: .ts when
// run from source (tsx, vitest), .js once compiled to dist/.
const extension = path.extname(fileURLToPath(import.meta.url));
const WORKER_URL = new URL(`./feed-worker${extension}`, import.meta.url);

const MB = 1024 * 1024;
/** Heap a worker needs beside its cache: parsing and expanding the largest accepted feed (ICS_MAX_BYTES, 10 MB). */
const WORKER_HEAP_HEADROOM_MB = 512;

export type AnalyzedFeed = Extract<FeedAnalysis, { kind: 'analyzed' }>;

export interface FeedAnalyzer {
  /** The analysis, or need-text (see FeedAnalysisJob.text); a feed that cannot be analyzed throws its FeedError. */
  analyze(job: FeedAnalysisJob): Promise<AnalyzedFeed | { kind: 'need-text' }>;
  /** Feeds being analyzed or waiting for a thread now. */
  readonly pending: number;
  /** Analyses finished since start. */
  readonly completed: number;
  /** Estimated bytes of parsed feeds cached, over all threads (as each last reported). */
  cachedBytes(): number;
  close(): Promise<void>;
}

export function createFeedAnalyzer(options: { threads: number; cacheBytes: number }): FeedAnalyzer {
  const cacheBytes = Math.floor(options.cacheBytes / options.threads);
  const workerData: FeedWorkerData = { cacheBytes };
  const pool = new Piscina<FeedAnalysisJob, FeedWorkerResult>({
    filename: WORKER_URL.href,
    // Started on the first feed (an instance that never syncs starts none), then kept: each holds its part of the cache.
    minThreads: 0,
    maxThreads: options.threads,
    idleTimeout: Number.POSITIVE_INFINITY,
    workerData,
    resourceLimits: { maxOldGenerationSizeMb: Math.ceil(cacheBytes / MB) + WORKER_HEAP_HEADROOM_MB },
    // From source, the worker needs tsx's loader for its .ts imports, unless the process already runs under it.
    execArgv: extension === '.ts' && !process.execArgv.join(' ').includes('tsx') ? [...process.execArgv, '--import', 'tsx'] : process.execArgv,
  });
  const cachedByThread = new Map<number, number>();
  pool.on('workerDestroy', (worker: { id: number }) => cachedByThread.delete(worker.id));
  let pending = 0;

  return {
    async analyze(job) {
      pending++;
      const result = await pool.run(job).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY') {
          throw new FeedError('TOO_LARGE', 'The calendar needs more memory to read than this server allows one feed');
        }
        throw error;
      }).finally(() => pending--);
      cachedByThread.set(result.threadId, result.cacheBytes);
      const { analysis } = result;
      if (analysis.kind === 'failed') throw new FeedError(analysis.code, analysis.message);
      return analysis;
    },
    get pending() {
      return pending;
    },
    get completed() {
      return pool.completed;
    },
    cachedBytes: () => [...cachedByThread.values()].reduce((sum, bytes) => sum + bytes, 0),
    close: () => pool.destroy(),
  };
}
