// The built-in platform (SPEC §4): the default for development and tests. It
// makes no external calls and derives every URL from its inputs, so the same
// meeting always gets the same addresses.
import type { VideoPlatform } from './video-platform.js';

export function createLocalPlatform(options: { publicUrl: string }): VideoPlatform {
  const base = options.publicUrl.replace(/\/+$/, '');
  return {
    name: 'LOCAL',
    async createMeeting({ roomName, meetingId }) {
      const roomUrl = `${base}/video/${encodeURIComponent(roomName)}/${encodeURIComponent(meetingId)}`;
      // Hosts and guests get different addresses, as on Whereby, so callers cannot mix them up unnoticed.
      return { platformMeetingId: `local-${meetingId}`, roomUrl, hostRoomUrl: `${roomUrl}?host=1` };
    },
    async deleteMeeting() {
      // Nothing exists outside our database.
    },
  };
}
