import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP) for MFA enrolment and
 * step-up. A code is accepted in the current 30-second step or one step either side
 * (clock drift), and a step once used is refused again: the caller stores `step`.
 */
export interface TotpOptions {
  digits: 6 | 8;
  periodS: number;
  algorithm: 'sha1' | 'sha256' | 'sha512';
  /** Steps accepted either side of now. */
  window: number;
}

export const TOTP_DEFAULTS: TotpOptions = { digits: 6, periodS: 30, algorithm: 'sha1', window: 1 };

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Encode(bytes: Buffer): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32[(acc >> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(acc << (5 - bits)) & 31];
  return out;
}

export function base32Decode(text: string): Buffer {
  const clean = text.replace(/[\s=-]/g, '').toUpperCase();
  const bytes: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const ch of clean) {
    const v = BASE32.indexOf(ch);
    if (v < 0) throw new Error('not base32');
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((acc >> bits) & 255);
    }
    acc &= (1 << bits) - 1;
  }
  return Buffer.from(bytes);
}

/** A new 160-bit secret, base32 as authenticator apps expect. */
export function newTotpSecret(): string {
  return base32Encode(randomBytes(20));
}

/** HOTP value for a counter (RFC 4226 §5.3 dynamic truncation). */
export function hotp(
  secret: Buffer,
  counter: bigint,
  digits: number,
  algorithm: TotpOptions['algorithm'],
): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(counter);
  const mac = createHmac(algorithm, secret).update(msg).digest();
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f;
  const binary = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return binary.toString().padStart(digits, '0');
}

export function totpAt(secretBase32: string, atMs: number, options: TotpOptions = TOTP_DEFAULTS): string {
  const step = BigInt(Math.floor(atMs / 1000 / options.periodS));
  return hotp(base32Decode(secretBase32), step, options.digits, options.algorithm);
}

/**
 * Checks a code; returns the step it matched, or undefined. Steps at or below
 * `lastUsedStep` are refused so a code cannot be replayed within its window.
 */
export function verifyTotp(
  secretBase32: string,
  code: string,
  atMs: number,
  lastUsedStep: number | null,
  options: TotpOptions = TOTP_DEFAULTS,
): number | undefined {
  if (!new RegExp(`^\\d{${options.digits}}$`).test(code)) return undefined;
  const secret = base32Decode(secretBase32);
  const now = Math.floor(atMs / 1000 / options.periodS);
  let matched: number | undefined;
  for (let step = now - options.window; step <= now + options.window; step++) {
    const expected = Buffer.from(hotp(secret, BigInt(step), options.digits, options.algorithm));
    // Every candidate is compared, so timing does not reveal which step matched.
    if (timingSafeEqual(expected, Buffer.from(code)) && matched === undefined) matched = step;
  }
  if (matched === undefined || (lastUsedStep !== null && matched <= lastUsedStep)) return undefined;
  return matched;
}

/** The otpauth:// URI an authenticator app reads from a QR code. */
export function otpauthUri(
  secretBase32: string,
  account: string,
  issuer = 'Bulwark',
  options: TotpOptions = TOTP_DEFAULTS,
): string {
  const label = encodeURIComponent(`${issuer}:${account}`);
  const params = new URLSearchParams({
    secret: secretBase32,
    issuer,
    algorithm: options.algorithm.toUpperCase(),
    digits: String(options.digits),
    period: String(options.periodS),
  });
  return `otpauth://totp/${label}?${params.toString()}`;
}

/** Ten single-use recovery codes (xxxx-xxxx-xxxx), shown once; store only their hashes. */
export function newRecoveryCodes(count = 10): string[] {
  return Array.from({ length: count }, () => {
    const raw = base32Encode(randomBytes(8)).slice(0, 12).toLowerCase();
    return `${raw.slice(0, 4)}-${raw.slice(4, 8)}-${raw.slice(8, 12)}`;
  });
}
