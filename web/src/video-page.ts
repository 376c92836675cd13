// /video/NAME/ID: the built-in platform's stand-in for a video room. While it
// is open it holds a presence stream, which the server counts as a
// participant; closing the tab (or Leave) ends it.
import { errorText, request, subscribe } from './api.js';
import { h, mount, notify, plural } from './dom.js';
import { ParticipantCount, VideoMeeting } from './operations.js';

/** meetingId: the meeting's database id, as the local platform's link carries it. */
export function videoPage(roomName: string, meetingId: string): void {
  let globalId: string | null = null; // the meeting's GraphQL id, named by the presence stream
  const roomHref = `/room/${encodeURIComponent(roomName)}`;
  const count = h('span', { id: 'video-participants' }, '…');
  const heading = h('h1', {}, 'Meeting');
  const presence = new EventSource(`/video/${encodeURIComponent(roomName)}/${encodeURIComponent(meetingId)}/presence`);
  // The first event comes once the server has counted this page, so the count read then includes it.
  presence.addEventListener('meeting', (event) => {
    notify('You are in the meeting.');
    if (globalId !== null) return void showMeeting(); // a reconnect
    globalId = event.data;
    subscribe(
      ParticipantCount,
      { meetingId: event.data },
      ({ participantCount }) => (count.textContent = plural(participantCount.participantCount, 'participant')),
      () => {},
    );
    void showMeeting();
  });
  presence.addEventListener('error', () => {
    // The browser reconnects by itself unless the server refused the meeting.
    if (presence.readyState === EventSource.CLOSED) {
      heading.textContent = 'This meeting is not running';
      notify('This meeting is not running.');
    }
  });

  const leave = () => {
    presence.close();
    location.assign(roomHref);
  };
  mount(
    heading,
    h('p', {}, 'Local video room: a stand-in for a video platform during development.'),
    h('p', {}, count, ' in the meeting'),
    h('button', { type: 'button', onclick: leave }, 'Leave'),
    h('p', {}, h('a', { href: roomHref }, `Room ${roomName}`)),
  );

  async function showMeeting(): Promise<void> {
    try {
      const { room } = await request(VideoMeeting, { name: roomName });
      const meeting = room?.activeMeetings.find((candidate) => candidate.id === globalId);
      heading.textContent = meeting ? (meeting.title ?? 'Unscheduled meeting') : 'This meeting is not running';
      document.title = `${heading.textContent} · roomcal`;
      if (meeting) count.textContent = plural(meeting.participantCount, 'participant');
    } catch (error) {
      notify(`Could not load the meeting: ${errorText(error)}`);
    }
  }

}
