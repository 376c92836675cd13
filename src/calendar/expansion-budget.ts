// How much work expanding one calendar may take. Two limits: wall time, so
// no feed holds a worker for long, and a count of work steps (VEVENTs looked
// at, recurrence steps taken, instances produced), so that a very large feed
// is refused the same way on a fast and on a slow machine.
import { IcsParseError } from './ics-parse.js';

/** A real 5,000-event feed takes ~250 ms; hostile rules could otherwise take seconds each. */
const EXPANSION_BUDGET_MS = 2_000;
/**
 * Far above a real feed (a 10 MB feed has ~60,000 VEVENTs; a real series
 * takes a few hundred steps), far below what would take minutes.
 */
const MAX_WORK_STEPS = 5_000_000;
/** performance.now() is checked once per this many steps. */
const CLOCK_CHECK_EVERY = 1024;

export class ExpansionBudgetExceeded extends IcsParseError {
  constructor() {
    super('TOO_COMPLEX', 'The calendar\'s recurrence rules are too complex to expand');
  }
}

export class ExpansionBudget {
  private readonly deadline = performance.now() + EXPANSION_BUDGET_MS;
  private steps = 0;

  /** Counts `count` steps of work; throws ExpansionBudgetExceeded once either limit is passed. */
  spend(count = 1): void {
    const before = this.steps;
    this.steps += count;
    if (this.steps > MAX_WORK_STEPS) throw new ExpansionBudgetExceeded();
    if (Math.floor(before / CLOCK_CHECK_EVERY) !== Math.floor(this.steps / CLOCK_CHECK_EVERY) && performance.now() > this.deadline) {
      throw new ExpansionBudgetExceeded();
    }
  }
}
