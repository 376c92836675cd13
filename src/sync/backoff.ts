/**
 * When to try again after `failures` failed syncs in a row: the interval
 * doubled per failure, capped at interval × 8 but never beyond an hour (and
 * never sooner than the interval itself).
 */
export function retryDelayMs(intervalSeconds: number, failures: number): number {
  const intervalMs = intervalSeconds * 1000;
  const capMs = Math.max(intervalMs, Math.min(intervalMs * 8, 3_600_000));
  return Math.min(intervalMs * 2 ** Math.min(failures, 16), capMs);
}
