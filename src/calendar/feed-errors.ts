// Every way a calendar feed can fail, in one list: the fetcher, the parser,
// the expansion and the sync use these codes, and the API reports them
// (the FeedErrorCode enum). Messages are for the room owner; they name the
// host at most, never the feed's path or query (those hold the owner's secret).

/** Every code with what it means to a room owner (also the GraphQL FeedErrorCode enum's descriptions). */
export const FEED_ERROR_MEANINGS = {
  INVALID_URL: 'The URL is not an https:// or webcal:// address (or http:// where the operator allows it).',
  BLOCKED_ADDRESS: 'The URL points at a private, loopback, link-local or metadata address, which the server refuses to fetch.',
  TIMEOUT: 'The feed did not answer completely within the time limit (ICS_FETCH_TIMEOUT_MS).',
  TOO_LARGE: 'The feed, decompressed, is larger than the size limit (ICS_MAX_BYTES).',
  HTTP_STATUS: 'The feed server answered with a non-2xx status (see httpStatus).',
  TOO_MANY_REDIRECTS: 'More than 5 redirects.',
  NETWORK: 'The host could not be resolved or reached, or the download broke off (reset, truncated or corrupt body, malformed response).',
  UNSUPPORTED_ENCODING: 'The feed server compressed the response with an encoding other than gzip, deflate or br.',
  NOT_A_CALENDAR: 'The response is not an iCalendar file (no BEGIN:VCALENDAR).',
  PARSE_ERROR: 'The calendar could not be parsed.',
  TOO_COMPLEX: 'Expanding its recurrences would take more work than one feed may take.',
  INTERNAL: 'A fault of this server (logged there), not of the feed.',
} as const;

export const FEED_ERROR_CODES = Object.keys(FEED_ERROR_MEANINGS) as Array<keyof typeof FEED_ERROR_MEANINGS>;

export type FeedErrorCode = keyof typeof FEED_ERROR_MEANINGS;

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
