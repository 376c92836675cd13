// The room page (web/, built by `npm run build:web` into WEB_DIR) on the
// server's own origin:
//   /NAME, /room/NAME            meeting selection page (a room's public address)
//   /room/NAME/settings          the owner's calendar settings
//   /video/NAME/ID               the local platform's stand-in meeting page
//   /video/NAME/ID/presence      that page's presence stream (local-presence.ts)
//   /assets/*                    the built scripts and styles
// Room names are slugs and the server's own route names are reserved
// (src/rooms/room-name.ts), so /graphql, /health, /metrics … never match here.
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { AppServices } from '../app-services.js';
import { UUID } from '../db/uuid.js';
import { roomNameProblem } from '../rooms/room-name.js';
import { createLocalPresence } from './local-presence.js';

const ASSET = /^\/assets\/([\w-]+(?:\.[\w-]+)*\.(js|css|svg|png|ico|woff2))$/;
const CONTENT_TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
  woff2: 'font/woff2',
};
// The page talks only to its own origin (GraphQL over HTTP and WebSocket).
const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-cache',
  'content-security-policy': "default-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
};

type Route = { kind: 'page' } | { kind: 'asset'; file: string; type: string } | { kind: 'presence'; roomName: string; meetingId: string };

const isRoomName = (segment: string | undefined): segment is string => segment !== undefined && roomNameProblem(segment) === null;

function route(pathname: string): Route | null {
  const asset = ASSET.exec(pathname);
  if (asset) return { kind: 'asset', file: asset[1]!, type: CONTENT_TYPES[asset[2]!]! };
  const segments = pathname.split('/').slice(1);
  const [first, name, third, fourth] = segments;
  if (segments.length === 1 && isRoomName(first)) return { kind: 'page' };
  if (first === 'room' && isRoomName(name) && (segments.length === 2 || (segments.length === 3 && third === 'settings'))) {
    return { kind: 'page' };
  }
  if (first === 'video' && isRoomName(name) && third !== undefined && UUID.test(third)) {
    if (segments.length === 3) return { kind: 'page' };
    if (segments.length === 4 && fourth === 'presence') return { kind: 'presence', roomName: name, meetingId: third.toLowerCase() };
  }
  return null;
}

export interface WebRoutes {
  /** Answers the request when it is one of the room page's paths; false otherwise. */
  handle(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean>;
  close(): Promise<void>;
}

export function createWebRoutes(services: AppServices): WebRoutes {
  const presence = createLocalPresence(services);
  const dir = services.config.web.dir;

  // The built files do not change while the server runs (assets are content-hashed): read each once.
  // A file not there yet is not remembered, so the page appears once `npm run build:web` has run.
  const files = new Map<string, Buffer>();

  async function sendFile(req: IncomingMessage, res: ServerResponse, file: string, headers: Record<string, string>): Promise<void> {
    let body = files.get(file);
    try {
      body ??= await readFile(path.join(dir, file));
      files.set(file, body);
    } catch {
      const missing = file === 'index.html';
      res
        .writeHead(missing ? 503 : 404, { 'content-type': 'text/plain; charset=utf-8' })
        .end(missing ? `The room page is not built: run \`npm run build:web\` (looked in ${dir}).` : 'Not found');
      return;
    }
    res.writeHead(200, { ...headers, 'content-length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  return {
    async handle(req, res, pathname) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return false;
      const match = route(pathname);
      if (!match) return false;
      if (match.kind === 'presence') {
        if (req.method === 'GET') await presence.open(res, match.roomName, match.meetingId);
        else res.writeHead(405, { allow: 'GET' }).end();
      }
      else if (match.kind === 'asset') {
        // Vite puts a content hash in every asset name.
        await sendFile(req, res, path.join('assets', match.file), {
          'content-type': match.type,
          'cache-control': 'public, max-age=31536000, immutable',
          'x-content-type-options': 'nosniff',
        });
      } else await sendFile(req, res, 'index.html', PAGE_HEADERS);
      return true;
    },
    close: () => presence.close(),
  };
}
