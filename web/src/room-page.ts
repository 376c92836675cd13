// /room/NAME (and /NAME): the meeting selection page. Running meetings with
// participant counts and how long they run; meetings starting within 30
// minutes with a countdown; join, join early (the waiting page), start an
// unscheduled meeting. Everything stays live through subscriptions.
import { ApiError, errorText, onReconnect, request, subscribe, succeeded } from './api.js';
import { h, mount, notify, plural, timeRange } from './dom.js';
import { CreateMeeting, JoinMeeting, MeetingStarted, ParticipantCount, RoomPage, RoomScheduleChanged, startedSlot, toRoomView } from './operations.js';
import { syncServerClock } from './server-clock.js';
import { everySecond, tick } from './ticker.js';
import type { MeetingView, OwnerDetails, Person, RoomView } from './view-model.js';

/** Meetings become visible 30 minutes before their start; re-read now and then so the window's edge moves. */
const REFRESH_MS = 60_000;

const RSVP: Record<string, string> = {
  ACCEPTED: 'accepted',
  DECLINED: 'declined',
  TENTATIVE: 'maybe',
  NEEDS_ACTION: 'no answer yet',
  DELEGATED: 'delegated',
};

function personText(person: Person): string {
  const label = person.name && person.email ? `${person.name} <${person.email}>` : (person.name ?? person.email ?? 'unknown');
  return person.isOrganizer ? `${label} (organizer)` : label;
}

function ownerDetails(details: OwnerDetails | null): Node | null {
  if (!details) return null;
  return h(
    'div',
    { class: 'owner-details' },
    details.description ? h('p', { class: 'description' }, details.description) : null,
    details.organizer ? h('p', {}, 'Organizer: ', personText(details.organizer)) : null,
    details.attendees.length > 0
      ? h(
          'ul',
          { class: 'attendees', 'aria-label': 'Attendees' },
          ...details.attendees.map((person) =>
            h('li', {}, personText(person), ' — ', h('span', { class: 'rsvp' }, RSVP[person.rsvp ?? ''] ?? person.rsvp?.toLowerCase() ?? 'no answer yet')),
          ),
        )
      : null,
  );
}

const participantsText = (count: number) => plural(count, 'participant');

export function roomPage(roomName: string): void {
  let view: RoomView | null = null;
  let live = false;
  let waitingFor: MeetingView | null = null;
  const countSubscriptions = new Map<string, () => void>();

  async function load(): Promise<void> {
    try {
      const [data] = await Promise.all([request(RoomPage, { name: roomName }), syncServerClock()]);
      show(data.room ? toRoomView(data.room) : null);
    } catch (error) {
      notify(`Could not load the room: ${errorText(error)}`);
    }
  }

  function show(next: RoomView | null): void {
    view = next;
    if (next && !live) startLive();
    // Pre-created upcoming meetings too: their counts are then followed from before anyone can join.
    followParticipantCounts(next ? [...next.active, ...next.upcoming] : []);
    if (waitingFor) return; // the waiting page stays until it enters its meeting
    if (!next) {
      mount(h('h1', {}, `Room ${roomName}`), h('p', {}, 'There is no room with this name.'));
      return;
    }
    render(next);
  }

  function render(room: RoomView): void {
    document.title = `${room.name} · roomcal`;
    const refocus = focusedButton();
    mount(
      h('h1', {}, `Room ${room.name}`),
      room.isOwner ? h('p', {}, h('a', { href: `/room/${encodeURIComponent(room.name)}/settings` }, 'Calendar settings')) : null,
      h(
        'section',
        { 'aria-labelledby': 'running-heading' },
        h('h2', { id: 'running-heading' }, 'Running now'),
        room.active.length > 0
          ? h('ul', { class: 'meetings', id: 'running' }, ...room.active.map(activeItem))
          : h('p', {}, 'No meeting is running.'),
        room.mayStartMeeting ? h('button', { type: 'button', onclick: startMeeting }, 'Start a new meeting') : null,
      ),
      h(
        'section',
        { 'aria-labelledby': 'soon-heading' },
        h('h2', { id: 'soon-heading' }, 'Starting soon'),
        room.upcoming.length > 0
          ? h('ul', { class: 'meetings', id: 'upcoming' }, ...room.upcoming.map(upcomingItem))
          : h('p', {}, 'Nothing starts in the next 30 minutes.'),
      ),
    );
    refocus();
    tick();
  }

  /** Live updates re-render the list; keyboard users keep their place on the same meeting's button. */
  function focusedButton(): () => void {
    const focused = document.activeElement;
    if (!(focused instanceof HTMLButtonElement) || !focused.closest('main')) return () => {};
    const meeting = focused.closest<HTMLElement>('[data-meeting]')?.dataset.meeting;
    const label = focused.textContent;
    return () => {
      const scope = meeting ? document.querySelector(`[data-meeting="${CSS.escape(meeting)}"]`) : document.querySelector('main');
      [...(scope?.querySelectorAll('button') ?? [])].find((button) => button.textContent === label)?.focus();
    };
  }

  /** One meeting in a list: title, a line about its times, the owner's details, one action. */
  function meetingItem(meeting: MeetingView, title: string, timing: Array<Node | string>, action: HTMLElement): HTMLElement {
    return h(
      'li',
      { class: 'meeting', 'data-meeting': meeting.key },
      h('h3', {}, title),
      h('p', {}, timeRange(meeting.startsAt, meeting.endsAt), ...timing),
      ownerDetails(meeting.details),
      action,
    );
  }

  function activeItem(meeting: MeetingView): HTMLElement {
    const title = meeting.title ?? 'Unscheduled meeting';
    return meetingItem(
      meeting,
      title,
      [
        ' · running for ',
        h('span', { 'data-since': meeting.startsAt }),
        ' · ',
        h('span', { 'data-participants': meeting.meetingId }, participantsText(meeting.participantCount)),
      ],
      h('button', { type: 'button', 'aria-label': `Join ${title}`, onclick: () => join(meeting) }, 'Join'),
    );
  }

  function upcomingItem(meeting: MeetingView): HTMLElement {
    const title = meeting.title ?? 'Meeting';
    return meetingItem(
      meeting,
      title,
      [` (${Math.round((meeting.endsAt - meeting.startsAt) / 60_000)} min) · starts in `, h('span', { role: 'timer', 'data-until': meeting.startsAt })],
      h('button', { type: 'button', 'aria-label': `Join ${title} early`, onclick: () => wait(meeting) }, 'Join early'),
    );
  }

  function followParticipantCounts(meetings: MeetingView[]): void {
    const ids = new Set(meetings.map((meeting) => meeting.meetingId).filter((id): id is string => id !== null));
    for (const [id, stop] of countSubscriptions) {
      if (!ids.has(id)) {
        stop();
        countSubscriptions.delete(id);
      }
    }
    for (const id of ids) {
      if (countSubscriptions.has(id)) continue;
      const stop = subscribe(
        ParticipantCount,
        { meetingId: id },
        ({ participantCount: update }) => {
          const meeting = view?.active.find((candidate) => candidate.meetingId === update.meetingId);
          if (meeting) meeting.participantCount = update.participantCount;
          for (const element of document.querySelectorAll(`[data-participants="${update.meetingId}"]`)) {
            element.textContent = participantsText(update.participantCount);
          }
        },
        () => {},
      );
      countSubscriptions.set(id, stop);
    }
  }

  async function join(meeting: { meetingId: string | null }): Promise<boolean> {
    if (!meeting.meetingId) return false;
    try {
      const { join } = succeeded((await request(JoinMeeting, { roomName, meetingId: meeting.meetingId })).joinMeeting, 'JoinMeetingSuccess');
      const url = join.meeting.hostRoomUrl ?? join.roomUrl;
      if (join.state !== 'JOIN' || !url) return false;
      location.assign(url);
      return true;
    } catch (error) {
      notify(`Could not join: ${errorText(error)}`);
      return false;
    }
  }

  async function startMeeting(): Promise<void> {
    try {
      const { meeting } = succeeded((await request(CreateMeeting, { roomName })).createMeeting, 'CreateMeetingSuccess');
      await join({ meetingId: meeting.id });
    } catch (error) {
      const reason = error instanceof ApiError && error.code === 'UNAUTHENTICATED' ? 'sign in first' : errorText(error);
      notify(`Could not start a meeting: ${reason}`);
    }
  }

  // ---- the waiting page: early arrivals wait for the server to announce the start

  function wait(meeting: MeetingView): void {
    waitingFor = meeting;
    askedAtStart = false;
    const title = meeting.title ?? 'the meeting';
    document.title = `Waiting for ${title} · roomcal`;
    mount(
      h('h1', {}, `Waiting for ${title}`),
      h('p', { class: 'countdown' }, 'Starts in ', h('span', { role: 'timer', id: 'waiting-countdown', 'data-until': meeting.startsAt })),
      h('p', { id: 'waiting-state' }, 'This page opens the meeting as soon as it starts.'),
      h('button', { type: 'button', onclick: stopWaiting }, 'Back to the room'),
    );
    tick();
  }

  function stopWaiting(): void {
    waitingFor = null;
    if (view) render(view);
    else void load();
  }

  /** Asks the server whether the awaited meeting runs; enters it when it does. Never decided by the device's clock. */
  async function tryEnter(started?: { meetingId: string; startsAt: number; endsAt: number }): Promise<void> {
    const awaited = waitingFor;
    if (!awaited) return;
    let meetingId = awaited.meetingId;
    const sameSlot = started && started.startsAt === awaited.startsAt && started.endsAt === awaited.endsAt;
    if (started && (started.meetingId === meetingId || (!meetingId && sameSlot))) meetingId = started.meetingId;
    else if (started) return; // another meeting of the room
    if (!meetingId) {
      // Not pre-created when the page was opened: find it among the running ones.
      const data = await request(RoomPage, { name: roomName });
      const room = data.room ? toRoomView(data.room) : null;
      const running = room?.active.find((candidate) => candidate.startsAt === awaited.startsAt && candidate.endsAt === awaited.endsAt);
      meetingId = running?.meetingId ?? null;
    }
    if (meetingId && (await join({ meetingId }))) return;
    const state = document.getElementById('waiting-state');
    if (state) state.textContent = 'Starting… the page opens the meeting as soon as the server starts it.';
  }

  let askedAtStart = false;
  everySecond((now) => {
    if (!waitingFor || askedAtStart || now < waitingFor.startsAt) return;
    askedAtStart = true; // once; meetingStarted or a reconnect decide after that
    void tryEnter();
  });

  /** Subscriptions, once the room is known to exist. */
  function startLive(): void {
    live = true;
    subscribe(MeetingStarted, { roomName }, ({ meetingStarted }) => void tryEnter(startedSlot(meetingStarted)), () => {});
    subscribe(RoomScheduleChanged, { roomName }, ({ roomScheduleChanged }) => show(roomScheduleChanged ? toRoomView(roomScheduleChanged) : null), (error) =>
      notify(`Live updates stopped: ${error.message}`),
    );
  }

  onReconnect(() => {
    void load();
    void tryEnter();
  });
  setInterval(() => void load(), REFRESH_MS);
  void load();
}
