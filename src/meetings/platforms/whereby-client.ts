// Whereby REST client (SPEC §4): creates a meeting when ours is pre-created and
// deletes it when ours closes. Every failure becomes a VideoPlatformError that
// says whether retrying can help; the API key never appears in a message.
import { request } from 'undici';
import { z } from 'zod';
import { VideoPlatformError, type PlatformMeeting, type VideoPlatform } from './video-platform.js';

const DEFAULT_TIMEOUT_MS = 10_000;
const ERROR_DETAIL_MAX_CHARS = 200;

export interface WherebyPlatformOptions {
  apiKey: string;
  /** REST base URL (WHEREBY_API_URL); tests point it at a local server. */
  baseUrl: string;
  /** One deadline per call, covering connect, headers and body. */
  timeoutMs?: number;
  /** Prefix of the generated Whereby room names; defaults to our room's name so meetings are recognisable in Whereby's dashboard. */
  roomNamePrefix?: string;
}

// Only what we use is checked; Whereby may add fields. Only http(s) URLs are
// accepted because they are handed to browsers.
const webUrl = z.url({ protocol: /^https?$/ });
const createdMeetingSchema = z.object({
  meetingId: z.string().min(1),
  roomUrl: webUrl,
  hostRoomUrl: webUrl.nullish(),
});

export function createWherebyPlatform(options: WherebyPlatformOptions): VideoPlatform {
  const { apiKey } = options;
  // A key with whitespace or control characters cannot go into a header; say so at startup, not at the first meeting.
  if (!/^[\x21-\x7e]+$/.test(apiKey)) throw new Error('The Whereby API key is empty or contains whitespace');
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  if (!URL.canParse(baseUrl) || !/^https?:$/.test(new URL(baseUrl).protocol)) {
    throw new Error('The Whereby API base URL must be an http(s) URL');
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  async function send(method: 'POST' | 'DELETE', path: string, action: string, body?: unknown) {
    const deadline = AbortSignal.timeout(timeoutMs);
    try {
      const response = await request(`${baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${apiKey}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? null : JSON.stringify(body),
        signal: deadline,
      });
      return { status: response.statusCode, text: await response.body.text() };
    } catch (error) {
      if (deadline.aborted) {
        throw new VideoPlatformError(`Whereby did not answer within ${timeoutMs} ms when asked to ${action}`, { retryable: true });
      }
      // Only the error code is passed on: other errors' messages are not ours to vouch for.
      throw new VideoPlatformError(`Could not reach Whereby to ${action} (${errorCode(error)})`, { retryable: true });
    }
  }

  function statusError(status: number, action: string, responseText: string): VideoPlatformError {
    if (status === 401 || status === 403) {
      return new VideoPlatformError(
        `Whereby rejected the API key (HTTP ${status}) when asked to ${action}; check the configured key`,
        { retryable: false, httpStatus: status },
      );
    }
    const retryable = status === 408 || status === 429 || status >= 500;
    // Whereby explains refused requests (e.g. an endDate in the past) in the body; its excerpt makes the error actionable.
    const detail = retryable ? '' : errorDetail(responseText, apiKey);
    return new VideoPlatformError(`Whereby answered HTTP ${status} when asked to ${action}${detail}`, { retryable, httpStatus: status });
  }

  return {
    name: 'WHEREBY',
    async createMeeting(input) {
      const action = 'create a meeting';
      const { status, text } = await send('POST', '/meetings', action, {
        endDate: input.endDate.toISOString(),
        isLocked: false,
        roomMode: 'normal',
        roomNamePrefix: options.roomNamePrefix ?? input.roomName,
        roomNamePattern: 'uuid',
        fields: ['hostRoomUrl'],
      });
      if (status < 200 || status > 299) throw statusError(status, action, text);
      return parseCreatedMeeting(text, status);
    },
    async deleteMeeting(platformMeetingId) {
      const action = 'delete a meeting';
      const { status, text } = await send('DELETE', `/meetings/${encodeURIComponent(platformMeetingId)}`, action);
      if (status === 404) return; // already gone: the goal of the call is met
      if (status < 200 || status > 299) throw statusError(status, action, text);
    },
  };
}

/**
 * Non-retryable: the meeting may exist on Whereby, but without a usable id and
 * URL we cannot use it, and asking again would not change Whereby's format.
 */
function parseCreatedMeeting(text: string, status: number): PlatformMeeting {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new VideoPlatformError(`Whereby answered a meeting creation with a body that is not JSON (HTTP ${status})`, {
      retryable: false,
      httpStatus: status,
    });
  }
  const parsed = createdMeetingSchema.safeParse(json);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || 'body'))].join(', ');
    throw new VideoPlatformError(`Whereby's answer to a meeting creation is unusable: missing or invalid ${fields}`, {
      retryable: false,
      httpStatus: status,
    });
  }
  const { meetingId, roomUrl, hostRoomUrl } = parsed.data;
  return { platformMeetingId: meetingId, roomUrl, hostRoomUrl: hostRoomUrl ?? null };
}

/** A short, single-line excerpt of Whereby's explanation, with the API key blanked out in case it is echoed. */
function errorDetail(responseText: string, apiKey: string): string {
  const excerpt = responseText.replaceAll(apiKey, '[redacted]').replace(/\s+/g, ' ').trim();
  if (!excerpt) return '';
  return `: ${excerpt.length > ERROR_DETAIL_MAX_CHARS ? `${excerpt.slice(0, ERROR_DETAIL_MAX_CHARS)}…` : excerpt}`;
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'network error';
}
