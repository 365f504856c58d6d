// Proves TOTP follows RFC 6238 (its published test vectors), accepts one step of drift, refuses replays and malformed codes, and round-trips base32 secrets.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  base32Decode,
  base32Encode,
  newRecoveryCodes,
  newTotpSecret,
  otpauthUri,
  totpAt,
  verifyTotp,
} from '../../src/identity/totp.ts';

// RFC 6238 appendix B: the SHA-1 secret is the ASCII string "12345678901234567890".
const RFC_SECRET = base32Encode(Buffer.from('12345678901234567890'));
const EIGHT = { digits: 8, periodS: 30, algorithm: 'sha1', window: 1 } as const;

describe('TOTP', () => {
  it('matches the RFC 6238 SHA-1 test vectors', () => {
    expect(totpAt(RFC_SECRET, 59_000, EIGHT)).toBe('94287082');
    expect(totpAt(RFC_SECRET, 1_111_111_109_000, EIGHT)).toBe('07081804');
    expect(totpAt(RFC_SECRET, 1_234_567_890_000, EIGHT)).toBe('89005924');
    expect(totpAt(RFC_SECRET, 20_000_000_000_000, EIGHT)).toBe('65353130');
  });

  it('accepts one step of drift, refuses two, and refuses a replayed step', () => {
    const secret = newTotpSecret();
    const now = 1_800_000_000_000;
    const code = totpAt(secret, now);
    const step = verifyTotp(secret, code, now, null);
    expect(step).toBe(Math.floor(now / 30_000));
    expect(verifyTotp(secret, code, now + 30_000, null)).toBe(step);
    expect(verifyTotp(secret, code, now + 61_000, null)).toBeUndefined();
    expect(verifyTotp(secret, code, now, step ?? null)).toBeUndefined();
    expect(verifyTotp(secret, '12345', now, null)).toBeUndefined();
    expect(verifyTotp(secret, 'abcdef', now, null)).toBeUndefined();
  });

  it('round-trips base32 and builds the otpauth URI', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), (bytes) => {
        expect(base32Decode(base32Encode(Buffer.from(bytes)))).toEqual(Buffer.from(bytes));
      }),
    );
    expect(otpauthUri('JBSWY3DPEHPK3PXP', 'li.wei@example.com')).toBe(
      'otpauth://totp/Bulwark%3Ali.wei%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Bulwark&algorithm=SHA1&digits=6&period=30',
    );
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const c of codes) expect(c).toMatch(/^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$/);
  });
});
