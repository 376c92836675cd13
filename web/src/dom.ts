// A few helpers for building the pages with the DOM: no framework needed.
type Child = Node | string | null | undefined | false;
type Attributes = Record<string, string | number | boolean | ((event: Event) => void) | undefined | null>;

/** h('button', { type: 'button', onclick: … }, 'Join') */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  element.append(...children.filter((child): child is Node | string => child !== null && child !== undefined && child !== false));
  return element;
}

/** 65 → "1:05", 3725 → "1:02:05" */
export function clockText(totalSeconds: number): string {
  const seconds = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function timeRange(startsAt: number, endsAt: number): HTMLElement {
  return h(
    'span',
    {},
    h('time', { datetime: new Date(startsAt).toISOString() }, timeFormat.format(startsAt)),
    '–',
    h('time', { datetime: new Date(endsAt).toISOString() }, timeFormat.format(endsAt)),
  );
}

export function dateTime(epochMs: number | null): Node {
  return epochMs === null ? document.createTextNode('never') : h('time', { datetime: new Date(epochMs).toISOString() }, dateTimeFormat.format(epochMs));
}

export const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/** Replaces the page's main content. */
export function mount(...children: Child[]): void {
  document.querySelector('main')!.replaceChildren(...children.filter((child): child is Node | string => Boolean(child)));
}

/** A polite status line for screen readers and everyone else. */
export function notify(message: string): void {
  document.getElementById('notice')!.textContent = message;
}
