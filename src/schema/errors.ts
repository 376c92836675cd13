// Errors for clients. Expected failures of mutations are typed results
// (union members a generated client switches on, see user-errors.ts);
// authentication and authorization stay GraphQL errors. Every error carries
// `extensions.code`, also where a failure surfaces as a GraphQL error (queries,
// subscriptions). Anything else is masked by Yoga and logged.
import { GraphQLError } from 'graphql';

export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'MEETING_NOT_ACTIVE'
  | 'MEETING_ENDED'
  | 'PLATFORM_UNAVAILABLE'
  | 'FEED_ERROR';

const httpStatus: Record<ErrorCode, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  BAD_USER_INPUT: 400,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  MEETING_NOT_ACTIVE: 409,
  MEETING_ENDED: 410,
  PLATFORM_UNAVAILABLE: 503,
  FEED_ERROR: 502,
};

export function appError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extensions } });
}

/** For failures before execution (bad token), where Yoga answers with an HTTP status. */
export function requestError(code: ErrorCode, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code, http: { status: httpStatus[code] } } });
}

export const unauthenticated = (message = 'Sign in to do this') => appError('UNAUTHENTICATED', message);
export const forbidden = (message = 'You are not allowed to do this') => appError('FORBIDDEN', message);
