// POST /webhooks/whereby and /webhooks/local: participant counts from the
// video platform (Whereby's room.client.joined / room.client.left with
// numClients). Every bad request gets a clear 4xx and changes nothing:
// signature and age are checked first, a replayed delivery is refused.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import { isUniqueViolation } from '../db/unique-violation.js';
import { applyParticipantCount } from '../meetings/participant-counts.js';
import { verifyWebhookSignature, WEBHOOK_MAX_AGE_SECONDS } from '../meetings/webhook-signature.js';
import type { AppPubSub } from '../realtime/pubsub.js';
import { sendJson } from './json-response.js';

export interface WebhookDeps {
  db: Db;
  clock: Clock;
  pubsub: AppPubSub;
  secrets: Pick<Config['meetings'], 'whereby' | 'localWebhookSecret'>;
}

const MAX_BODY_BYTES = 64 * 1024;
/** A refused body up to this size is read and discarded so the keep-alive connection stays usable; larger ones close it. */
const MAX_DRAINED_BYTES = 1024 * 1024;
/**
 * A delivery can be replayed while its signature is accepted: its timestamp
 * may lie up to the window ahead of its arrival, and stays valid for the
 * window after that. Older delivery ids can go.
 */
const DELIVERY_RETENTION_MS = 2 * WEBHOOK_MAX_AGE_SECONDS * 1000;

/** Printable text only: NUL and other control characters are refused before they reach the database. */
const platformId = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[^\p{Cc}]+$/u, 'must not contain control characters');

const webhookBody = z.object({
  type: z.enum(['room.client.joined', 'room.client.left']),
  data: z.object({ meetingId: platformId, numClients: z.number().int().min(0) }),
});

/**
 * The body, or null when it is larger than MAX_BODY_BYTES. The request is
 * never destroyed here: Node reads and discards what is left after the
 * reply, so the client's keep-alive connection can carry its next request.
 */
async function readBody(req: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) return void chunks.push(chunk);
      req.off('data', onData).off('end', onEnd).off('error', reject);
      resolve(null);
    };
    const onEnd = () => resolve(Buffer.concat(chunks));
    req.on('data', onData).once('end', onEnd).once('error', reject);
  });
}

function refuseLargeBody(req: IncomingMessage, res: ServerResponse): void {
  const declared = Number(req.headers['content-length'] ?? 0);
  // Draining a huge body would let a client hold us busy for as long as it keeps sending.
  if (!(declared <= MAX_DRAINED_BYTES)) res.setHeader('connection', 'close');
  sendJson(res, 413, { error: `Body larger than ${MAX_BODY_BYTES} bytes` });
}

/** The handler answers webhook paths and returns false for any other path. */
export function createWebhookHandler(deps: WebhookDeps) {
  let lastPruneAt = 0;

  /** Deletes delivery ids that can no longer be replayed, at most once per retention period. */
  async function pruneDeliveries(now: Date): Promise<void> {
    if (now.getTime() - lastPruneAt < DELIVERY_RETENTION_MS) return;
    lastPruneAt = now.getTime();
    await deps.db.webhookDelivery.deleteMany({ where: { receivedAt: { lt: new Date(now.getTime() - DELIVERY_RETENTION_MS) } } });
  }

  return async function handleWebhook(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    const platform = path === '/webhooks/whereby' ? 'whereby' : path === '/webhooks/local' ? 'local' : null;
    if (!platform) return false;
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'Use POST' }), true;
    const secret = platform === 'whereby' ? deps.secrets.whereby.webhookSecret : deps.secrets.localWebhookSecret;
    if (!secret) return sendJson(res, 404, { error: `Webhooks for ${platform} are not configured on this server` }), true;

    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) return refuseLargeBody(req, res), true;
    const body = await readBody(req);
    if (body === null) return refuseLargeBody(req, res), true;
    const header = req.headers['whereby-signature'];
    const now = deps.clock.now();
    const check = verifyWebhookSignature({ header: Array.isArray(header) ? header[0] : header, rawBody: body, secret, now });
    if (!check.ok) return sendJson(res, 401, { error: `Signature check failed: ${check.reason}` }), true;

    let payload: z.infer<typeof webhookBody>;
    try {
      payload = webhookBody.parse(JSON.parse(body.toString('utf8')));
    } catch {
      return (
        sendJson(res, 400, {
          error: 'Body must be JSON: { type: room.client.joined|room.client.left, data: { meetingId (printable text), numClients } }',
        }),
        true
      );
    }
    const meeting = await deps.db.meeting.findFirst({
      where: { platformMeetingId: payload.data.meetingId },
      select: { id: true, firstJoinedAt: true },
    });
    if (!meeting) return sendJson(res, 404, { error: 'Unknown meeting' }), true;

    await pruneDeliveries(now);
    // The matching signature identifies the delivery: it signs the timestamp and the body, and
    // cannot be re-written (spaces, order, case, extra schemes) the way the header text can.
    const deliveryId = createHash('sha256').update(`${check.timestamp}.${check.signature}`).digest('hex');
    try {
      await deps.db.webhookDelivery.create({ data: { id: deliveryId, receivedAt: now } });
    } catch (error) {
      if (isUniqueViolation(error)) {
        return sendJson(res, 409, { error: 'This delivery was already processed' }), true;
      }
      throw error;
    }
    const result = await applyParticipantCount(deps, meeting, {
      count: payload.data.numClients,
      eventTime: new Date(check.timestamp * 1000),
      receivedAt: now,
    });
    sendJson(res, 200, { result });
    return true;
  };
}
