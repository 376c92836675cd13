// Parse + expand benchmark on a generated 5,000-VEVENT feed, window [now − 1 h, now + 24 h]:
// our engine vs ical-expander (what the original plan named), node-ical, and bare ical.js 2
// parsing (the floor any ical.js-based engine pays). Prints the warm median of several runs (each
// contender gets an unmeasured warm-up run first, so JIT compilation is not counted against it), and
// our time against bare ical.js parsing with the target: parse + expand within 2× of the bare parse.
import ICAL from 'ical.js';
import IcalExpander from 'ical-expander';
import nodeIcal from 'node-ical';
import { expandCalendar } from '../src/calendar/ics-expand.js';
import { parseCalendar } from '../src/calendar/ics-parse.js';
import { generateFeed } from './generate-feed.js';

interface Contender {
  name: string;
  runs: number;
  /** Unmeasured runs first; ical-expander gets none (one run takes minutes). */
  warmUp: number;
  /** Parses and expands the feed; returns the number of instances (null when it only parses). */
  run(ics: string, window: { start: Date; end: Date }): number | null;
}

const HOUR = 3_600_000;
/** Our parse + expand may cost at most this multiple of bare ical.js parsing. */
const TARGET_RATIO = 2;
const BARE_PARSE = 'bare ical.js 2 parse (no expansion)';

const contenders: Contender[] = [
  {
    name: 'roomcal engine (ical.js 2)',
    runs: 7,
    warmUp: 1,
    run: (ics, window) => expandCalendar(parseCalendar(ics), window).length,
  },
  {
    // Measured right after ours, so that the ratio between the two compares like with like.
    name: BARE_PARSE,
    runs: 7,
    warmUp: 1,
    run: (ics) => {
      new ICAL.Component(ICAL.parse(ics) as unknown as unknown[]);
      return null;
    },
  },
  {
    name: 'ical-expander 3.2 between()',
    runs: 1, // one run takes minutes (quadratic)
    warmUp: 0,
    run: (ics, window) => {
      const result = new IcalExpander({ ics, maxIterations: 1000 }).between(window.start, window.end);
      return result.events.length + result.occurrences.length;
    },
  },
  {
    name: 'node-ical 0.27 + expandRecurringEvent',
    runs: 5,
    warmUp: 1,
    run: (ics, window) => {
      let count = 0;
      for (const component of Object.values(nodeIcal.sync.parseICS(ics))) {
        if (!component || component.type !== 'VEVENT' || component.recurrenceid) continue;
        if (component.rrule) {
          count += nodeIcal.expandRecurringEvent(component, { from: window.start, to: window.end, expandOngoing: true }).length;
        } else if (component.start < window.end && (component.end ?? component.start) > window.start) {
          count++;
        }
      }
      return count;
    },
  },
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

export async function runExpandBenchmark(): Promise<void> {
  const now = new Date();
  const ics = generateFeed({ anchor: now, events: 5000 });
  const window = { start: new Date(now.getTime() - HOUR), end: new Date(now.getTime() + 24 * HOUR) };
  console.log(`ICS expansion: ${(ics.length / 1e6).toFixed(1)} MB feed, 5,000 VEVENTs, window [now − 1 h, now + 24 h]`);

  const rows: { name: string; ms: number; instances: number | null }[] = [];
  for (const contender of contenders) {
    const times: number[] = [];
    let instances: number | null = null;
    for (let i = 0; i < contender.warmUp + contender.runs; i++) {
      const started = performance.now();
      instances = contender.run(ics, window);
      if (i >= contender.warmUp) times.push(performance.now() - started);
      await new Promise((resolve) => setImmediate(resolve)); // let GC and the event loop breathe between runs
    }
    rows.push({ name: contender.name, ms: median(times), instances });
  }

  const ours = rows[0]?.ms ?? 1;
  const bare = rows.find((row) => row.name === BARE_PARSE)?.ms ?? 1;
  console.table(
    rows.map((row) => ({
      engine: row.name,
      'median ms': Math.round(row.ms),
      'vs roomcal': `${(row.ms / ours).toFixed(2)}×`,
      instances: row.instances ?? '(parse only)',
    })),
  );
  const ratio = ours / bare;
  console.log(
    `roomcal parse + expand ${Math.round(ours)} ms vs bare ical.js parse ${Math.round(bare)} ms: ${ratio.toFixed(2)}× ` +
      `(target ≤ ${TARGET_RATIO}×: ${ratio <= TARGET_RATIO ? 'met' : 'NOT met'})`,
  );
}
