// Signatures of the video platform's webhooks (SPEC §4), Whereby style: the
// header is `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. The
// timestamp is signed too, so a captured request cannot be replayed after
// maxAge with a fresh `t`.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type SignatureCheck =
  /** `signature`: the v1 value that matched, in lower-case hex; with `timestamp` it identifies the delivery however the header was written. */
  | { ok: true; timestamp: number; signature: string }
  | { ok: false; reason: 'MISSING' | 'MALFORMED' | 'BAD_SIGNATURE' | 'EXPIRED' | 'FUTURE' };

export const WEBHOOK_MAX_AGE_SECONDS = 60;

const TIMESTAMP = /^\d{1,12}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/i;

export function verifyWebhookSignature(input: {
  header: string | null | undefined;
  rawBody: string | Buffer;
  secret: string;
  now: Date;
  maxAgeSeconds?: number;
}): SignatureCheck {
  requireSecret(input.secret);
  if (!input.header?.trim()) return { ok: false, reason: 'MISSING' };
  const parsed = parseHeader(input.header);
  if (!parsed) return { ok: false, reason: 'MALFORMED' };

  const expected = Buffer.from(hmacHex(parsed.timestampText, input.rawBody, input.secret), 'hex');
  // Several v1 values appear while the sender rotates secrets; any one of them may match ours.
  const matched = parsed.signatures.find((hex) => {
    const candidate = Buffer.from(hex, 'hex');
    return candidate.length === expected.length && timingSafeEqual(candidate, expected);
  });
  // The signature is checked before the age, so EXPIRED and FUTURE only ever describe genuine deliveries (replays, clock skew).
  if (matched === undefined) return { ok: false, reason: 'BAD_SIGNATURE' };

  const timestamp = Number(parsed.timestampText);
  const ageSeconds = Math.floor(input.now.getTime() / 1000) - timestamp;
  const maxAge = input.maxAgeSeconds ?? WEBHOOK_MAX_AGE_SECONDS;
  if (ageSeconds > maxAge) return { ok: false, reason: 'EXPIRED' };
  if (-ageSeconds > maxAge) return { ok: false, reason: 'FUTURE' };
  return { ok: true, timestamp, signature: matched.toLowerCase() };
}

/** The header value Whereby would send for this body at this time. */
export function signWebhook(rawBody: string, secret: string, now: Date): string {
  requireSecret(secret);
  const timestampText = String(Math.floor(now.getTime() / 1000));
  return `t=${timestampText},v1=${hmacHex(timestampText, rawBody, secret)}`;
}

/**
 * Exactly one `t` and at least one `v1`, each well-formed; other keys are
 * ignored so a future signature scheme (v2) added next to v1 does not break us.
 */
function parseHeader(header: string): { timestampText: string; signatures: string[] } | null {
  const timestamps: string[] = [];
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const separator = part.indexOf('=');
    if (separator < 0) return null;
    const key = part.slice(0, separator).trim();
    const value = part.slice(separator + 1).trim();
    if (key === 't') timestamps.push(value);
    else if (key === 'v1') signatures.push(value);
  }
  const [timestampText] = timestamps;
  if (timestamps.length !== 1 || timestampText === undefined || !TIMESTAMP.test(timestampText)) return null;
  if (signatures.length === 0 || !signatures.every((hex) => SHA256_HEX.test(hex))) return null;
  return { timestampText, signatures };
}

/** Signs the timestamp exactly as written in the header, followed by the raw bytes of the body. */
function hmacHex(timestampText: string, rawBody: string | Buffer, secret: string): string {
  return createHmac('sha256', secret).update(`${timestampText}.`).update(rawBody).digest('hex');
}

// An empty secret would make every signature forgeable: a configuration error, not a bad request.
function requireSecret(secret: string): void {
  if (!secret) throw new Error('The webhook signing secret is empty');
}
