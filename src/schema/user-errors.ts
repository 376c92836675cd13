// Expected failures of mutations, as typed results: each class is a GraphQL
// object type implementing the UserError interface, and a mutation lists the
// ones it can end in (plugin-errors turns its result into a union). They are
// GraphQLErrors with extensions.code too, so where one surfaces outside a
// mutation result (a subscription, a query) it still reaches clients typed.
import { GraphQLError } from 'graphql';
import { FEED_ERROR_CODES, FEED_ERROR_MEANINGS, type FeedErrorCode } from '../calendar/feed-errors.js';
import { builder } from './builder.js';
import type { ErrorCode } from './errors.js';

export class UserError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { code, ...extensions } });
  }
}

export class NotFoundError extends UserError {
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}

export class InvalidInputError extends UserError {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super('BAD_USER_INPUT', message, { field });
  }
}

export class ConflictError extends UserError {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super('CONFLICT', message, { field });
  }
}

export class RateLimitedError extends UserError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super('RATE_LIMITED', message, { retryAfterSeconds });
  }
}

export class MeetingNotActiveError extends UserError {
  constructor(message: string) {
    super('MEETING_NOT_ACTIVE', message);
  }
}

export class MeetingEndedError extends UserError {
  constructor(
    message: string,
    readonly closedAt: Date | null,
  ) {
    super('MEETING_ENDED', message);
  }
}

export class PlatformUnavailableError extends UserError {
  constructor(message: string) {
    super('PLATFORM_UNAVAILABLE', message);
  }
}

export class FeedError extends UserError {
  constructor(
    readonly feedCode: FeedErrorCode,
    message: string,
    readonly httpStatus: number | null = null,
  ) {
    super('FEED_ERROR', message, { feedCode });
  }
}

export const FeedErrorCodeEnum = builder.enumType('FeedErrorCode', {
  description: 'Why a calendar feed could not be used.',
  values: Object.fromEntries(FEED_ERROR_CODES.map((code) => [code, { description: FEED_ERROR_MEANINGS[code] }])) as Record<
    FeedErrorCode,
    { description: string }
  >,
});

export const UserErrorInterface = builder.interfaceRef<UserError>('UserError').implement({
  description: 'An expected failure of a mutation: the caller can fix it or try again. Each kind is its own type.',
  fields: (t) => ({
    message: t.exposeString('message', { description: 'A human-readable explanation, fit to show to the user.' }),
  }),
});

builder.objectType(NotFoundError, {
  name: 'NotFound',
  description: 'The room or meeting named in the arguments does not exist.',
  interfaces: [UserErrorInterface],
  isTypeOf: (value) => value instanceof NotFoundError,
});

builder.objectType(InvalidInputError, {
  name: 'InvalidInput',
  description: 'An argument is not acceptable; field names which one.',
  interfaces: [UserErrorInterface],
  isTypeOf: (value) => value instanceof InvalidInputError,
  fields: (t) => ({
    field: t.exposeString('field', { description: 'Path of the offending argument or input field, e.g. "input.name" or "input.ics.url".' }),
  }),
});

builder.objectType(ConflictError, {
  name: 'Conflict',
  description: 'The change clashes with existing data (e.g. a room name that is taken).',
  interfaces: [UserErrorInterface],
  isTypeOf: (value) => value instanceof ConflictError,
  fields: (t) => ({
    field: t.exposeString('field', { description: 'Path of the input field that clashes, e.g. "input.name".' }),
  }),
});

builder.objectType(RateLimitedError, {
  name: 'RateLimited',
  description: 'Too many of these requests; try again after retryAfterSeconds.',
  interfaces: [UserErrorInterface],
  isTypeOf: (value) => value instanceof RateLimitedError,
  fields: (t) => ({
    retryAfterSeconds: t.exposeInt('retryAfterSeconds', { description: 'Seconds to wait before trying again.' }),
  }),
});

builder.objectType(MeetingNotActiveError, {
  name: 'MeetingNotActive',
  description: 'The meeting exists but is still being set up on the video platform; try again in a moment.',
  interfaces: [UserErrorInterface],
  isTypeOf: (value) => value instanceof MeetingNotActiveError,
});

builder.objectType(MeetingEndedError, {
  name: 'MeetingEnded',
  description: 'The meeting has been closed and cannot be joined.',
  interfaces: [UserErrorInterface],
  isTypeOf: (value) => value instanceof MeetingEndedError,
  fields: (t) => ({
    closedAt: t.expose('closedAt', { type: 'DateTime', nullable: true, description: 'When it was closed.' }),
  }),
});

builder.objectType(PlatformUnavailableError, {
  name: 'PlatformUnavailable',
  description: "The room's video platform is not configured or refused the request; try again shortly.",
  interfaces: [UserErrorInterface],
  isTypeOf: (value) => value instanceof PlatformUnavailableError,
});

builder.objectType(FeedError, {
  name: 'FeedError',
  description: 'A calendar feed could not be fetched or read.',
  interfaces: [UserErrorInterface],
  isTypeOf: (value) => value instanceof FeedError,
  fields: (t) => ({
    code: t.field({ type: FeedErrorCodeEnum, description: 'What went wrong.', resolve: (error) => error.feedCode }),
    httpStatus: t.exposeInt('httpStatus', { nullable: true, description: 'The status the feed server answered with (HTTP_STATUS only).' }),
  }),
});
