// The worker threads (piscina) that parse and expand feeds, so a large or
// hostile feed never holds the server's event loop: requests are answered
// while a worker is busy. Tasks beyond a thread wait in its queue, so the
// number of feeds being analyzed at once is bounded too. Each thread has a
// heap limit: a feed that needs more memory fails alone, the thread is
// replaced, and the server keeps running.
//
// Each thread keeps its own cache of parsed feeds (one single-thread pool per
// thread, so this module chooses the thread): a feed to parse goes to the
// least busy thread, and an unchanged feed to the thread that parsed it last,
// where its parse is cached, instead of being read back from the database and
// parsed again on another.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LRUCache } from 'lru-cache';
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
/** Rooms whose thread is remembered; a room forgotten is parsed again once, wherever there is room. */
const ROOMS_REMEMBERED = 100_000;

export type AnalyzedFeed = Extract<FeedAnalysis, { kind: 'analyzed' }>;

/** A job whose text is at hand. */
export type FeedAnalysisOfText = Omit<FeedAnalysisJob, 'text'> & { text: string };

export interface FeedAnalyzer {
  /** Analyzes the text (a feed that cannot be analyzed throws its FeedError). */
  analyze(job: FeedAnalysisOfText): Promise<AnalyzedFeed>;
  /** Analyzes an unchanged feed from its cached parse, or from `loadText` when it is not cached (any more). */
  analyzeUnchanged(job: Omit<FeedAnalysisJob, 'text'>, loadText: () => Promise<string>): Promise<AnalyzedFeed>;
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
  const threads = Array.from({ length: options.threads }, () => ({
    pool: new Piscina<FeedAnalysisJob, FeedWorkerResult>({
      filename: WORKER_URL.href,
      // Started on its first feed (an instance that never syncs starts none), then kept: it holds its part of the cache.
      minThreads: 0,
      maxThreads: 1,
      idleTimeout: Number.POSITIVE_INFINITY,
      recordTiming: false, // piscina's run and wait histograms: nothing reads them
      workerData,
      resourceLimits: { maxOldGenerationSizeMb: Math.ceil(cacheBytes / MB) + WORKER_HEAP_HEADROOM_MB },
      // From source, the worker needs tsx's loader for its .ts imports, unless the process already runs under it.
      execArgv: extension === '.ts' && !process.execArgv.join(' ').includes('tsx') ? [...process.execArgv, '--import', 'tsx'] : process.execArgv,
    }),
    pending: 0,
    cachedBytes: 0,
  }));
  for (const thread of threads) thread.pool.on('workerDestroy', () => (thread.cachedBytes = 0));

  type Thread = (typeof threads)[number];
  /** The thread that parsed a room's feed last, and so has it cached. */
  const homes = new LRUCache<string, Thread>({ max: ROOMS_REMEMBERED });
  const leastBusy = () => threads.reduce((least, thread) => (thread.pending < least.pending ? thread : least));

  async function run(job: FeedAnalysisJob, thread: Thread): Promise<AnalyzedFeed | { kind: 'need-text' }> {
    thread.pending++;
    const result = await thread.pool
      .run(job)
      .catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY') {
          throw new FeedError('TOO_LARGE', 'The calendar needs more memory to read than this server allows one feed');
        }
        throw error;
      })
      .finally(() => thread.pending--);
    thread.cachedBytes = result.cacheBytes;
    const { analysis } = result;
    if (analysis.kind === 'failed') throw new FeedError(analysis.code, analysis.message);
    return analysis;
  }

  async function analyze(job: FeedAnalysisOfText): Promise<AnalyzedFeed> {
    const thread = leastBusy();
    if (job.roomId !== null) homes.set(job.roomId, thread);
    const analysis = await run(job, thread);
    if (analysis.kind === 'need-text') throw new Error('The feed worker asked for a text it was given');
    return analysis;
  }

  return {
    analyze,
    async analyzeUnchanged(job, loadText) {
      const analysis = await run({ ...job, text: null }, (job.roomId !== null && homes.get(job.roomId)) || leastBusy());
      return analysis.kind === 'need-text' ? analyze({ ...job, text: await loadText() }) : analysis;
    },
    get pending() {
      return threads.reduce((sum, thread) => sum + thread.pending, 0);
    },
    get completed() {
      return threads.reduce((sum, thread) => sum + thread.pool.completed, 0);
    },
    cachedBytes: () => threads.reduce((sum, thread) => sum + thread.cachedBytes, 0),
    close: async () => {
      await Promise.all(threads.map((thread) => thread.pool.destroy()));
    },
  };
}
