import type { ServerResponse } from 'node:http';

/** Answers with a JSON body (health, readiness, webhooks, refusals). */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
