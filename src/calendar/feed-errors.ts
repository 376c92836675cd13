// Every way a calendar feed can fail, in one list: the fetcher, the parser,
// the expansion and the sync use these codes, and the API reports them
// (the FeedErrorCode enum). Messages are for the room owner; they name the
// host at most, never the feed's path or query (those hold the owner's secret).

export const FEED_ERROR_CODES = [
  /** The URL is not an http(s) URL this server may fetch. */
  'INVALID_URL',
  /** The host resolves to a private or internal network address. */
  'BLOCKED_ADDRESS',
  /** The download did not finish within ICS_FETCH_TIMEOUT_MS. */
  'TIMEOUT',
  /** The (decompressed) body is larger than ICS_MAX_BYTES. */
  'TOO_LARGE',
  /** The server answered with a non-2xx status. */
  'HTTP_STATUS',
  'TOO_MANY_REDIRECTS',
  /** Connection refused or reset, truncated or corrupt body, malformed response. */
  'NETWORK',
  /** A Content-Encoding other than gzip, deflate, br and identity. */
  'UNSUPPORTED_ENCODING',
  /** The body is not an iCalendar file. */
  'NOT_A_CALENDAR',
  /** The iCalendar text is malformed beyond repair. */
  'PARSE_ERROR',
  /** Expanding the feed's recurrences would take more work than one feed may take. */
  'TOO_COMPLEX',
  /** A fault of this server (logged), not of the feed. */
  'INTERNAL',
] as const;

export type FeedErrorCode = (typeof FEED_ERROR_CODES)[number];

/** A failure the room owner can act on; anything else is reported as INTERNAL. */
export class FeedError extends Error {
  override name = 'FeedError';
  constructor(
    readonly code: FeedErrorCode,
    message: string,
    /** The feed server's status, for HTTP_STATUS. */
    readonly httpStatus?: number,
  ) {
    super(message);
  }
}

const INTERNAL_MESSAGE = 'Internal error while reading the calendar (logged on the server)';

/** What to record for any error a feed pipeline threw. */
export function feedFailureOf(error: unknown): { code: FeedErrorCode; message: string; httpStatus: number | null } {
  if (error instanceof FeedError) return { code: error.code, message: error.message, httpStatus: error.httpStatus ?? null };
  return { code: 'INTERNAL', message: INTERNAL_MESSAGE, httpStatus: null };
}
