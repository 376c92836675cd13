// Runs the fetcher against a real node:http server on 127.0.0.1. Tests that
// check the SSRF guard never let traffic leave loopback: blocked targets are
// refused before connecting (the server counts connections to prove it).
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createFeedFetcher,
  FeedFetchError,
  isBlockedAddress,
  type FeedFetcher,
  type FeedFetcherOptions,
} from '../../src/calendar/feed-fetcher.js';

const CALENDAR = 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:1\r\nSUMMARY:Café\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n';
const ETAG = '"v1"';
const LAST_MODIFIED = 'Wed, 01 Jan 2025 10:00:00 GMT';
const CAP = 64 * 1024;

let server: http.Server;
let base: string;
let port: number;
let connections = 0;
const seen: http.IncomingHttpHeaders[] = [];

function route(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', base);
  seen.push(req.headers);
  const hops = /^\/redirect\/(\d+)$/.exec(url.pathname);
  if (hops) {
    const left = Number(hops[1]);
    res.writeHead(302, { location: left > 1 ? `/redirect/${left - 1}` : '/feed.ics' }).end();
    return;
  }
  switch (url.pathname) {
    case '/feed.ics':
      if (req.headers['if-none-match'] === ETAG) return void res.writeHead(304).end();
      res.writeHead(200, { 'content-type': 'text/calendar', etag: ETAG, 'last-modified': LAST_MODIFIED }).end(CALENDAR);
      return;
    case '/bom.ics':
      res.writeHead(200, { 'content-type': 'text/calendar' }).end(`\uFEFF\r\n  ${CALENDAR}`);
      return;
    case '/gzip.ics':
      res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(CALENDAR));
      return;
    case '/corrupt.ics':
      res.writeHead(200, { 'content-encoding': 'gzip' }).end('BEGIN:VCALENDAR, not gzip');
      return;
    case '/deflate.ics':
      res.writeHead(200, { 'content-encoding': 'deflate' }).end(deflateSync(CALENDAR));
      return;
    case '/br.ics':
      res.writeHead(200, { 'content-encoding': 'br' }).end(brotliCompressSync(CALENDAR));
      return;
    case '/gzip-then-br.ics': // gzip applied first, then br
      res.writeHead(200, { 'content-encoding': 'gzip, br' }).end(brotliCompressSync(gzipSync(CALENDAR)));
      return;
    case '/encoded': // ?as=<Content-Encoding>: a plain body labelled with any encoding
      res.writeHead(200, { 'content-encoding': url.searchParams.get('as') ?? '' }).end(CALENDAR.repeat(200));
      return;
    case '/truncated.ics': // declares more than it sends, then closes
      res.writeHead(200, { 'content-length': String(CALENDAR.length * 2) });
      res.end(CALENDAR, () => req.socket.end());
      return;
    case '/reset.ics':
      res.writeHead(200);
      res.write('BEGIN:VCALENDAR\r\n', () => req.socket.resetAndDestroy());
      return;
    case '/redirect-to': // ?target=<absolute URL>
      res.writeHead(302, { location: url.searchParams.get('target') ?? '/' }).end();
      return;
    case '/status':
      res.writeHead(Number(url.searchParams.get('code'))).end('nope');
      return;
    case '/big.ics': // chunked, no Content-Length: only the streaming cap can stop it
      res.writeHead(200);
      res.write('BEGIN:VCALENDAR\r\n');
      res.end('X'.repeat(CAP * 2));
      return;
    case '/big-declared.ics':
      res.writeHead(200, { 'content-length': String(CAP * 2) }).end('X'.repeat(CAP * 2));
      return;
    case '/bomb.ics':
      res.writeHead(200, { 'content-encoding': 'gzip' }).end(bomb);
      return;
    case '/slow-headers':
      return; // never answers
    case '/trickle.ics': {
      res.writeHead(200).write('BEGIN:VCALENDAR\r\n');
      const timer = setInterval(() => res.write('X'), 50);
      res.on('close', () => clearInterval(timer));
      return;
    }
    case '/page.html':
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><html><body>Sign in</body></html>');
      return;
    case '/auth.ics':
      res.writeHead(200, { 'content-type': 'text/calendar' }).end(CALENDAR);
      return;
    default:
      res.writeHead(404).end();
  }
}

// 32 MB of zeros compress to ~32 KB: below the cap compressed, far above it decompressed.
const bomb = gzipSync(Buffer.alloc(32 * 1024 * 1024));

const fetchers: FeedFetcher[] = [];
function fetcher(overrides: Partial<FeedFetcherOptions> = {}): FeedFetcher {
  const created = createFeedFetcher({
    timeoutMs: 5_000,
    maxBytes: CAP,
    maxRedirects: 5,
    allowPrivateNetworks: true,
    allowHttp: true,
    userAgent: 'roomcal-test',
    ...overrides,
  });
  fetchers.push(created);
  return created;
}

/** Test tables name the server's port PORT: it is only known once the server listens. */
const withPort = (url: string) => url.replace('PORT', String(port));

async function failure(promise: Promise<unknown>): Promise<FeedFetchError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the fetch to fail');
    },
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(FeedFetchError);
  return error as FeedFetchError;
}

beforeAll(async () => {
  server = http.createServer(route);
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

afterEach(() => {
  seen.length = 0;
});

afterAll(async () => {
  await Promise.all(fetchers.map((f) => f.close()));
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('fetching', () => {
  it('returns the body with its validators and final URL', async () => {
    const result = await fetcher().fetch(`${base}/feed.ics`);
    expect(result).toEqual({ kind: 'fetched', body: CALENDAR, etag: ETAG, lastModified: LAST_MODIFIED, finalUrl: `${base}/feed.ics` });
    expect(seen[0]?.['user-agent']).toBe('roomcal-test');
    expect(seen[0]?.['accept-encoding']).toContain('gzip');
  });

  it('sends the stored validators and reports 304 as not-modified', async () => {
    const result = await fetcher().fetch(`${base}/feed.ics`, { etag: ETAG, lastModified: LAST_MODIFIED });
    expect(result).toEqual({ kind: 'not-modified' });
    expect(seen[0]?.['if-none-match']).toBe(ETAG);
    expect(seen[0]?.['if-modified-since']).toBe(LAST_MODIFIED);
  });

  it('sends no validators when it has none', async () => {
    await fetcher().fetch(`${base}/feed.ics`, { etag: null, lastModified: null });
    expect(seen[0]).not.toHaveProperty('if-none-match');
    expect(seen[0]).not.toHaveProperty('if-modified-since');
  });

  it.each(['/gzip.ics', '/deflate.ics', '/br.ics', '/gzip-then-br.ics'])('decompresses %s', async (path) => {
    const result = await fetcher().fetch(`${base}${path}`);
    expect(result).toMatchObject({ kind: 'fetched', body: CALENDAR });
  });

  it('asks for the encodings it can decode', async () => {
    await fetcher().fetch(`${base}/feed.ics`);
    expect(seen[0]?.['accept-encoding']).toBe('gzip, deflate, br');
  });

  // These used to kill the process: the refused body's stream emitted an 'error' nobody listened to.
  it.each(['zstd', 'UTF-8', 'gzip, zstd', 'compress', 'gzip, gzip, gzip, gzip'])(
    'refuses Content-Encoding "%s" with a clear error, and keeps running',
    async (encoding) => {
      const error = await failure(fetcher().fetch(`${base}/encoded?as=${encodeURIComponent(encoding)}`));
      expect(error.code).toBe('UNSUPPORTED_ENCODING');
      expect(error.message).toContain(`Content-Encoding: ${encoding}`);
      // The aborted body's error event fires on a later tick: give it one, then fetch again.
      await new Promise((resolve) => setImmediate(resolve));
      expect(await fetcher().fetch(`${base}/feed.ics`)).toMatchObject({ kind: 'fetched' });
    },
  );

  it('reports a body that ends before its Content-Length, and a connection reset mid-body, as network errors', async () => {
    expect((await failure(fetcher().fetch(`${base}/truncated.ics`))).code).toBe('NETWORK');
    const reset = await failure(fetcher().fetch(`${base}/reset.ics`));
    expect(reset.code).toBe('NETWORK');
    expect(reset.message).toMatch(/reset|closed/);
  });

  it('reports a corrupt gzip body as a network error', async () => {
    const error = await failure(fetcher().fetch(`${base}/corrupt.ics`));
    expect(error.code).toBe('NETWORK');
    expect(error.message).toContain('compressed data');
  });

  it('accepts a BOM and leading whitespace, and drops the BOM', async () => {
    const result = await fetcher().fetch(`${base}/bom.ics`);
    expect(result).toMatchObject({ kind: 'fetched', body: `\r\n  ${CALENDAR}` });
  });

  it('refuses a body that is not a calendar, naming what came instead', async () => {
    const error = await failure(fetcher().fetch(`${base}/page.html`));
    expect(error.code).toBe('NOT_A_CALENDAR');
    expect(error.message).toContain('text/html');
  });

  it.each([404, 500, 304])('reports HTTP %i with its status, without the secret path or query (304 too, when no validators were sent)', async (status) => {
    const error = await failure(fetcher().fetch(`${base}/status?code=${status}&token=s3cret`));
    expect(error.code).toBe('HTTP_STATUS');
    expect(error.httpStatus).toBe(status);
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect(error.message).not.toMatch(/s3cret|status\?/);
  });

  it('sends credentials from the URL to their own origin only', async () => {
    await fetcher().fetch(`http://user:pa%20ss@127.0.0.1:${port}/auth.ics`);
    expect(seen[0]?.authorization).toBe(`Basic ${Buffer.from('user:pa ss').toString('base64')}`);
    seen.length = 0;
    const elsewhere = encodeURIComponent(`http://localhost:${port}/auth.ics`);
    await fetcher().fetch(`http://user:pass@127.0.0.1:${port}/redirect-to?target=${elsewhere}`);
    expect(seen).toHaveLength(2);
    expect(seen[1]).not.toHaveProperty('authorization');
  });
});

describe('redirects', () => {
  it('follows a chain of 5', async () => {
    const result = await fetcher().fetch(`${base}/redirect/5`);
    expect(result).toMatchObject({ kind: 'fetched', body: CALENDAR, finalUrl: `${base}/feed.ics` });
    expect(seen).toHaveLength(6);
  });

  it('gives up on a chain of 6', async () => {
    const error = await failure(fetcher().fetch(`${base}/redirect/6`));
    expect(error.code).toBe('TOO_MANY_REDIRECTS');
  });

  it.each(['ftp://127.0.0.1/feed.ics', 'file:///etc/passwd', 'javascript:alert(1)'])('refuses a redirect to %s', async (target) => {
    const error = await failure(fetcher().fetch(`${base}/redirect-to?target=${encodeURIComponent(target)}`));
    expect(error.code).toBe('INVALID_URL');
    expect(error.message).toMatch(/redirected/);
  });
});

describe('limits', () => {
  it('stops a body over the cap while streaming', async () => {
    const error = await failure(fetcher().fetch(`${base}/big.ics`));
    expect(error.code).toBe('TOO_LARGE');
    expect(error.message).toContain('64 KB');
  });

  it('refuses early when Content-Length is over the cap', async () => {
    const error = await failure(fetcher().fetch(`${base}/big-declared.ics`));
    expect(error.code).toBe('TOO_LARGE');
  });

  it('stops a gzip bomb at the cap on decompressed bytes', async () => {
    expect(bomb.length).toBeLessThan(CAP);
    const error = await failure(fetcher().fetch(`${base}/bomb.ics`));
    expect(error.code).toBe('TOO_LARGE');
  });

  it.each(['/slow-headers', '/trickle.ics'])('times out on %s', async (path) => {
    const started = Date.now();
    const error = await failure(fetcher({ timeoutMs: 300 }).fetch(`${base}${path}`));
    expect(error.code).toBe('TIMEOUT');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('reports a refused connection as a network error', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const freePort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await failure(fetcher().fetch(`http://127.0.0.1:${freePort}/feed.ics`));
    expect(error.code).toBe('NETWORK');
    expect(error.message).toContain('connection refused');
  });
});

describe('schemes', () => {
  it('refuses http when it is not allowed, before connecting', async () => {
    const before = connections;
    const error = await failure(fetcher({ allowHttp: false }).fetch(`${base}/feed.ics`));
    expect(error.code).toBe('INVALID_URL');
    expect(connections).toBe(before);
  });

  it.each(['webcal', 'webcals'])('fetches %s:// over https', async (scheme) => {
    // A raw TCP listener: the first byte a TLS client sends is 0x16 (handshake record).
    const firstBytes: number[] = [];
    const listener = net.createServer((socket) => {
      socket.once('data', (data) => {
        firstBytes.push(data[0] ?? -1);
        socket.destroy();
      });
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const { port: tlsPort } = listener.address() as AddressInfo;
    try {
      const error = await failure(fetcher({ allowHttp: false }).fetch(`${scheme}://127.0.0.1:${tlsPort}/feed.ics`));
      expect(error.code).toBe('NETWORK');
      expect(firstBytes).toEqual([0x16]);
    } finally {
      await new Promise((resolve) => listener.close(resolve));
    }
  });

  it.each(['not a url', 'ftp://example.com/feed.ics', ''])('refuses %j', async (url) => {
    const error = await failure(fetcher().fetch(url));
    expect(error.code).toBe('INVALID_URL');
  });
});

describe('SSRF guard (private networks not allowed)', () => {
  const guarded = () => fetcher({ allowPrivateNetworks: false });

  it.each([
    'http://127.0.0.1:PORT/feed.ics',
    'http://[::1]:PORT/feed.ics',
    'http://[::ffff:127.0.0.1]:PORT/feed.ics',
    'http://169.254.169.254/latest/meta-data/',
    'http://10.0.0.1/feed.ics',
    'http://2130706433/feed.ics', // 127.0.0.1 as a number
    'http://localhost:PORT/feed.ics', // refused after DNS, at connect time
  ])('refuses %s before connecting', async (url) => {
    const before = connections;
    const error = await failure(guarded().fetch(withPort(url)));
    expect(error.code).toBe('BLOCKED_ADDRESS');
    expect(error.message).not.toContain('/feed.ics');
    expect(connections).toBe(before);
  });

  it('names the resolved address when a host name was refused', async () => {
    const error = await failure(guarded().fetch(`http://localhost:${port}/feed.ics`));
    expect(error.message).toMatch(/^localhost \((127\.0\.0\.1|::1)\)/);
  });

  describe('on redirect hops', () => {
    // The test server is treated as a public host; everything else stays blocked.
    const publicLoopback = () => fetcher({ allowPrivateNetworks: false, allowedNetworks: ['127.0.0.1/32'] });
    const via = (target: string) => `${base}/redirect-to?target=${encodeURIComponent(target)}`;

    it('reaches the allowed start', async () => {
      expect(await publicLoopback().fetch(`${base}/feed.ics`)).toMatchObject({ kind: 'fetched' });
    });

    it.each([
      'http://127.0.0.2:PORT/feed.ics',
      'http://[::1]:PORT/feed.ics',
      'http://169.254.169.254/latest/meta-data/',
    ])('refuses a redirect to %s', async (target) => {
      // Nothing listens on 127.0.0.2 / ::1 at this port: a connection attempt would be NETWORK, not BLOCKED_ADDRESS.
      const error = await failure(publicLoopback().fetch(via(withPort(target))));
      expect(error.code).toBe('BLOCKED_ADDRESS');
      expect(seen).toHaveLength(1);
    });
  });
});

describe('isBlockedAddress', () => {
  it.each([
    '127.0.0.1',
    '127.255.255.254',
    '10.0.0.1',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '100.127.255.255',
    '0.0.0.0',
    '255.255.255.255',
    '224.0.0.1',
    '240.0.0.1',
    '192.0.2.1',
    '::',
    '::1',
    'fe80::1',
    'fe80::1%eth0',
    'fc00::1',
    'fd12:3456::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '::ffff:169.254.169.254',
    '::ffff:7f00:1',
    '64:ff9b::a00:1', // NAT64 of 10.0.0.1
    '64:ff9b::a9fe:a9fe', // NAT64 of 169.254.169.254
    'not-an-ip',
    '',
  ])('blocks %j', (address) => {
    expect(isBlockedAddress(address)).toBe(true);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.216.34',
    '172.32.0.1',
    '100.128.0.1',
    '169.255.0.1',
    '2606:4700:4700::1111',
    '2001:4860:4860::8888',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808', // NAT64 of 8.8.8.8
  ])('allows %j', (address) => {
    expect(isBlockedAddress(address)).toBe(false);
  });
});
