// Downloads a room's ICS feed (SPEC §3 steps 1–2): conditional GET, redirects
// followed by hand so every hop is re-validated, one deadline for the whole
// download, a cap on decompressed bytes, and an SSRF guard that checks the
// address actually connected to (after DNS), so DNS rebinding cannot slip past it.
import dns from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { PassThrough, Writable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import ipaddr from 'ipaddr.js';
import { Agent, request, type Dispatcher } from 'undici';
import { normalizeIcsUrl } from '../rooms/ics-url.js';
import { FeedError, type FeedErrorCode } from './feed-errors.js';
import { decodeIcsBytes } from './ics-text.js';

export type FeedFetchErrorCode = Exclude<FeedErrorCode, 'PARSE_ERROR' | 'TOO_COMPLEX' | 'INTERNAL'>;

/** Messages name the host at most: feed paths and queries hold the owner's secret. */
export class FeedFetchError extends FeedError {
  override readonly name = 'FeedFetchError';
  constructor(
    override readonly code: FeedFetchErrorCode,
    message: string,
    httpStatus?: number,
  ) {
    super(code, message, httpStatus);
  }
}

export interface FeedFetcherOptions {
  /** One deadline for connect, headers and body, across all redirects. */
  timeoutMs: number;
  /** Cap on the decompressed body. */
  maxBytes: number;
  maxRedirects: number;
  allowPrivateNetworks: boolean;
  allowHttp: boolean;
  userAgent: string;
  /**
   * CIDR ranges exempt from the private-network block while everything else
   * stays blocked (an intranet calendar server; tests use it for their own
   * local server).
   */
  allowedNetworks?: string[];
}

export const FEED_FETCH_DEFAULTS = { timeoutMs: 15_000, maxBytes: 10 * 1024 * 1024, maxRedirects: 5 } as const;

export type FeedFetchResult =
  | { kind: 'not-modified' }
  /** `body` is the decoded text: UTF-8, without BOM or NUL characters (see ics-text.ts). */
  | { kind: 'fetched'; body: string; etag: string | null; lastModified: string | null; finalUrl: string };

export interface FeedConditions {
  etag?: string | null;
  lastModified?: string | null;
}

export interface FeedFetcher {
  fetch(url: string, conditional?: FeedConditions): Promise<FeedFetchResult>;
  close(): Promise<void>;
}

// Well-known NAT64 prefix: DNS64 networks map IPv4 hosts into it, so the
// embedded IPv4 address is what decides (64:ff9b::a00:1 is 10.0.0.1).
const NAT64 = ipaddr.parseCIDR('64:ff9b::/96');

/**
 * Whether an outbound connection to this IP address must be refused: anything
 * that is not global unicast (loopback, private, link-local incl. cloud
 * metadata, CGNAT, ULA, multicast, reserved…), also inside IPv4-mapped IPv6.
 * Unparseable input is refused.
 */
export function isBlockedAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return true;
  const ip = ipaddr.process(address); // unwraps ::ffff:a.b.c.d
  if (ip.kind() === 'ipv6' && ip.match(NAT64)) {
    return isBlockedAddress(ipaddr.fromByteArray(ip.toByteArray().slice(12)).toString());
  }
  return ip.range() !== 'unicast';
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export function createFeedFetcher(options: FeedFetcherOptions): FeedFetcher {
  const isRefused = addressPolicy(options);
  const agent = new Agent({ connect: { lookup: guardedLookup(isRefused) } });

  /** Scheme rules for the start URL and every redirect target, plus the literal-IP check (no DNS lookup happens for those). */
  function checkTarget(raw: string, redirectedFrom?: URL): URL {
    const absolute = redirectedFrom && URL.canParse(raw, redirectedFrom) ? new URL(raw, redirectedFrom).href : raw;
    const check = normalizeIcsUrl(absolute, { allowHttp: options.allowHttp });
    if (!check.ok) {
      throw new FeedFetchError('INVALID_URL', redirectedFrom ? `The feed redirected to an unusable address: ${check.problem}` : check.problem);
    }
    const url = new URL(check.url);
    const literal = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (isIP(literal) !== 0 && isRefused(literal)) throw blockedAddress(url.hostname, literal);
    return url;
  }

  async function fetchFeed(rawUrl: string, conditional: FeedConditions = {}): Promise<FeedFetchResult> {
    let target = checkTarget(rawUrl);
    const credentials = basicAuthorization(target);
    const credentialsOrigin = target.origin;
    const deadline = AbortSignal.timeout(options.timeoutMs);
    try {
      const commonHeaders: Record<string, string> = {
        'user-agent': options.userAgent,
        accept: 'text/calendar, */*;q=0.5',
        'accept-encoding': 'gzip, deflate, br',
      };
      if (conditional.etag) commonHeaders['if-none-match'] = conditional.etag;
      if (conditional.lastModified) commonHeaders['if-modified-since'] = conditional.lastModified;
      for (let redirects = 0; ; redirects++) {
        // Credentials from the URL go to its own origin only, never to a redirect target elsewhere.
        const headers =
          credentials && target.origin === credentialsOrigin ? { ...commonHeaders, authorization: credentials } : commonHeaders;

        const response = await request(withoutCredentials(target), { dispatcher: agent, headers, signal: deadline });
        const location = header(response, 'location');
        if (REDIRECT_STATUSES.has(response.statusCode) && location !== null) {
          await discard(response);
          if (redirects >= options.maxRedirects) {
            throw new FeedFetchError('TOO_MANY_REDIRECTS', `The feed redirected more than ${options.maxRedirects} times`);
          }
          target = checkTarget(location, target);
          continue;
        }
        if (response.statusCode === 304 && (conditional.etag || conditional.lastModified)) {
          await discard(response);
          return { kind: 'not-modified' };
        }
        if (response.statusCode < 200 || response.statusCode > 299) {
          await discard(response);
          throw httpStatusError(target.host, response.statusCode);
        }
        const body = await readCalendar(response, options.maxBytes, deadline);
        return {
          kind: 'fetched',
          body,
          etag: header(response, 'etag'),
          lastModified: header(response, 'last-modified'),
          finalUrl: target.href,
        };
      }
    } catch (error) {
      throw asFeedFetchError(error, deadline, target.host, options.timeoutMs);
    }
  }

  return { fetch: fetchFeed, close: () => agent.close() };
}

function addressPolicy(options: FeedFetcherOptions): (address: string) => boolean {
  if (options.allowPrivateNetworks) return () => false;
  const exempt = (options.allowedNetworks ?? []).map((cidr) => ipaddr.parseCIDR(cidr));
  return (address) => {
    if (!ipaddr.isValid(address)) return true;
    const ip = ipaddr.process(address);
    // match() throws across IPv4/IPv6, hence the kind check.
    const isExempt = exempt.some((range) => range[0].kind() === ip.kind() && ip.match(range));
    return !isExempt && isBlockedAddress(address);
  };
}

/**
 * DNS lookup for the agent's sockets: the addresses checked are the ones the
 * socket then connects to. Refuses when any resolved address is blocked.
 */
function guardedLookup(isRefused: (address: string) => boolean): LookupFunction {
  return (hostname, lookupOptions, callback) => {
    dns.lookup(hostname, { ...lookupOptions, all: true }, (error, addresses) => {
      if (error) return callback(error, '');
      const refused = addresses.find((entry) => isRefused(entry.address));
      if (refused) return callback(blockedAddress(hostname, refused.address), '');
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`No address for ${hostname}`), { code: 'ENOTFOUND' }), '');
      // Node asks for all addresses when it races IPv4/IPv6 (autoSelectFamily), one otherwise.
      if (lookupOptions.all) callback(null, addresses);
      else callback(null, first.address, first.family);
    });
  };
}

function blockedAddress(host: string, address: string): FeedFetchError {
  const resolved = host === address || host === `[${address}]` ? '' : ` (${address})`;
  return new FeedFetchError(
    'BLOCKED_ADDRESS',
    `${host}${resolved} is a local, private or otherwise internal network address; this server does not fetch calendars from such addresses (the operator setting ICS_ALLOW_PRIVATE_NETWORKS=true allows them)`,
  );
}

function httpStatusError(host: string, status: number): FeedFetchError {
  const hint =
    status === 401 || status === 403 || status === 404 || status === 410
      ? ': check that the feed URL is still valid and the calendar is published'
      : '';
  return new FeedFetchError('HTTP_STATUS', `${host} answered HTTP ${status}${hint}`, status);
}

function header(response: Dispatcher.ResponseData, name: string): string | null {
  const value = response.headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

/** A list-valued header sent on several lines, as one comma-separated value. */
function allHeaderValues(response: Dispatcher.ResponseData, name: string): string {
  const value = response.headers[name];
  return (Array.isArray(value) ? value.join(', ') : value) ?? '';
}

function basicAuthorization(url: URL): string | null {
  if (!url.username && !url.password) return null;
  const pair = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return `Basic ${Buffer.from(pair).toString('base64')}`;
}

function withoutCredentials(url: URL): string {
  const copy = new URL(url);
  copy.username = '';
  copy.password = '';
  return copy.href;
}

/** Drains a body we do not need so the connection can be reused; failures do not matter. */
async function discard(response: Dispatcher.ResponseData): Promise<void> {
  await response.body.dump().catch(() => undefined);
}

/** Layers of Content-Encoding undone at most (`gzip, br` is two); more is refused rather than decompressed. */
const MAX_ENCODINGS = 3;

/**
 * The decoders for a Content-Encoding header, in the order to apply them (the
 * header lists encodings in the order they were applied). Null for anything
 * this server cannot decode: zstd, or garbage such as `UTF-8`.
 */
function decodersFor(contentEncoding: string): Transform[] | null {
  const encodings = contentEncoding
    .split(',')
    .map((encoding) => encoding.trim().toLowerCase())
    .filter((encoding) => encoding !== '' && encoding !== 'identity');
  if (encodings.length > MAX_ENCODINGS) return null;
  const decoders: Transform[] = [];
  for (const encoding of encodings.reverse()) {
    if (encoding === 'gzip' || encoding === 'x-gzip') decoders.push(createGunzip());
    else if (encoding === 'deflate') decoders.push(createInflate());
    else if (encoding === 'br') decoders.push(createBrotliDecompress());
    else return null;
  }
  return decoders;
}

/**
 * Gives up on a body without reading it. undici's body stream reports the
 * abort as an 'error' event: without a listener that event kills the process.
 */
function abandon(response: Dispatcher.ResponseData): void {
  response.body.on('error', () => undefined);
  response.body.destroy();
}

/**
 * Reads, decompresses and checks the body. The cap counts decompressed bytes
 * as they stream, so a gzip or brotli bomb is stopped after maxBytes, not allocated.
 */
async function readCalendar(response: Dispatcher.ResponseData, maxBytes: number, deadline: AbortSignal): Promise<string> {
  const tooLarge = () =>
    new FeedFetchError('TOO_LARGE', `The calendar is larger than the ${formatBytes(maxBytes)} this server accepts`);
  if (Number(header(response, 'content-length')) > maxBytes) {
    abandon(response);
    throw tooLarge();
  }
  const encoding = allHeaderValues(response, 'content-encoding');
  const decoders = decodersFor(encoding);
  if (!decoders) {
    abandon(response);
    throw new FeedFetchError(
      'UNSUPPORTED_ENCODING',
      `The calendar server sent the calendar in an encoding this server cannot read (Content-Encoding: ${encoding.slice(0, 60)}); gzip, deflate and br are supported`,
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    const [first = new PassThrough(), ...rest] = decoders;
    await pipeline(
      response.body,
      first,
      ...rest,
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          size += chunk.length;
          if (size > maxBytes) return done(tooLarge());
          chunks.push(chunk);
          done();
        },
      }),
      { signal: deadline },
    );
  } catch (error) {
    // Stopping early tears the streams down, and their abort error can win the race to reject.
    throw size > maxBytes ? tooLarge() : error;
  }
  const text = decodeIcsBytes(Buffer.concat(chunks));
  if (!/^\s*BEGIN:VCALENDAR/i.test(text)) {
    const type = header(response, 'content-type')?.split(';')[0]?.trim();
    throw new FeedFetchError(
      'NOT_A_CALENDAR',
      `The URL did not return a calendar (an iCalendar file starts with BEGIN:VCALENDAR${type ? `; the server sent ${type.slice(0, 60)}` : ''})`,
    );
  }
  return text;
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB` : `${Math.ceil(bytes / 1024)} KB`;
}

const NETWORK_PROBLEMS: Record<string, string> = {
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name could not be resolved right now',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_SOCKET: 'connection closed unexpectedly',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'the body ended before its declared length',
  UND_ERR_HEADERS_OVERFLOW: 'the response headers are too large',
  Z_DATA_ERROR: 'the compressed data is corrupt',
  Z_BUF_ERROR: 'the compressed data is truncated',
};

/**
 * Everything that escapes fetch() is a FeedFetchError. Messages of other
 * errors are not passed on (they could quote the URL); their codes are.
 */
function asFeedFetchError(error: unknown, deadline: AbortSignal, host: string, timeoutMs: number): FeedFetchError {
  const chain = [...causeChain(error)];
  const own = chain.find((cause) => cause instanceof FeedFetchError);
  if (own) return own;
  if (deadline.aborted) {
    return new FeedFetchError('TIMEOUT', `${host} did not deliver the calendar within ${timeoutMs / 1000} s`);
  }
  const code = chain.map((cause) => (cause as NodeJS.ErrnoException).code).find((value) => typeof value === 'string');
  return new FeedFetchError('NETWORK', `Could not download the calendar from ${host}: ${describeNetworkProblem(code)}`);
}

/** The error and its causes: undici and Node wrap socket errors. */
function* causeChain(error: unknown): Generator<Error> {
  for (let cause = error; cause instanceof Error; cause = cause.cause) yield cause;
}

function describeNetworkProblem(code: string | undefined): string {
  if (code === undefined) return 'unknown error';
  const known = NETWORK_PROBLEMS[code];
  if (known) return known;
  if (code.startsWith('HPE_')) return `the server sent a malformed HTTP response (${code})`;
  if (code.startsWith('ERR__ERROR_FORMAT') || code.startsWith('ERR_BROTLI')) return 'the compressed data is corrupt';
  return code.startsWith('ERR_TLS') || code.includes('CERT') ? `TLS certificate problem (${code})` : code;
}
