// /room/NAME/settings: the owner's calendar feed settings and its sync status,
// live through syncStatus.
import { errorText, request, subscribe, succeeded } from './api.js';
import { dateTime, h, mount, notify, plural } from './dom.js';
import type { FetchInterval } from './generated/graphql.js';
import { ClearIcs, RoomSettings, SyncNow, SyncStatus, TestIcsUrl, toSyncView, UpdateIcs } from './operations.js';
import type { SyncView } from './view-model.js';

const INTERVALS: Array<[interval: FetchInterval, label: string]> = [
  ['EVERY_MINUTE', '1 minute'],
  ['EVERY_5_MINUTES', '5 minutes'],
  ['EVERY_10_MINUTES', '10 minutes'],
  ['EVERY_30_MINUTES', '30 minutes'],
  ['EVERY_HOUR', '1 hour'],
];

export function settingsPage(roomName: string): void {
  const roomHref = `/room/${encodeURIComponent(roomName)}`;
  const urlInput = h('input', { id: 'ics-url', name: 'url', type: 'url', inputmode: 'url', autocomplete: 'off', spellcheck: 'false', placeholder: 'https://calendar.example.com/….ics' });
  const urlHint = h('p', { id: 'ics-url-hint', class: 'hint' });
  const enabledInput = h('input', { id: 'ics-enabled', name: 'enabled', type: 'checkbox' });
  const intervalSelect = h('select', { id: 'ics-interval', name: 'interval' }, ...INTERVALS.map(([interval, label]) => h('option', { value: interval }, label)));
  const phase = h('span', { id: 'sync-phase' }, 'idle');
  const status = h('dl', { class: 'status' });

  function showStatus(sync: SyncView): void {
    urlHint.textContent = sync.maskedUrl ? `Saved feed: ${sync.maskedUrl} — leave the field empty to keep it.` : 'No feed saved yet.';
    enabledInput.checked = sync.enabled;
    intervalSelect.value = sync.interval;
    const row = (term: string, value: Node | string) => [h('dt', {}, term), h('dd', {}, value)];
    status.replaceChildren(
      ...row('Sync', phase),
      ...row('Last sync', dateTime(sync.lastSyncAt)),
      ...row('Outcome', sync.lastOutcome ? `${sync.lastOutcome.toLowerCase()}${sync.eventsMatched === null ? '' : `, ${plural(sync.eventsMatched, 'event')} for this room`}` : '–'),
      ...row('Next sync', sync.enabled ? dateTime(sync.nextSyncAt) : 'off'),
      ...row('Last error', h('span', { id: 'sync-error' }, sync.lastError ?? 'none')),
    );
  }

  async function act(label: string, run: () => Promise<string>): Promise<void> {
    notify(`${label}…`);
    try {
      notify(await run());
    } catch (error) {
      notify(`${label} failed: ${errorText(error)}`);
    }
  }

  const save = (event: Event) => {
    event.preventDefault();
    void act('Saving', async () => {
      const url = urlInput.value.trim();
      const ics = { enabled: enabledInput.checked, fetchInterval: intervalSelect.value as FetchInterval, ...(url ? { url } : {}) };
      const { room } = succeeded((await request(UpdateIcs, { name: roomName, ics })).updateRoom, 'UpdateRoomSuccess');
      urlInput.value = '';
      if (room.ics) showStatus(toSyncView(room.ics));
      return 'Saved.';
    });
  };
  const removeFeed = () =>
    act('Removing the feed', async () => {
      const { room } = succeeded((await request(ClearIcs, { roomName })).clearIcsUrl, 'ClearIcsUrlSuccess');
      if (room.ics) showStatus(toSyncView(room.ics));
      return 'Feed removed; sync is off.';
    });
  const testFeed = () =>
    act('Testing the feed', async () => {
      const url = urlInput.value.trim();
      if (!url) return 'Enter the feed URL to test it (the saved one is kept hidden).';
      const { testIcsUrl: result } = await request(TestIcsUrl, { url, roomName });
      if (result.__typename === 'FeedError') return `The feed does not work: ${result.message}`;
      const { report } = succeeded(result, 'TestIcsUrlSuccess');
      return `The feed works: ${plural(report.eventsInFeed, 'event')}, ${report.eventsInWindow} in the next day, ${report.eventsMatched ?? 0} for this room.`;
    });
  const syncNow = () =>
    act('Syncing', async () => {
      const { result } = succeeded((await request(SyncNow, { roomName })).syncRoomCalendar, 'SyncRoomCalendarSuccess');
      return result.error ? `Sync ${result.status.toLowerCase()}: ${result.error}` : `Sync ${result.status.toLowerCase()}.`;
    });

  async function load(): Promise<void> {
    const { room } = await request(RoomSettings, { name: roomName });
    if (!room) return mount(h('h1', {}, `Room ${roomName}`), h('p', {}, 'There is no room with this name.'));
    if (!room.isOwner || !room.ics) {
      return mount(h('h1', {}, `Settings of ${roomName}`), h('p', {}, 'Only the room owner can see and change these settings. Sign in as the owner.'), h('a', { href: roomHref }, 'Back to the room'));
    }
    document.title = `Settings · ${roomName} · roomcal`;
    mount(
      h('h1', {}, `Settings of ${roomName}`),
      h('p', {}, h('a', { href: roomHref }, 'Back to the room')),
      h(
        'form',
        { class: 'settings', onsubmit: save },
        h('h2', {}, 'Calendar feed'),
        h('label', { for: 'ics-url' }, 'ICS feed URL'),
        urlInput,
        urlHint,
        h('label', { class: 'inline' }, enabledInput, ' Sync this calendar'),
        h('label', { for: 'ics-interval' }, 'Fetch every'),
        intervalSelect,
        h(
          'div',
          { class: 'actions' },
          h('button', { type: 'submit' }, 'Save'),
          h('button', { type: 'button', onclick: testFeed }, 'Test connection'),
          h('button', { type: 'button', onclick: syncNow }, 'Sync now'),
          h('button', { type: 'button', onclick: removeFeed }, 'Remove feed'),
        ),
      ),
      h('section', { 'aria-labelledby': 'status-heading' }, h('h2', { id: 'status-heading' }, 'Sync status'), status),
    );
    showStatus(toSyncView(room.ics));
    subscribe(
      SyncStatus,
      { roomName },
      ({ syncStatus }) => {
        phase.textContent = syncStatus.phase === 'STARTED' ? 'running…' : 'idle';
        if (syncStatus.room?.ics) showStatus(toSyncView(syncStatus.room.ics));
      },
      (error) => notify(`Live status stopped: ${error.message}`),
    );
  }

  load().catch((error: unknown) => notify(`Could not load the settings: ${errorText(error)}`));
}
