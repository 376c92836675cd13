// Failures of meeting use cases a caller can act on. Each is its own class so
// the API can map it to a GraphQL error or a typed result.
export abstract class MeetingError extends Error {}

export class SignInRequiredError extends MeetingError {
  override name = 'SignInRequiredError';
  constructor() {
    super('Sign in to start a meeting');
  }
}

export class NotAllowedToStartMeetingError extends MeetingError {
  override name = 'NotAllowedToStartMeetingError';
  constructor() {
    super("Only the room's owner can start meetings in this room");
  }
}

export class TooManyUnscheduledMeetingsError extends MeetingError {
  override name = 'TooManyUnscheduledMeetingsError';
  constructor(
    active: number,
    readonly retryAfterSeconds: number,
  ) {
    super(`This room already has ${active} unscheduled meetings running`);
  }
}

/** The room's platform is not configured here, or refused to create the meeting. */
export class MeetingPlatformError extends MeetingError {
  override name = 'MeetingPlatformError';
}
