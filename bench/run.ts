// `npm run bench`: runs the benchmarks (not tests; they print timings).
// `npm run bench -- expand`, `-- sync`, `-- limits`, `-- fanout`, `-- fanout2`, `-- http` or `-- soak` runs one part.
import { runExpandBenchmark } from './expand.js';
import { runFanoutTwoInstancesBenchmark } from './fanout-two-instances.js';
import { runFanoutBenchmark } from './fanout.js';
import { runHttpBenchmark } from './http.js';
import { runRequestLimitsBenchmark } from './request-limits.js';
import { runSoakBenchmark } from './soak.js';
import { runSyncBenchmark } from './sync.js';

const args = process.argv.slice(2);
const parts = args.filter((arg) => !arg.startsWith('--'));
const known = ['expand', 'sync', 'limits', 'fanout', 'fanout2', 'http', 'soak'];
const unknown = parts.filter((part) => !known.includes(part));
if (unknown.length > 0) {
  console.error(`Unknown benchmark ${unknown.join(', ')}; choose from ${known.join(', ')}`);
  process.exit(2);
}
const runs = (part: string) => parts.length === 0 || parts.includes(part);

if (runs('expand')) await runExpandBenchmark();
if (runs('sync')) await runSyncBenchmark();
if (runs('limits')) await runRequestLimitsBenchmark();
if (runs('fanout')) await runFanoutBenchmark();
if (runs('fanout2')) await runFanoutTwoInstancesBenchmark();
if (runs('http')) await runHttpBenchmark();
if (runs('soak')) await runSoakBenchmark();
