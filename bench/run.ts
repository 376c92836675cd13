// `npm run bench`: runs the benchmarks (not tests; they print timings).
import { runExpandBenchmark } from './expand.js';

await runExpandBenchmark();
