import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures. Every POST carries
 *
 *     Bulwark-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *
 * The receiver recomputes the HMAC over the timestamp, a dot and the raw request body
 * (the bytes, before any JSON parsing), compares it in constant time, and refuses a
 * timestamp further than its tolerance from its own clock, so a captured request cannot
 * be replayed later. More than one `v1=` may appear (for a secret rotation); one match
 * is enough. docs/notifications.md shows a receiver.
 */
export const SIGNATURE_HEADER = 'bulwark-signature';
/** The delivery's stable id: the same on every retry and redelivery, for the receiver to deduplicate. */
export const DELIVERY_HEADER = 'bulwark-delivery';
export const EVENT_HEADER = 'bulwark-event';
export const ATTEMPT_HEADER = 'bulwark-attempt';

/** Five minutes either way, as most webhook receivers allow. */
export const DEFAULT_TOLERANCE_S = 300;

const SECRET_PREFIX = 'whsec_';
const HEADER_MAX = 1024;

/** A new endpoint secret: 256 random bits. */
export function newWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;
}

function hmac(secret: string, timestampS: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestampS}.`).update(body, 'utf8').digest('hex');
}

/** The header value for a body sent at `timestampS` (unix seconds). */
export function signWebhook(secret: string, body: string, timestampS: number): string {
  if (!Number.isSafeInteger(timestampS) || timestampS < 0) throw new RangeError('timestamp out of range');
  return `t=${timestampS},v1=${hmac(secret, timestampS, body)}`;
}

export type VerifyResult =
  | { ok: true; timestampS: number }
  | { ok: false; reason: 'malformed' | 'timestamp' | 'signature' };

/**
 * Verifies a `Bulwark-Signature` header against the raw body and the endpoint's secret.
 * `nowS` is the receiver's clock in unix seconds; `toleranceS` how far the signed time may
 * be from it. Never throws on bad input: a forged header is an answer, not an error.
 */
export function verifyWebhookSignature(input: {
  secret: string;
  header: string | string[] | undefined;
  body: string;
  nowS?: number;
  toleranceS?: number;
}): VerifyResult {
  const header = Array.isArray(input.header) ? input.header.join(',') : input.header;
  if (typeof header !== 'string' || header.length === 0 || header.length > HEADER_MAX) {
    return { ok: false, reason: 'malformed' };
  }
  let timestampS: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 1) return { ok: false, reason: 'malformed' };
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (!/^[0-9]{1,12}$/.test(value) || timestampS !== undefined) return { ok: false, reason: 'malformed' };
      timestampS = Number(value);
    } else if (key === 'v1') {
      if (!/^[0-9a-f]{64}$/.test(value)) return { ok: false, reason: 'malformed' };
      signatures.push(value);
    }
    // Other schemes (a future v2) are ignored, so receivers keep working when one is added.
  }
  if (timestampS === undefined || signatures.length === 0) return { ok: false, reason: 'malformed' };
  const nowS = input.nowS ?? Math.floor(Date.now() / 1000);
  const toleranceS = input.toleranceS ?? DEFAULT_TOLERANCE_S;
  if (Math.abs(nowS - timestampS) > toleranceS) return { ok: false, reason: 'timestamp' };
  const expected = Buffer.from(hmac(input.secret, timestampS, input.body), 'hex');
  const match = signatures.some((s) => timingSafeEqual(Buffer.from(s, 'hex'), expected));
  return match ? { ok: true, timestampS } : { ok: false, reason: 'signature' };
}
