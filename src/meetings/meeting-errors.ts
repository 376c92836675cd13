// Failures of meeting use cases a caller can act on. Each is its own class so
// the API can map it to a typed error; `code` is the GraphQL error code it
// stands for, `details` extra machine-readable fields.
export abstract class MeetingError extends Error {
  abstract readonly code: 'UNAUTHENTICATED' | 'FORBIDDEN' | 'RATE_LIMITED' | 'PLATFORM_UNAVAILABLE';
  get details(): Record<string, unknown> {
    return {};
  }
}

export class SignInRequiredError extends MeetingError {
  override name = 'SignInRequiredError';
  readonly code = 'UNAUTHENTICATED';
  constructor() {
    super('Sign in to start a meeting');
  }
}

export class NotAllowedToStartMeetingError extends MeetingError {
  override name = 'NotAllowedToStartMeetingError';
  readonly code = 'FORBIDDEN';
  constructor() {
    super("Only the room's owner can start meetings in this room");
  }
}

export class TooManyUnscheduledMeetingsError extends MeetingError {
  override name = 'TooManyUnscheduledMeetingsError';
  readonly code = 'RATE_LIMITED';
  constructor(
    active: number,
    readonly retryAfterSeconds: number,
  ) {
    super(`This room already has ${active} unscheduled meetings running`);
  }

  override get details() {
    return { retryAfterSeconds: this.retryAfterSeconds };
  }
}

/** The room's platform is not configured here, or refused to create the meeting. */
export class MeetingPlatformError extends MeetingError {
  override name = 'MeetingPlatformError';
  readonly code = 'PLATFORM_UNAVAILABLE';
}
