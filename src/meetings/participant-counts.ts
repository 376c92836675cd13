// Participant counts reported by the video platform's webhooks.
import type { Db } from '../db/client.js';
import type { AppPubSub } from '../realtime/pubsub.js';

export type ParticipantUpdate = 'applied' | 'stale';

/**
 * Sets the meeting's count as of `eventTime`. A report older than the one
 * applied last is ignored (webhooks can arrive out of order). Reaching zero
 * starts the empty-room grace period; a join during it cancels the close,
 * because the close rule needs a count of zero.
 */
export async function applyParticipantCount(
  deps: { db: Db; pubsub: AppPubSub },
  meeting: { id: string; firstJoinedAt: Date | null },
  input: { count: number; eventTime: Date; receivedAt: Date },
): Promise<ParticipantUpdate> {
  const { count } = await deps.db.meeting.updateMany({
    where: {
      id: meeting.id,
      OR: [{ participantCountAt: null }, { participantCountAt: { lte: input.eventTime } }],
    },
    data: {
      participantCount: input.count,
      participantCountAt: input.eventTime,
      ...(input.count === 0 ? { lastParticipantLeftAt: input.receivedAt } : {}),
      ...(input.count > 0 && meeting.firstJoinedAt === null ? { firstJoinedAt: input.receivedAt } : {}),
    },
  });
  if (count === 0) return 'stale';
  // Conditional, so concurrent reports cannot lower the peak.
  await deps.db.meeting.updateMany({ where: { id: meeting.id, peakParticipantCount: { lt: input.count } }, data: { peakParticipantCount: input.count } });
  deps.pubsub.publish('meeting:participants', meeting.id, { meetingId: meeting.id, participantCount: input.count });
  return 'applied';
}
