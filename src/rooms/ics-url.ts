// What an ICS feed URL may be, and how it is shown back to its owner.
export const ICS_URL_MAX_LENGTH = 2048;

export interface IcsUrlPolicy {
  /** Plain http:// feeds (development, intranet servers). */
  allowHttp: boolean;
}

export type IcsUrlCheck = { ok: true; url: string } | { ok: false; problem: string };

/**
 * Normalizes a pasted feed URL: `webcal://` and `webcals://` (what calendar
 * apps hand out) mean https. Rejects anything else that is not http(s).
 */
export function normalizeIcsUrl(input: string, policy: IcsUrlPolicy): IcsUrlCheck {
  const trimmed = input.trim();
  if (trimmed.length === 0) return { ok: false, problem: 'ICS URL is empty' };
  if (trimmed.length > ICS_URL_MAX_LENGTH) {
    return { ok: false, problem: `ICS URL is longer than ${ICS_URL_MAX_LENGTH} characters` };
  }
  let url: URL;
  try {
    url = new URL(trimmed.replace(/^webcals?:\/\//i, 'https://'));
  } catch {
    return { ok: false, problem: 'ICS URL is not a valid URL' };
  }
  if (url.protocol === 'http:' && !policy.allowHttp) {
    return { ok: false, problem: 'ICS URL must use https:// (or webcal://); plain http is not allowed on this server (the operator setting ICS_ALLOW_HTTP=true allows it)' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { ok: false, problem: `ICS URL scheme "${url.protocol.replace(':', '')}" is not supported: use https:// or webcal://` };
  }
  if (!url.hostname) return { ok: false, problem: 'ICS URL has no host' };
  url.hash = '';
  return { ok: true, url: url.toString() };
}

const HIDDEN = '…';
const LOOKS_LIKE_FILE_NAME = /^[\w.-]{1,40}\.(ics|ical|ifb|icalendar)$/i;

/**
 * The URL as the owner sees it: host and file name, with credentials, path
 * segments (Google and Outlook put the secret there) and query values hidden.
 * e.g. https://calendar.google.com/…/basic.ics
 */
export function maskIcsUrl(url: string): string {
  const parsed = new URL(url);
  const segments = parsed.pathname.split('/').filter(Boolean);
  const last = segments.at(-1);
  const keepLast = last !== undefined && LOOKS_LIKE_FILE_NAME.test(decodeURIComponent(last));
  const hiddenPath = keepLast ? segments.length > 1 : segments.length > 0;
  const pathname = `${hiddenPath ? `/${HIDDEN}` : ''}${keepLast ? `/${last}` : ''}`;
  const query = [...parsed.searchParams.keys()].map((key) => `${key}=${HIDDEN}`).join('&');
  return `${parsed.protocol}//${parsed.host}${pathname || '/'}${query ? `?${query}` : ''}`;
}
