// Presence for the built-in (LOCAL) video platform's stand-in meeting page.
// The page holds GET /video/NAME/ID/presence open as a server-sent event
// stream; each open stream is one participant. Its first event names the
// meeting's GraphQL id. Opening and closing a stream
// become the same participant counts a platform webhook would report, so
// counts, grace periods and closes work end to end in development without an
// external platform and without the browser knowing LOCAL_WEBHOOK_SECRET.
//
// Counts live in this process: with several instances each one reports only
// its own streams. That is acceptable for the development platform only.
import type { ServerResponse } from 'node:http';
import { encodeGlobalID } from '@pothos/plugin-relay';
import type { AppServices } from '../app-services.js';
import { applyParticipantCount } from '../meetings/participant-counts.js';

/** A browser tab sends a comment this often so that proxies keep the stream open. */
const KEEPALIVE_MS = 25_000;
/** Streams one meeting may hold open on this instance (a stand-in, not a conference system). */
const MAX_STREAMS_PER_MEETING = 100;

export interface LocalPresence {
  /** Serves one presence stream for an active LOCAL meeting of the room; 404 otherwise. */
  open(res: ServerResponse, roomName: string, meetingId: string): Promise<void>;
  /** Ends every stream and waits until their leaves are recorded. */
  close(): Promise<void>;
}

export function createLocalPresence(services: AppServices): LocalPresence {
  const streams = new Map<string, Set<ServerResponse>>();
  // One chain per meeting, so counts reach the database in the order they happened.
  const writes = new Map<string, Promise<void>>();
  const leaving = new Map<ServerResponse, Promise<void>>();

  function report(meetingId: string): void {
    const previous = writes.get(meetingId) ?? Promise.resolve();
    const next = previous.then(async () => {
      const count = streams.get(meetingId)?.size ?? 0;
      const meeting = await services.db.meeting.findUnique({ where: { id: meetingId }, select: { id: true, firstJoinedAt: true } });
      if (!meeting) return;
      const now = services.clock.now();
      await applyParticipantCount(services, meeting, { count, eventTime: now, receivedAt: now });
    });
    const settled = next.catch((error: unknown) => services.logger.warn({ err: error, meetingId }, 'local presence: count not recorded'));
    writes.set(meetingId, settled);
    void settled.then(() => {
      if (writes.get(meetingId) === settled) writes.delete(meetingId);
    });
  }

  return {
    async open(res, roomName, meetingId) {
      const meeting = await services.db.meeting.findFirst({
        where: { id: meetingId, platform: 'LOCAL', isActive: true, room: { name: roomName } },
        select: { id: true, startDate: true },
      });
      if (!meeting || meeting.startDate > services.clock.now()) {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('No running meeting of the local platform here');
        return;
      }
      const open = streams.get(meeting.id) ?? new Set<ServerResponse>();
      if (open.size >= MAX_STREAMS_PER_MEETING) {
        res.writeHead(429, { 'content-type': 'text/plain; charset=utf-8' }).end('This meeting is full');
        return;
      }
      open.add(res);
      streams.set(meeting.id, open);
      let keepalive: NodeJS.Timeout | undefined;
      // 'close' fires when the tab goes away, the network drops or close() below ends the stream.
      const left = new Promise<void>((resolve) =>
        res.once('close', () => {
          clearInterval(keepalive);
          open.delete(res);
          if (open.size === 0) streams.delete(meeting.id);
          report(meeting.id);
          resolve();
        }),
      );
      leaving.set(res, left);
      void left.then(() => leaving.delete(res));
      report(meeting.id);
      // The page learns it is in once its join is counted, so a count it reads then includes it.
      await writes.get(meeting.id);
      if (res.destroyed) return;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
      // The meeting's GraphQL id, which the page subscribes to participant counts with.
      res.write(`event: meeting\ndata: ${encodeGlobalID('Meeting', meeting.id)}\n\n`);
      keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
    },
    async close() {
      const pending = [...leaving.values()];
      for (const res of leaving.keys()) res.destroy();
      await Promise.all(pending);
      await Promise.all(writes.values());
    },
  };
}
