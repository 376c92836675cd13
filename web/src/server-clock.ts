// Countdowns run on the server's clock, not the device's: a phone whose clock
// is minutes off must neither start a meeting early nor late. The offset is
// measured from serverTime in a response, assuming the answer was produced
// halfway through the round trip.
let offsetMs = 0;

export function serverNow(): number {
  return Date.now() + offsetMs;
}

/** Runs a request that returns serverTime and adopts the offset it shows. */
export async function withServerTime<R extends { serverTime: string }>(run: () => Promise<R>): Promise<R> {
  const sent = Date.now();
  const result = await run();
  const received = Date.now();
  offsetMs = Date.parse(result.serverTime) - (sent + received) / 2;
  return result;
}
