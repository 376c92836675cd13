import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhookSignature } from '../../src/meetings/webhook-signature.js';

const SECRET = 'whsec_current';
const OLD_SECRET = 'whsec_previous';
const NOW = new Date('2030-05-01T09:00:00.400Z');
const NOW_SECONDS = Math.floor(NOW.getTime() / 1000);
const BODY = JSON.stringify({ type: 'room.client.joined', data: { roomName: '/team-standup-1', numClients: 2 } });

function secondsFromNow(seconds: number): Date {
  return new Date(NOW.getTime() + seconds * 1000);
}

/** A v1 value computed independently of the module under test. */
function v1(timestamp: number | string, body: string, secret: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

function verify(header: string | null | undefined, overrides: { rawBody?: string | Buffer; secret?: string; maxAgeSeconds?: number } = {}) {
  return verifyWebhookSignature({ header, rawBody: BODY, secret: SECRET, now: NOW, ...overrides });
}

describe('signWebhook', () => {
  it('produces t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">', () => {
    expect(signWebhook(BODY, SECRET, NOW)).toBe(`t=${NOW_SECONDS},v1=${v1(NOW_SECONDS, BODY, SECRET)}`);
  });

  it('refuses an empty secret', () => {
    expect(() => signWebhook(BODY, '', NOW)).toThrow(/secret is empty/);
    expect(() => verify(signWebhook(BODY, SECRET, NOW), { secret: '' })).toThrow(/secret is empty/);
  });
});

describe('verifyWebhookSignature', () => {
  const sig = v1(NOW_SECONDS, BODY, SECRET);
  it('accepts a valid signature and returns its timestamp, for string and Buffer bodies', () => {
    const header = signWebhook(BODY, SECRET, NOW);
    expect(verify(header)).toEqual({ ok: true, timestamp: NOW_SECONDS, signature: sig });
    expect(verify(header, { rawBody: Buffer.from(BODY) })).toEqual({ ok: true, timestamp: NOW_SECONDS, signature: sig });
  });

  it('rejects a tampered body', () => {
    const header = signWebhook(BODY, SECRET, NOW);
    expect(verify(header, { rawBody: BODY.replace('"numClients":2', '"numClients":3') })).toEqual({ ok: false, reason: 'BAD_SIGNATURE' });
  });

  it('rejects a signature made with another secret', () => {
    expect(verify(signWebhook(BODY, 'whsec_attacker', NOW))).toEqual({ ok: false, reason: 'BAD_SIGNATURE' });
  });

  it('rejects a timestamp changed after signing', () => {
    const forged = signWebhook(BODY, SECRET, NOW).replace(`t=${NOW_SECONDS}`, `t=${NOW_SECONDS + 1}`);
    expect(verify(forged)).toEqual({ ok: false, reason: 'BAD_SIGNATURE' });
  });

  it.each([null, undefined, '', '   '])('reports a missing header (%j)', (header) => {
    expect(verify(header)).toEqual({ ok: false, reason: 'MISSING' });
  });

  it.each([
    ['no key=value pairs', 'garbage'],
    ['no v1', `t=${NOW_SECONDS}`],
    ['no t', `v1=${sig}`],
    ['two timestamps', `t=${NOW_SECONDS},t=${NOW_SECONDS},v1=${sig}`],
    ['non-numeric t', `t=soon,v1=${sig}`],
    ['negative t', `t=-${NOW_SECONDS},v1=${sig}`],
    ['fractional t', `t=${NOW_SECONDS}.5,v1=${sig}`],
    ['v1 not hex', `t=${NOW_SECONDS},v1=${'z'.repeat(64)}`],
    ['v1 too short', `t=${NOW_SECONDS},v1=${sig.slice(0, 62)}`],
    ['v1 too long', `t=${NOW_SECONDS},v1=${sig}00`],
    ['a part without "="', `t=${NOW_SECONDS},v1=${sig},junk`],
  ])('reports a malformed header: %s', (_label, header) => {
    expect(verify(header)).toEqual({ ok: false, reason: 'MALFORMED' });
  });

  it('tolerates spaces around parts, upper-case hex, any order and unknown schemes, and names the same signature for each', () => {
    for (const header of [
      `t=${NOW_SECONDS}, v1=${sig.toUpperCase()}, v0=legacy`,
      `v1=${sig},t=${NOW_SECONDS}`,
      ` t=${NOW_SECONDS} ,v0=x,v1=${sig} `,
    ]) {
      expect(verify(header)).toEqual({ ok: true, timestamp: NOW_SECONDS, signature: sig });
    }
  });

  it('accepts exactly maxAge in the past or future and rejects one second more', () => {
    expect(verify(signWebhook(BODY, SECRET, secondsFromNow(-60)))).toMatchObject({ ok: true });
    expect(verify(signWebhook(BODY, SECRET, secondsFromNow(-61)))).toEqual({ ok: false, reason: 'EXPIRED' });
    expect(verify(signWebhook(BODY, SECRET, secondsFromNow(60)))).toMatchObject({ ok: true });
    expect(verify(signWebhook(BODY, SECRET, secondsFromNow(61)))).toEqual({ ok: false, reason: 'FUTURE' });
  });

  it('honours a custom maxAgeSeconds', () => {
    const tenSecondsOld = signWebhook(BODY, SECRET, secondsFromNow(-10));
    expect(verify(tenSecondsOld, { maxAgeSeconds: 5 })).toEqual({ ok: false, reason: 'EXPIRED' });
    expect(verify(tenSecondsOld, { maxAgeSeconds: 10 })).toMatchObject({ ok: true });
  });

  it('reports a forged old delivery as BAD_SIGNATURE, not EXPIRED', () => {
    expect(verify(signWebhook(BODY, 'whsec_attacker', secondsFromNow(-3600)))).toEqual({ ok: false, reason: 'BAD_SIGNATURE' });
  });

  it('accepts any of several v1 values while secrets rotate', () => {
    const rotating = `t=${NOW_SECONDS},v1=${v1(NOW_SECONDS, BODY, OLD_SECRET)},v1=${v1(NOW_SECONDS, BODY, SECRET)}`;
    expect(verify(rotating, { secret: SECRET })).toEqual({ ok: true, timestamp: NOW_SECONDS, signature: sig });
    expect(verify(rotating, { secret: OLD_SECRET })).toEqual({ ok: true, timestamp: NOW_SECONDS, signature: v1(NOW_SECONDS, BODY, OLD_SECRET) });
    expect(verify(rotating, { secret: 'whsec_other' })).toEqual({ ok: false, reason: 'BAD_SIGNATURE' });
  });
});

describe('properties', () => {
  const body = fc.string({ unit: 'binary', maxLength: 300 });
  const when = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true });
  const secret = fc.string({ minLength: 1, maxLength: 40 });

  it('sign then verify round-trips for any body, secret and time', () => {
    fc.assert(
      fc.property(body, secret, when, (rawBody, key, now) => {
        const check = verifyWebhookSignature({ header: signWebhook(rawBody, key, now), rawBody, secret: key, now });
        expect(check).toMatchObject({ ok: true, timestamp: Math.floor(now.getTime() / 1000) });
      }),
    );
  });

  it('any single-byte change of the body fails verification', () => {
    const change = body
      .map((text) => Buffer.from(text, 'utf8'))
      .filter((bytes) => bytes.length > 0)
      .chain((bytes) => fc.record({ bytes: fc.constant(bytes), index: fc.nat(bytes.length - 1), xor: fc.integer({ min: 1, max: 255 }) }));
    fc.assert(
      fc.property(change, secret, when, ({ bytes, index, xor }, key, now) => {
        const header = signWebhook(bytes.toString('utf8'), key, now);
        const tampered = Buffer.from(bytes);
        tampered[index] = (tampered[index] ?? 0) ^ xor;
        expect(verifyWebhookSignature({ header, rawBody: bytes, secret: key, now })).toMatchObject({ ok: true });
        expect(verifyWebhookSignature({ header, rawBody: tampered, secret: key, now })).toEqual({ ok: false, reason: 'BAD_SIGNATURE' });
      }),
    );
  });
});
