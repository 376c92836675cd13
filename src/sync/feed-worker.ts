// Entry point of the feed worker threads (feed-workers.ts): each holds its own
// byte-bounded cache of parsed feeds and analyzes one feed per task, off the
// server's event loop.
import { workerData } from 'node:worker_threads';
import { analyzeFeed, type FeedAnalysis, type FeedAnalysisJob } from './feed-analysis.js';
import { ParsedFeedCache } from './parsed-feed-cache.js';

export interface FeedWorkerData {
  cacheBytes: number;
}

export interface FeedWorkerResult {
  analysis: FeedAnalysis;
  /** This thread's cache size after the task. */
  cacheBytes: number;
}

const cache = new ParsedFeedCache((workerData as FeedWorkerData).cacheBytes);

export default function analyze(job: FeedAnalysisJob): FeedWorkerResult {
  const analysis = analyzeFeed(job, cache);
  return { analysis, cacheBytes: cache.bytes };
}
