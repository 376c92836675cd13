// POST /webhooks/whereby and /webhooks/local: participant counts from the
// video platform (Whereby's room.client.joined / room.client.left with
// numClients). Every bad request gets a clear 4xx and changes nothing:
// signature and age are checked first, a replayed delivery is refused.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { AppServices } from '../app-services.js';
import { isUniqueViolation } from '../db/unique-violation.js';
import { applyParticipantCount } from './participant-counts.js';
import { verifyWebhookSignature } from './webhook-signature.js';

const MAX_BODY_BYTES = 64 * 1024;

const webhookBody = z.object({
  type: z.enum(['room.client.joined', 'room.client.left']),
  data: z.object({ meetingId: z.string().min(1), numClients: z.number().int().min(0) }),
});

function reply(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Returns false when the path is not a webhook path. */
export async function handleWebhook(services: AppServices, req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
  const platform = path === '/webhooks/whereby' ? 'whereby' : path === '/webhooks/local' ? 'local' : null;
  if (!platform) return false;
  if (req.method !== 'POST') return reply(res, 405, { error: 'Use POST' }), true;
  const { meetings } = services.config;
  const secret = platform === 'whereby' ? meetings.whereby.webhookSecret : meetings.localWebhookSecret;
  if (!secret) return reply(res, 404, { error: `Webhooks for ${platform} are not configured on this server` }), true;

  const body = await readBody(req);
  if (body === null) return reply(res, 413, { error: `Body larger than ${MAX_BODY_BYTES} bytes` }), true;
  const header = req.headers['whereby-signature'];
  const now = services.clock.now();
  const check = verifyWebhookSignature({ header: Array.isArray(header) ? header[0] : header, rawBody: body, secret, now });
  if (!check.ok) return reply(res, 401, { error: `Signature check failed: ${check.reason}` }), true;

  let payload: z.infer<typeof webhookBody>;
  try {
    payload = webhookBody.parse(JSON.parse(body.toString('utf8')));
  } catch {
    return reply(res, 400, { error: 'Body must be JSON: { type: room.client.joined|room.client.left, data: { meetingId, numClients } }' }), true;
  }
  const meeting = await services.db.meeting.findFirst({
    where: { platformMeetingId: payload.data.meetingId },
    select: { id: true, firstJoinedAt: true },
  });
  if (!meeting) return reply(res, 404, { error: 'Unknown meeting' }), true;

  const deliveryId = createHash('sha256').update(String(header)).update(body).digest('hex');
  try {
    await services.db.webhookDelivery.create({ data: { id: deliveryId, receivedAt: now } });
  } catch (error) {
    if (isUniqueViolation(error)) {
      return reply(res, 409, { error: 'This delivery was already processed' }), true;
    }
    throw error;
  }
  const result = await applyParticipantCount(services, meeting, {
    count: payload.data.numClients,
    eventTime: new Date(check.timestamp * 1000),
    receivedAt: now,
  });
  reply(res, 200, { result });
  return true;
}
