// Proves passwords are hashed with salted scrypt off the event loop, verified in constant time, re-hashed when parameters rise, and that weak, common or personal passwords are refused.
import { describe, expect, it } from 'vitest';
import { hashPassword, judgePassword, needsRehash, verifyPassword } from '../../src/identity/passwords.ts';

// Cheaper parameters keep the test fast; the format and checks are the same.
const FAST = { ln: 12, r: 8, p: 1 };

describe('password hashing', () => {
  it('verifies the right password only, with a fresh salt each time', async () => {
    const a = await hashPassword('correct horse battery staple', FAST);
    const b = await hashPassword('correct horse battery staple', FAST);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^\$scrypt\$ln=12,r=8,p=1\$/);
    expect(await verifyPassword('correct horse battery staple', a)).toBe(true);
    expect(await verifyPassword('correct horse battery stapler', a)).toBe(false);
    expect(
      await verifyPassword(
        'anything',
        '$scrypt$ln=40,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      ),
    ).toBe(false);
    expect(await verifyPassword('anything', 'plain-text')).toBe(false);
    expect(needsRehash(a)).toBe(true);
    expect(needsRehash(a, FAST)).toBe(false);
  });

  it('does not block the event loop while hashing', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    await Promise.all([hashPassword('one long passphrase here'), hashPassword('another long passphrase')]);
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
  });
});

describe('password policy', () => {
  it('refuses short, common, weak and personal passwords and accepts strong ones', () => {
    expect(judgePassword('Abc123!')).toMatchObject({ ok: false, reason: 'TOO_SHORT' });
    expect(judgePassword('password123')).toMatchObject({ ok: false, reason: 'COMMON' });
    expect(judgePassword('qwertyuiop')).toMatchObject({ ok: false });
    expect(judgePassword('aaaaaaaaaaaa')).toMatchObject({ ok: false, reason: 'TOO_WEAK' });
    expect(judgePassword('lw13812345678!', ['13812345678'])).toMatchObject({
      ok: false,
      reason: 'CONTAINS_PERSONAL',
    });
    expect(judgePassword('x'.repeat(129))).toMatchObject({ ok: false, reason: 'TOO_LONG' });
    expect(judgePassword('tea-kettle Orbit 47 lantern')).toMatchObject({ ok: true });
  });
});
