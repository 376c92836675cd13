// Parse + expand benchmark on a generated 5,000-VEVENT feed, window [now − 1 h, now + 24 h]:
// our engine vs ical-expander (what the original plan named), node-ical, and bare ical.js 2
// parsing (the floor any ical.js-based engine pays). Prints the median of several runs.
import ICAL from 'ical.js';
import IcalExpander from 'ical-expander';
import nodeIcal from 'node-ical';
import { expandCalendar, parseCalendar } from '../src/calendar/ics-expand.js';
import { generateFeed } from './generate-feed.js';

interface Contender {
  name: string;
  runs: number;
  /** Parses and expands the feed; returns the number of instances (null when it only parses). */
  run(ics: string, window: { start: Date; end: Date }): number | null;
}

const HOUR = 3_600_000;

const contenders: Contender[] = [
  {
    name: 'roomcal engine (ical.js 2)',
    runs: 7,
    run: (ics, window) => expandCalendar(parseCalendar(ics), window).length,
  },
  {
    name: 'ical-expander 3.2 between()',
    runs: 1, // one run takes minutes (quadratic)
    run: (ics, window) => {
      const result = new IcalExpander({ ics, maxIterations: 1000 }).between(window.start, window.end);
      return result.events.length + result.occurrences.length;
    },
  },
  {
    name: 'node-ical 0.27 + expandRecurringEvent',
    runs: 5,
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
  {
    name: 'bare ical.js 2 parse (no expansion)',
    runs: 7,
    run: (ics) => {
      new ICAL.Component(ICAL.parse(ics) as unknown as unknown[]);
      return null;
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
    for (let i = 0; i < contender.runs; i++) {
      const started = performance.now();
      instances = contender.run(ics, window);
      times.push(performance.now() - started);
      await new Promise((resolve) => setImmediate(resolve)); // let GC and the event loop breathe between runs
    }
    rows.push({ name: contender.name, ms: median(times), instances });
  }

  const ours = rows[0]?.ms ?? 1;
  console.table(
    rows.map((row) => ({
      engine: row.name,
      'median ms': Math.round(row.ms),
      'vs roomcal': `${(row.ms / ours).toFixed(2)}×`,
      instances: row.instances ?? '(parse only)',
    })),
  );
}
