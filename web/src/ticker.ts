// One timer for every ticking number on the page: elements carrying
// data-until (a countdown) or data-since (time running) hold an epoch time on
// the server's clock and show the distance to it, once a second.
import { clockText } from './dom.js';
import { serverNow } from './server-clock.js';

const listeners = new Set<(now: number) => void>();

export function tick(): void {
  const now = serverNow();
  for (const element of document.querySelectorAll<HTMLElement>('[data-until]')) {
    element.textContent = clockText((Number(element.dataset.until) - now) / 1000);
  }
  for (const element of document.querySelectorAll<HTMLElement>('[data-since]')) {
    element.textContent = clockText((now - Number(element.dataset.since)) / 1000);
  }
  for (const listener of listeners) listener(now);
}

/** Called every second with the server's time. */
export function everySecond(listener: (now: number) => void): void {
  listeners.add(listener);
}

export function startTicker(): void {
  setInterval(tick, 1000);
}
