// Proves passkey registration and sign-in round-trip through a software authenticator, and that replayed, expired, foreign-origin or foreign-challenge responses, unknown or removed credentials, and a signature counter that goes backwards are all refused.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebAuthnService, type WebAuthnSubject } from '../../src/identity/webauthn.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import { migrateToLatest } from '../../src/platform/migrate.ts';
import { DATABASES, freshDatabase } from '../helpers.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';

const ORIGIN = 'https://wallet.example.com';
const SETTINGS = { rpId: 'wallet.example.com', rpName: 'Bulwark', origins: [ORIGIN] };

let subjectSeq = 0;
function newSubject(type: 'customer' | 'staff' = 'customer'): WebAuthnSubject {
  subjectSeq += 1;
  return { type, id: `${type === 'customer' ? 'cus' : 'stf'}_passkey_${subjectSeq}`, name: '138****5678' };
}

describe.each(DATABASES)('passkeys on $name', (target) => {
  let handle: Awaited<ReturnType<typeof freshDatabase>> | undefined;
  const clock = new ManualClock(new Date('2026-03-01T08:00:00Z'));

  function db() {
    if (!handle) throw new Error('database not open');
    return handle.db;
  }
  function service() {
    return new WebAuthnService(db(), clock, SETTINGS);
  }
  function advance(ms: number) {
    clock.set(new Date(clock.now().getTime() + ms));
  }
  /** Registers a new passkey for the subject and returns the authenticator and factor id. */
  async function enrol(subject: WebAuthnSubject, authenticator = new SoftAuthenticator(ORIGIN)) {
    const { options } = await service().registrationOptions(subject);
    const view = await service().verifyRegistration(subject, authenticator.register(options), 'Phone');
    return { authenticator, factorId: view.id };
  }

  beforeAll(async () => {
    handle = await freshDatabase(target);
    await migrateToLatest(handle.db);
  });
  afterAll(async () => {
    await handle?.drop();
  });

  it('registers a passkey and signs in with it, advancing the counter', async () => {
    const subject = newSubject();
    const authenticator = new SoftAuthenticator(ORIGIN);
    const { options, challenge } = await service().registrationOptions(subject);
    expect(options.challenge).toBe(challenge);
    expect(options.rp).toEqual({ id: 'wallet.example.com', name: 'Bulwark' });
    expect(options.attestation).toBe('none');
    expect(options.authenticatorSelection?.userVerification).toBe('preferred');
    expect(options.excludeCredentials).toEqual([]);

    // Only the challenge's hash is kept, with a five-minute lifetime.
    const token = await db()
      .selectFrom('one_time_tokens')
      .selectAll()
      .where('subject_id', '=', subject.id)
      .executeTakeFirstOrThrow();
    expect(token.purpose).toBe('webauthn_registration');
    expect(token.token_hash).toBe(createHash('sha256').update(challenge).digest('hex'));
    expect(token.expires_at.getTime() - token.created_at.getTime()).toBe(5 * 60_000);

    const view = await service().verifyRegistration(subject, authenticator.register(options), '  My phone ');
    expect(view).toEqual({
      id: expect.stringMatching(/^mfa_/),
      kind: 'webauthn',
      label: 'My phone',
      createdAt: clock.now().toISOString(),
      lastUsedAt: null,
    });
    const stored = await db()
      .selectFrom('mfa_factors')
      .selectAll()
      .where('id', '=', view.id)
      .executeTakeFirstOrThrow();
    expect(stored).toMatchObject({
      subject_type: 'customer',
      subject_id: subject.id,
      kind: 'webauthn',
      status: 'active',
      sign_count: 0n,
      transports: ['internal'],
    });
    expect(stored.credential_id).toMatch(/^[A-Za-z0-9_-]+$/);

    // The enrolled credential is excluded from the next registration.
    const again = await service().registrationOptions(subject);
    expect(again.options.excludeCredentials?.map((c) => c.id)).toEqual([stored.credential_id]);
    expect(() => authenticator.register(again.options)).toThrow(/InvalidStateError/);

    const first = await service().authenticationOptions(subject.id);
    expect(first.options.allowCredentials?.map((c) => c.id)).toEqual([stored.credential_id]);
    advance(1_000);
    const result = await service().verifyAuthentication(
      subject.id,
      authenticator.authenticate(first.options),
      first.challenge,
    );
    expect(result).toEqual({ factorId: view.id });
    const second = await service().authenticationOptions(subject.id);
    await service().verifyAuthentication(
      subject.id,
      authenticator.authenticate(second.options),
      second.challenge,
    );

    const after = await db()
      .selectFrom('mfa_factors')
      .select(['sign_count', 'last_used_at'])
      .where('id', '=', view.id)
      .executeTakeFirstOrThrow();
    expect(after.sign_count).toBe(2n);
    expect(after.last_used_at?.toISOString()).toBe(clock.now().toISOString());
    expect(await service().list(subject.id)).toEqual([{ ...view, lastUsedAt: clock.now().toISOString() }]);
  });

  it('refuses a replayed registration challenge', async () => {
    const subject = newSubject('staff');
    const authenticator = new SoftAuthenticator(ORIGIN);
    const { options } = await service().registrationOptions(subject);
    const response = authenticator.register(options);
    await service().verifyRegistration(subject, response, 'Key');
    await expect(service().verifyRegistration(subject, response, 'Key')).rejects.toMatchObject({
      code: 'AUTH_MFA_INVALID',
      message: expect.stringMatching(/already used/),
    });
    // A fresh credential signed over the same, already used, challenge fares no better.
    const other = new SoftAuthenticator(ORIGIN).register(options);
    await expect(service().verifyRegistration(subject, other, 'Key 2')).rejects.toMatchObject({
      code: 'AUTH_MFA_INVALID',
    });
    expect(await service().list(subject.id)).toHaveLength(1);
  });

  it('refuses a registration challenge after five minutes, or from another subject', async () => {
    const subject = newSubject();
    const inTime = await service().registrationOptions(subject);
    const late = await service().registrationOptions(subject);
    advance(5 * 60_000 - 1_000);
    await service().verifyRegistration(subject, new SoftAuthenticator(ORIGIN).register(inTime.options), 'A');
    advance(2_000);
    await expect(
      service().verifyRegistration(subject, new SoftAuthenticator(ORIGIN).register(late.options), 'B'),
    ).rejects.toMatchObject({ code: 'AUTH_MFA_INVALID', message: expect.stringMatching(/expired/) });

    const owner = newSubject();
    const stranger = newSubject();
    const forOwner = await service().registrationOptions(owner);
    await expect(
      service().verifyRegistration(stranger, new SoftAuthenticator(ORIGIN).register(forOwner.options), 'C'),
    ).rejects.toMatchObject({ code: 'AUTH_MFA_INVALID' });
  });

  it('refuses responses from another origin', async () => {
    const subject = newSubject();
    const authenticator = new SoftAuthenticator(ORIGIN);
    const { options } = await service().registrationOptions(subject);
    const phished = authenticator.register(options, { origin: 'https://wallet.example.com.evil.test' });
    await expect(service().verifyRegistration(subject, phished, 'Phone')).rejects.toMatchObject({
      code: 'AUTH_MFA_INVALID',
      message: expect.stringMatching(/did not verify/),
    });
    // The failed attempt used the challenge up.
    await expect(
      service().verifyRegistration(subject, new SoftAuthenticator(ORIGIN).register(options), 'Phone'),
    ).rejects.toMatchObject({ code: 'AUTH_MFA_INVALID' });

    const { authenticator: enrolled } = await enrol(subject);
    const { options: request, challenge } = await service().authenticationOptions(subject.id);
    const response = enrolled.authenticate(request, { origin: 'http://wallet.example.com' });
    await expect(service().verifyAuthentication(subject.id, response, challenge)).rejects.toMatchObject({
      code: 'AUTH_MFA_INVALID',
      message: expect.stringMatching(/did not verify/),
    });
  });

  it('refuses a challenge that was not issued for the ceremony', async () => {
    const subject = newSubject();
    const { options } = await service().registrationOptions(subject);
    const forged = new SoftAuthenticator(ORIGIN).register(options, {
      challenge: Buffer.from('never issued by the server').toString('base64url'),
    });
    await expect(service().verifyRegistration(subject, forged, 'Phone')).rejects.toMatchObject({
      code: 'AUTH_MFA_INVALID',
      message: expect.stringMatching(/unknown/),
    });

    const { authenticator } = await enrol(subject);
    const issued = await service().authenticationOptions(subject.id);
    const another = await service().authenticationOptions(subject.id);
    await expect(
      service().verifyAuthentication(
        subject.id,
        authenticator.authenticate(another.options),
        issued.challenge,
      ),
    ).rejects.toMatchObject({ code: 'AUTH_MFA_INVALID', message: expect.stringMatching(/did not verify/) });
    await expect(
      service().verifyAuthentication(
        subject.id,
        authenticator.authenticate(issued.options, { challenge: another.challenge }),
        issued.challenge,
      ),
    ).rejects.toMatchObject({ code: 'AUTH_MFA_INVALID', message: expect.stringMatching(/did not verify/) });
  });

  it('refuses a signature counter that does not move forward (a cloned authenticator)', async () => {
    const subject = newSubject();
    const { authenticator, factorId } = await enrol(subject);
    for (let i = 0; i < 3; i++) {
      const { options, challenge } = await service().authenticationOptions(subject.id);
      await service().verifyAuthentication(subject.id, authenticator.authenticate(options), challenge);
    }
    for (const counter of [2, 3, 0]) {
      const { options, challenge } = await service().authenticationOptions(subject.id);
      await expect(
        service().verifyAuthentication(
          subject.id,
          authenticator.authenticate(options, { counter }),
          challenge,
        ),
      ).rejects.toMatchObject({ code: 'AUTH_MFA_INVALID', message: expect.stringMatching(/cloned/) });
    }
    const row = await db()
      .selectFrom('mfa_factors')
      .select('sign_count')
      .where('id', '=', factorId)
      .executeTakeFirstOrThrow();
    expect(row.sign_count).toBe(3n);
    const { options, challenge } = await service().authenticationOptions(subject.id);
    await expect(
      service().verifyAuthentication(subject.id, authenticator.authenticate(options), challenge),
    ).resolves.toEqual({ factorId });
  });

  it('refuses an unknown credential, another subject’s credential and a bad signature', async () => {
    const subject = newSubject();
    const { authenticator } = await enrol(subject);
    const { options, challenge } = await service().authenticationOptions(subject.id);

    // A credential the server never verified.
    const stranger = new SoftAuthenticator(ORIGIN);
    stranger.register((await service().registrationOptions(newSubject())).options);
    const unknown = stranger.authenticate({ ...options, allowCredentials: [] });
    await expect(service().verifyAuthentication(subject.id, unknown, challenge)).rejects.toMatchObject({
      code: 'AUTH_MFA_INVALID',
      message: expect.stringMatching(/not registered/),
    });

    // A real credential, presented for somebody else.
    const other = newSubject();
    await enrol(other);
    await expect(
      service().verifyAuthentication(other.id, authenticator.authenticate(options), challenge),
    ).rejects.toMatchObject({ code: 'AUTH_MFA_INVALID' });

    const signed = authenticator.authenticate(options);
    const signature = Buffer.from(signed.response.signature, 'base64url');
    signature[signature.length - 1] = (signature[signature.length - 1] ?? 0) ^ 1;
    const tampered = {
      ...signed,
      response: { ...signed.response, signature: signature.toString('base64url') },
    };
    await expect(service().verifyAuthentication(subject.id, tampered, challenge)).rejects.toMatchObject({
      code: 'AUTH_MFA_INVALID',
      message: expect.stringMatching(/signature did not verify/),
    });
  });

  it('refuses to enrol the same credential twice', async () => {
    const subject = newSubject();
    const { authenticator } = await enrol(subject);
    const [credentialId] = (await service().authenticationOptions(subject.id)).options.allowCredentials?.map(
      (c) => c.id,
    ) ?? [undefined];
    if (credentialId === undefined) throw new Error('no credential');
    const { options } = await service().registrationOptions(subject);
    const duplicate = authenticator.register(options, { reuse: credentialId });
    await expect(service().verifyRegistration(subject, duplicate, 'Again')).rejects.toMatchObject({
      code: 'AUTH_MFA_ALREADY_ENROLLED',
    });
  });

  it('lists and removes passkeys; a removed one no longer signs in', async () => {
    const subject = newSubject();
    const { authenticator, factorId } = await enrol(subject);
    const { options, challenge } = await service().authenticationOptions(subject.id);
    await expect(service().remove('cus_somebody_else', factorId)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await service().remove(subject.id, factorId);
    expect(await service().list(subject.id)).toEqual([]);
    await expect(service().remove(subject.id, factorId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(service().authenticationOptions(subject.id)).rejects.toMatchObject({
      code: 'AUTH_MFA_NOT_ENROLLED',
    });
    await expect(
      service().verifyAuthentication(subject.id, authenticator.authenticate(options), challenge),
    ).rejects.toMatchObject({ code: 'AUTH_MFA_INVALID' });
  });
});
