// Talking to the server: queries and mutations over HTTP, subscriptions over
// graphql-ws on the same origin. The bearer token is read from
// localStorage["roomcal.token"] (the sign-in form or an embedding app sets it).
import { createClient } from 'graphql-ws';
import type { TypedDocumentString } from './generated/graphql.js';

export const TOKEN_KEY = 'roomcal.token';
const GRAPHQL_PATH = '/graphql';

export function storedToken(): string | null {
  return localStorage.getItem(TOKEN_KEY)?.trim() || null;
}

/**
 * An error the server reported: a GraphQL error with its extensions.code
 * (UNAUTHENTICATED, FORBIDDEN …), or a mutation's typed error with its
 * __typename (NotFound, RateLimited, FeedError …) as the code.
 */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string | null,
  ) {
    super(message);
  }
}

interface Response<R> {
  data?: R | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

function unwrap<R>(body: Response<R>): R {
  const error = body.errors?.[0];
  if (error) throw new ApiError(error.message, error.extensions?.code ?? null);
  if (!body.data) throw new ApiError('The server sent no data', null);
  return body.data;
}

/**
 * A mutation's result union as its success member; any other member is one of
 * the mutation's typed errors (each a UserError with a message fit for people)
 * and is thrown as an ApiError coded with its __typename.
 */
export function succeeded<R extends { __typename?: string }, S extends string>(result: R, success: S): Extract<R, { __typename?: S }> {
  if (result.__typename === success) return result as Extract<R, { __typename?: S }>;
  const message = 'message' in result && typeof result.message === 'string' ? result.message : `Unexpected answer: ${result.__typename ?? 'nothing'}`;
  throw new ApiError(message, result.__typename ?? null);
}

/** An error for people: a refused token gets a hint what to do about it. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError && error.code === 'UNAUTHENTICATED') return `${error.message} Sign out, or sign in with a new token.`;
  return error instanceof Error ? error.message : String(error);
}

export async function request<R, V>(document: TypedDocumentString<R, V>, variables: V): Promise<R> {
  const token = storedToken();
  let response: globalThis.Response;
  try {
    response = await fetch(GRAPHQL_PATH, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ query: document.toString(), variables }),
    });
  } catch {
    throw new ApiError('The server cannot be reached; check your connection', 'NETWORK');
  }
  const body = (await response.json().catch(() => ({ errors: [{ message: `The server answered ${response.status}` }] }))) as Response<R>;
  return unwrap(body);
}

/** Back-off doubles per failed attempt up to this, plus up to 3 s of jitter so that pages do not reconnect in step. */
const MAX_RETRY_WAIT_S = 30;

const reconnectListeners = new Set<() => void>();

const ws = createClient({
  url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${GRAPHQL_PATH}`,
  connectionParams: (): Record<string, string> => {
    const token = storedToken();
    return token ? { authorization: `Bearer ${token}` } : {};
  },
  // A dropped connection (network change, server restart) is retried with
  // back-off for as long as the page is open; subscriptions resume by themselves.
  retryAttempts: Number.POSITIVE_INFINITY,
  retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(2 ** retries, MAX_RETRY_WAIT_S) * 1000 + Math.random() * 3000)),
  on: {
    connected: (_socket, _payload, wasRetry) => {
      // Whatever changed while the connection was down was not delivered: re-read.
      if (wasRetry) for (const listener of reconnectListeners) listener();
    },
  },
});

/** Called after the subscription connection came back from a drop. */
export function onReconnect(listener: () => void): void {
  reconnectListeners.add(listener);
}

/** Starts a subscription; returns the function that ends it. */
export function subscribe<R, V>(
  document: TypedDocumentString<R, V>,
  variables: V,
  onData: (data: R) => void,
  onError: (error: ApiError) => void,
): () => void {
  return ws.subscribe<R>(
    { query: document.toString(), variables: variables as Record<string, unknown> },
    {
      next: (result) => {
        try {
          onData(unwrap(result as Response<R>));
        } catch (error) {
          onError(error as ApiError);
        }
      },
      error: (error) => onError(new ApiError(error instanceof Error ? error.message : 'The live connection failed', null)),
      complete: () => {},
    },
  );
}
