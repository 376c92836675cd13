// A real HTTP server that serves ICS feeds to the sync engine, with the
// behaviours real providers show: ETags and 304s, errors, odd bodies.
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FeedResponse {
  status?: number;
  /** Sent as is: a Buffer for bytes that are not (or not only) UTF-8 text, e.g. compressed. */
  body: string | Buffer;
  /** Extra response headers, e.g. a Content-Encoding. */
  headers?: Record<string, string>;
  /** Send an ETag (derived from the body) and answer If-None-Match with 304. */
  etag?: boolean;
  contentType?: string;
  /** Answer only after this long (a slow provider). */
  delayMs?: number;
}

export interface FeedServer {
  url(path: string): string;
  /** What `path` answers from now on. */
  serve(path: string, response: FeedResponse): void;
  /** Request headers received for `path`, oldest first. */
  requests(path: string): IncomingHttpHeaders[];
  close(): Promise<void>;
}

export async function startFeedServer(): Promise<FeedServer> {
  const responses = new Map<string, FeedResponse>();
  const received = new Map<string, IncomingHttpHeaders[]>();
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    received.set(path, [...(received.get(path) ?? []), req.headers]);
    const response = responses.get(path);
    if (!response) return void res.writeHead(404).end('not found');
    const headers: Record<string, string> = { 'content-type': response.contentType ?? 'text/calendar; charset=utf-8', ...response.headers };
    if (response.etag) {
      const etag = `"${createHash('sha1').update(response.body).digest('hex')}"`;
      headers.etag = etag;
      if (req.headers['if-none-match'] === etag) return void res.writeHead(304, headers).end();
    }
    const send = () => res.writeHead(response.status ?? 200, headers).end(response.body);
    if (response.delayMs) setTimeout(send, response.delayMs);
    else send();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    serve: (path, response) => void responses.set(path, response),
    requests: (path) => received.get(path) ?? [],
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface IcsEventSpec {
  uid?: string;
  summary: string;
  start: Date;
  end: Date;
  location?: string;
  description?: string;
  rrule?: string;
  exdates?: Date[];
  recurrenceId?: Date;
  status?: string;
  attendees?: string[];
  organizer?: string;
  dtstamp?: Date;
}

const icsTime = (date: Date) => date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
const escapeText = (text: string) => text.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\n/g, '\\n');

/** An ICS calendar with the given events (UTC times). */
export function icsCalendar(events: IcsEventSpec[]): string {
  const lines = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//roomcal tests//EN'];
  for (const event of events) {
    lines.push('BEGIN:VEVENT');
    if (event.uid !== undefined) lines.push(`UID:${event.uid}`);
    lines.push(`DTSTAMP:${icsTime(event.dtstamp ?? new Date('2026-01-01T00:00:00Z'))}`);
    if (event.recurrenceId) lines.push(`RECURRENCE-ID:${icsTime(event.recurrenceId)}`);
    lines.push(`DTSTART:${icsTime(event.start)}`, `DTEND:${icsTime(event.end)}`, `SUMMARY:${escapeText(event.summary)}`);
    if (event.location) lines.push(`LOCATION:${escapeText(event.location)}`);
    if (event.description) lines.push(`DESCRIPTION:${escapeText(event.description)}`);
    if (event.rrule) lines.push(`RRULE:${event.rrule}`);
    for (const exdate of event.exdates ?? []) lines.push(`EXDATE:${icsTime(exdate)}`);
    if (event.status) lines.push(`STATUS:${event.status}`);
    if (event.organizer) lines.push(`ORGANIZER;CN=Organizer:mailto:${event.organizer}`);
    for (const attendee of event.attendees ?? []) lines.push(attendee);
    lines.push('END:VEVENT');
  }
  lines.push('END:VCALENDAR');
  return `${lines.join('\r\n')}\r\n`;
}
