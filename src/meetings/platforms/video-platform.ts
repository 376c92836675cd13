// The video platform behind meetings (SPEC §4): the lifecycle creates a
// platform meeting when it pre-creates ours and deletes it when ours closes.

export interface CreatePlatformMeetingInput {
  roomName: string;
  /** Our database id of the meeting. */
  meetingId: string;
  startDate: Date;
  endDate: Date;
}

export interface PlatformMeeting {
  platformMeetingId: string;
  /** The address guests join. */
  roomUrl: string;
  /** The address hosts join (more rights on the platform); null when the platform has none. */
  hostRoomUrl: string | null;
}

/**
 * A platform call failed. `retryable` tells the caller whether trying again
 * later can help (timeouts, rate limits, server errors) or not (bad
 * credentials, a request the platform refuses, an answer we cannot use).
 * Messages never contain credentials.
 */
export class VideoPlatformError extends Error {
  override readonly name = 'VideoPlatformError';
  readonly retryable: boolean;
  readonly httpStatus?: number;

  constructor(message: string, options: { retryable: boolean; httpStatus?: number }) {
    super(message);
    this.retryable = options.retryable;
    if (options.httpStatus !== undefined) this.httpStatus = options.httpStatus;
  }
}

export interface VideoPlatform {
  readonly name: 'LOCAL' | 'WHEREBY';
  createMeeting(input: CreatePlatformMeetingInput): Promise<PlatformMeeting>;
  /** A meeting already gone on the platform is not an error. */
  deleteMeeting(platformMeetingId: string): Promise<void>;
}
