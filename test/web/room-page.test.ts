// The room page end to end in headless Chromium against a real server: the
// owner connects a calendar served by a local feed server, viewers see the
// meetings live, an early arrival waits on the server's clock (the browser's
// clock is minutes off) and enters at the start, and the local platform's
// meeting page reports presence that every open page sees as participant
// counts. The server's clock is injected; starts happen when the test says so.
// PGlite only: what is checked here is the page, storage is covered elsewhere.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, BrowserContext, Page, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateRoom, UpdateRoom } from '../api/operations.js';
import { TestClock } from '../support/clock.js';
import { icsCalendar, startFeedServer, type FeedServer, type IcsEventSpec } from '../support/feed-server.js';
import { freePort } from '../support/free-port.js';
import { resultAs } from '../support/results.js';
import { startTestServer, tokenFor, type TestServer } from '../support/test-server.js';
import { SyncRoomCalendar } from '../sync/operations.js';
import { buildWebClient, launchBrowser, SCREENSHOT_DIR } from './browser.js';

const ROOM = 'design';
const FEED_PATH = '/private/secret-token-123/basic.ics';
const day = (time: string) => new Date(`2026-12-01T${time}Z`);
/** Anonymous viewers' device clock runs this far ahead of the truth, the owner's behind. */
const VIEWER_CLOCK_SHIFT_MS = 7 * 60_000;
const OWNER_CLOCK_SHIFT_MS = -3 * 60_000;
const TOKEN_KEY = 'roomcal.token';

/** A context whose Date runs `shiftMs` off the real clock (timers untouched). */
async function contextWithClockShift(browser: Browser, shiftMs: number, token?: string): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 420, height: 900 } });
  await context.addInitScript(
    ({ shift, key, token }) => {
      const RealDate = Date;
      class ShiftedDate extends RealDate {
        constructor(...args: unknown[]) {
          if (args.length === 0) super(RealDate.now() + shift);
          else super(...(args as [string]));
        }
        static override now() {
          return RealDate.now() + shift;
        }
      }
      globalThis.Date = ShiftedDate as DateConstructor;
      if (token) localStorage.setItem(key, token);
    },
    { shift: shiftMs, key: TOKEN_KEY, token },
  );
  return context;
}

const pageText = (page: Page) => page.locator('main').innerText();

describe('room page in a browser', () => {
  const clock = new TestClock(day('09:50:00'));
  let feeds: FeedServer;
  let server: TestServer;
  let web: Awaited<ReturnType<typeof buildWebClient>>;
  let browser: Browser;
  let owner: Page;
  let viewer: Page;
  let viewers: BrowserContext;
  let publicUrl: string;

  const review: IcsEventSpec = {
    uid: 'review',
    summary: 'Design review',
    start: day('10:00:00'),
    end: day('10:30:00'),
    location: '',
    description: 'Agenda: the new lobby signage',
    organizer: 'lead@example.com',
    attendees: [
      'ATTENDEE;CN=Ana Lima;PARTSTAT=ACCEPTED:mailto:ana@example.com',
      'ATTENDEE;CN=Bo Chen;PARTSTAT=DECLINED:mailto:bo@example.com',
    ],
  };

  const standup: IcsEventSpec = { uid: 'standup', summary: 'Standup', start: day('10:15:00'), end: day('10:30:00'), location: '' };

  beforeAll(async () => {
    const port = await freePort();
    publicUrl = `http://127.0.0.1:${port}`;
    review.location = `${publicUrl}/${ROOM}`;
    standup.location = `${publicUrl}/room/${ROOM}`;
    [feeds, web, browser] = await Promise.all([startFeedServer(), buildWebClient(), launchBrowser()]);
    feeds.serve(FEED_PATH, { body: icsCalendar([review]) });
    server = await startTestServer('pglite', {
      clock,
      env: {
        PORT: String(port),
        PUBLIC_URL: publicUrl,
        WEB_DIR: web.dir,
        ICS_ALLOW_HTTP: 'true',
        ICS_ALLOW_PRIVATE_NETWORKS: 'true',
        SYNC_ENABLED: 'false',
        MEETINGS_ENABLED: 'false',
        MANUAL_SYNC_MIN_INTERVAL_SECONDS: '0',
      },
    });
    const created = await server.request(CreateRoom, { input: { name: ROOM } }, { as: 'owner' });
    resultAs(created.body.data?.createRoom, 'CreateRoomSuccess');
    const ownerContext = await contextWithClockShift(browser, OWNER_CLOCK_SHIFT_MS, await tokenFor('owner', { now: clock.now(), expiresIn: '12h' }));
    viewers = await contextWithClockShift(browser, VIEWER_CLOCK_SHIFT_MS);
    [owner, viewer] = await Promise.all([ownerContext.newPage(), viewers.newPage()]);
    await mkdir(SCREENSHOT_DIR, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await feeds?.close();
    await web?.remove();
  });

  it('serves the pages next to the API without shadowing it', async () => {
    for (const page of [`/${ROOM}`, `/room/${ROOM}`, `/room/${ROOM}/settings`, `/video/${ROOM}/6f1c5a52-4a7e-4d0c-9a43-3c1f9a1c0b11`]) {
      const response = await fetch(`${server.url}${page}`);
      expect(response.status, page).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    }
    expect((await fetch(`${server.url}/health`)).headers.get('content-type')).toMatch(/json/);
    expect((await fetch(`${server.url}/graphql?query=%7BserverTime%7D`)).status).toBe(200);
    for (const path of ['/room/api', '/room/room', '/room/Design', '/assets/..%2fpackage.json', '/video/design/not-a-uuid']) {
      expect((await fetch(`${server.url}${path}`)).status, path).toBe(404);
    }
    // Presence only for a running meeting of the local platform.
    expect((await fetch(`${server.url}/video/${ROOM}/6f1c5a52-4a7e-4d0c-9a43-3c1f9a1c0b11/presence`)).status).toBe(404);
  });

  it('the owner connects the calendar on the settings page and sees the sync live', async () => {
    await owner.goto(`${server.url}/room/${ROOM}/settings`);
    await owner.getByLabel('ICS feed URL').fill(feeds.url(FEED_PATH));
    await owner.getByLabel('Sync this calendar').check();
    await owner.getByLabel('Fetch every').selectOption({ label: '1 minute' });
    await owner.getByRole('button', { name: 'Save' }).click();
    await owner.getByText('Saved.').waitFor();
    const hint = await owner.locator('#ics-url-hint').innerText();
    expect(hint).toContain('basic.ics');
    expect(hint).not.toContain('secret-token-123');

    await owner.getByLabel('ICS feed URL').fill(feeds.url(FEED_PATH));
    await owner.getByRole('button', { name: 'Test connection' }).click();
    await owner.getByText('The feed works: 1 event, 1 in the next day, 1 for this room.').waitFor();
    // A feed that fails is the mutation's typed FeedError, shown with its message.
    await owner.getByLabel('ICS feed URL').fill(feeds.url('/private/missing.ics'));
    await owner.getByRole('button', { name: 'Test connection' }).click();
    await owner.getByText(/^The feed does not work: .*404/).waitFor();

    await server.waitForSubscribers('room:sync', 1);
    await owner.getByRole('button', { name: 'Sync now' }).click();
    // The outcome arrives through the syncStatus subscription.
    await owner.locator('.status dd', { hasText: 'success, 1 event for this room' }).waitFor();
    expect(await owner.locator('#sync-error').innerText()).toBe('none');
    await owner.screenshot({ path: path.join(SCREENSHOT_DIR, 'settings.png'), fullPage: true });
  });

  it('an anonymous viewer sees titles and a ticking countdown, no attendees, organizer or description', async () => {
    await viewer.goto(`${publicUrl}/${ROOM}`);
    await viewer.locator('#upcoming', { hasText: 'Design review' }).waitFor();
    const countdown = viewer.locator('#upcoming [role=timer]');
    // 10 minutes on the server's clock, although this browser's clock is 7 minutes ahead.
    const first = await countdown.innerText();
    expect(first).toMatch(/^(9:[0-5]\d|10:00)$/);
    await viewer.waitForFunction((shown) => document.querySelector('#upcoming [role=timer]')?.textContent !== shown, first);
    const text = await pageText(viewer);
    for (const secret of ['Agenda', 'ana@example.com', 'Ana Lima', 'lead@example.com', 'Organizer', 'accepted']) expect(text).not.toContain(secret);
    expect(text).toContain('(30 min)');
    expect(await viewer.getByRole('link', { name: 'Calendar settings' }).count()).toBe(0);

    const settings = await viewers.newPage();
    await settings.goto(`${server.url}/room/${ROOM}/settings`);
    await settings.getByText('Only the room owner can see and change these settings.').waitFor();
    expect(await settings.locator('main input').count()).toBe(0);
    await settings.close();
  });

  it('the owner sees the description, the organizer and the attendees with their RSVP', async () => {
    await owner.goto(`${server.url}/room/${ROOM}`);
    await owner.locator('#upcoming', { hasText: 'Design review' }).waitFor();
    const text = await pageText(owner);
    expect(text).toContain('Agenda: the new lobby signage');
    expect(text).toContain('Organizer: Organizer <lead@example.com>');
    expect(text).toContain('Ana Lima <ana@example.com> — accepted');
    expect(text).toContain('Bo Chen <bo@example.com> — declined');
    expect(await owner.locator('#upcoming [role=timer]').innerText()).toMatch(/^(9:[0-5]\d|10:00)$/);
  });

  it('a meeting synced while the page is open appears without a reload', async () => {
    await server.waitForSubscribers('room:schedule', 2); // the viewer's and the owner's page
    await viewer.getByRole('button', { name: 'Join Design review early' }).focus(); // a keyboard user about to join
    feeds.serve(FEED_PATH, { body: icsCalendar([review, standup]) });
    const synced = await server.request(SyncRoomCalendar, { roomName: ROOM }, { as: 'owner' });
    expect(resultAs(synced.body.data?.syncRoomCalendar, 'SyncRoomCalendarSuccess').result.status).toBe('SUCCESS');
    await Promise.all([viewer, owner].map((page) => page.locator('#upcoming', { hasText: 'Standup' }).waitFor()));
    // The list was rebuilt under the keyboard user, who is still on the same button.
    expect(await viewer.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Join Design review early');
  });

  it('a page whose live connection dropped reconnects and catches up on what it missed', async () => {
    const page = await viewers.newPage();
    let refuse = false;
    const connections: Array<{ page: WebSocketRoute; server: WebSocketRoute }> = [];
    await page.routeWebSocket(/\/graphql$/, (socket) => {
      if (refuse) return void socket.close({ code: 1001, reason: 'going away' });
      connections.push({ page: socket, server: socket.connectToServer() });
    });
    await page.goto(`${server.url}/room/${ROOM}`);
    await page.locator('#upcoming', { hasText: 'Standup' }).waitFor();
    await server.waitForSubscribers('room:schedule', 3);

    refuse = true;
    await Promise.all([connections[0]!.server.close(), connections[0]!.page.close({ code: 1001, reason: 'going away' })]);
    await server.waitForSubscribers('room:schedule', 2);
    const retro: IcsEventSpec = { uid: 'retro', summary: 'Retro', start: day('10:20:00'), end: day('10:30:00'), location: `${publicUrl}/${ROOM}` };
    feeds.serve(FEED_PATH, { body: icsCalendar([review, standup, retro]) });
    const synced = await server.request(SyncRoomCalendar, { roomName: ROOM }, { as: 'owner' });
    expect(resultAs(synced.body.data?.syncRoomCalendar, 'SyncRoomCalendarSuccess').result.status).toBe('SUCCESS');
    refuse = false;

    // Missed while disconnected: the page re-reads the room once it is back, and its subscriptions resume.
    await page.locator('#upcoming', { hasText: 'Retro' }).waitFor();
    await server.waitForSubscribers('room:schedule', 3);
    expect(connections.length).toBeGreaterThan(1);
    await page.close();
  });

  let meetingUrl: string;

  it('joining early waits on the server clock and enters the meeting when the server starts it', async () => {
    clock.set(day('09:58:00'));
    const waiter = await viewers.newPage();
    await waiter.goto(`${server.url}/room/${ROOM}`);
    expect(await waiter.evaluate(() => Date.now())).toBeGreaterThan(Date.now() + VIEWER_CLOCK_SHIFT_MS - 60_000);
    await waiter.getByRole('button', { name: 'Join Design review early' }).click();
    await waiter.getByRole('heading', { name: 'Waiting for Design review' }).waitFor();
    // Two minutes to go by the server; by this browser's own clock it would have started 5 minutes ago.
    expect(await waiter.locator('#waiting-countdown').innerText()).toMatch(/^(1:[0-5]\d|2:00)$/);
    await waiter.screenshot({ path: path.join(SCREENSHOT_DIR, 'waiting.png') });

    await server.waitForSubscribers('room:meeting-started', 3); // viewer, owner, waiter
    clock.set(day('10:00:00'));
    await server.app.services.meetings.tick(); // pre-creates the meeting and publishes its start
    await waiter.waitForURL(new RegExp(`/video/${ROOM}/[0-9a-f-]{36}$`));
    await waiter.getByRole('heading', { name: 'Design review' }).waitFor();
    meetingUrl = waiter.url();
    await waiter.locator('#video-participants', { hasText: '1 participant' }).waitFor();
  });

  it('participant counts update live on every open page as meeting pages open and close', async () => {
    await Promise.all([viewer, owner].map((page) => page.locator('#running', { hasText: 'Design review' }).waitFor()));
    // The two room pages and the meeting page follow the count.
    await server.waitForSubscribers('meeting:participants', 3);
    const second = await viewers.newPage();
    await second.goto(meetingUrl);
    await Promise.all(
      [viewer, owner].map((page) => page.locator('#running [data-participants]', { hasText: '2 participants' }).waitFor()),
    );
    await owner.screenshot({ path: path.join(SCREENSHOT_DIR, 'owner.png'), fullPage: true });
    await viewer.screenshot({ path: path.join(SCREENSHOT_DIR, 'participant.png'), fullPage: true });

    await second.close();
    await owner.locator('#running [data-participants]', { hasText: '1 participant' }).waitFor();
    const [waiter] = viewers.pages().filter((page) => page.url() === meetingUrl);
    await waiter!.getByRole('button', { name: 'Leave' }).click();
    await waiter!.waitForURL(new RegExp(`/room/${ROOM}$`));
    await viewer.locator('#running [data-participants]', { hasText: '0 participants' }).waitFor();
    const meetingId = meetingUrl.split('/').at(-1)!;
    // Presence is only for the meeting's own room.
    const created = await server.request(CreateRoom, { input: { name: 'elsewhere' } }, { as: 'owner' });
    resultAs(created.body.data?.createRoom, 'CreateRoomSuccess');
    expect((await fetch(`${server.url}/video/elsewhere/${meetingId}/presence`)).status).toBe(404);
    const stored = await server.app.services.db.meeting.findUniqueOrThrow({ where: { id: meetingId } });
    expect(stored.participantCount).toBe(0);
    expect(stored.lastParticipantLeftAt?.toISOString()).toBe(day('10:00:00').toISOString()); // the grace period starts

    // Nobody came back within the grace period: the meeting closes and leaves every open page.
    clock.set(day('10:15:01'));
    await server.app.services.meetings.tick();
    await viewer.waitForFunction(() => !document.querySelector('#running')?.textContent?.includes('Design review'));
    const closed = await server.app.services.db.meeting.findUniqueOrThrow({ where: { id: meetingId } });
    expect(closed.closeReason).toBe('empty_after_grace');
  });

  it('the owner starts an unscheduled meeting from the page', async () => {
    await owner.getByRole('button', { name: 'Start a new meeting' }).click();
    await owner.waitForURL(new RegExp(`/video/${ROOM}/[0-9a-f-]{36}\\?host=1$`));
    await owner.getByRole('heading', { name: 'Unscheduled meeting' }).waitFor();
    await viewer.locator('#running', { hasText: 'Unscheduled meeting' }).waitFor();
  });

  it('offers "Start a new meeting" to anyone by default, and only to the owner once the room is restricted', async () => {
    const anonymous = await viewers.newPage();
    await anonymous.goto(`${server.url}/room/${ROOM}`);
    await anonymous.getByRole('button', { name: 'Start a new meeting' }).click();
    await anonymous.waitForURL(new RegExp(`/video/${ROOM}/[0-9a-f-]{36}$`)); // a guest's link, not the host's
    await anonymous.getByRole('heading', { name: 'Unscheduled meeting' }).waitFor();
    await anonymous.close();

    const restricted = await server.request(UpdateRoom, { name: ROOM, input: { meetingStartPolicy: 'OWNER' } }, { as: 'owner' });
    resultAs(restricted.body.data?.updateRoom, 'UpdateRoomSuccess');
    for (const page of [viewer, owner]) {
      await page.goto(`${server.url}/room/${ROOM}`); // the owner is on the meeting page they started
      await page.locator('#running', { hasText: 'Unscheduled meeting' }).waitFor();
    }
    expect(await viewer.getByRole('button', { name: 'Start a new meeting' }).count()).toBe(0);
    expect(await owner.getByRole('button', { name: 'Start a new meeting' }).count()).toBe(1);
  });
});
