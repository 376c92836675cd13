// Countdowns run on the server's clock, not the device's: a phone whose clock
// is minutes off must neither start a meeting early nor late. The offset is
// measured from serverTime in a response, assuming the answer was produced
// halfway through the round trip. serverTime is never served from the
// server's response cache, so it is asked for on its own (ServerClock), and
// the page's own query stays cacheable.
import { request } from './api.js';
import { ServerClock } from './operations.js';

let offsetMs = 0;

export function serverNow(): number {
  return Date.now() + offsetMs;
}

/** Measures the server's clock and adopts its offset. */
export async function syncServerClock(): Promise<void> {
  const sent = Date.now();
  const { serverTime } = await request(ServerClock, {});
  const received = Date.now();
  offsetMs = Date.parse(serverTime) - (sent + received) / 2;
}
