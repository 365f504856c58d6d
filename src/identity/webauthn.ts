import { createHash } from 'node:crypto';
import {
  type AuthenticationResponseJSON,
  type AuthenticatorTransportFuture,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';

export interface WebAuthnSettings {
  /** The relying party id: the site's registrable domain, e.g. `wallet.example.com`. */
  rpId: string;
  /** Shown by the browser and the authenticator when a passkey is created. */
  rpName: string;
  /** Exact origins (scheme, host, port) the browser may report, e.g. `https://wallet.example.com`. */
  origins: string[];
}

export interface WebAuthnSubject {
  type: 'customer' | 'staff';
  id: string;
  /** The account name the authenticator shows next to the passkey (a masked login is enough). */
  name: string;
}

export interface WebAuthnFactorView {
  id: string;
  kind: 'webauthn';
  label: string | null;
  createdAt: string;
  lastUsedAt: string | null;
}

/** How long a ceremony may take, in the browser and on the server. */
const CEREMONY_TTL_MS = 5 * 60_000;
const REGISTRATION_PURPOSE = 'webauthn_registration';
const LABEL_MAX = 64;

const TRANSPORTS: ReadonlySet<string> = new Set<AuthenticatorTransportFuture>([
  'ble',
  'cable',
  'hybrid',
  'internal',
  'nfc',
  'smart-card',
  'usb',
]);

function isTransport(value: unknown): value is AuthenticatorTransportFuture {
  return typeof value === 'string' && TRANSPORTS.has(value);
}

/** Transports come from the browser (on registration) or jsonb (later): keep only known names. */
function transportsOf(value: unknown): AuthenticatorTransportFuture[] {
  return Array.isArray(value) ? value.filter(isTransport) : [];
}

const sha256Hex = (value: string) => createHash('sha256').update(value).digest('hex');

/** The challenge the browser signed, read from clientDataJSON; undefined when it is not readable. */
function challengeOf(clientDataJSON: unknown): string | undefined {
  if (typeof clientDataJSON !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || !('challenge' in parsed)) return undefined;
    return typeof parsed.challenge === 'string' && parsed.challenge !== '' ? parsed.challenge : undefined;
  } catch {
    return undefined;
  }
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && err.code === '23505';
}

/**
 * Passkeys (WebAuthn) as a second factor for customers and staff, stored in `mfa_factors`.
 *
 * Registration: `registrationOptions` hands the browser creation options and keeps only
 * the SHA-256 of their challenge in `one_time_tokens` (five minutes, single use).
 * `verifyRegistration` reads the challenge back out of the signed clientDataJSON, claims
 * the matching row atomically (so a replayed response finds it already used), checks the
 * attestation against our RP id and origins, and stores the credential's public key.
 *
 * Authentication: `authenticationOptions` lists the subject's passkeys and returns a
 * challenge that the caller keeps (a step-up challenge record) and hands back to
 * `verifyAuthentication`, which checks the signature and that the authenticator's
 * signature counter moved forward: a counter that did not is the mark of a cloned key.
 */
export class WebAuthnService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly settings: WebAuthnSettings,
  ) {}

  async registrationOptions(
    subject: WebAuthnSubject,
  ): Promise<{ options: PublicKeyCredentialCreationOptionsJSON; challenge: string }> {
    const existing = await this.activeCredentials(subject.id);
    const options = await generateRegistrationOptions({
      rpName: this.settings.rpName,
      rpID: this.settings.rpId,
      // A stable user handle: a second registration on the same authenticator replaces
      // the first instead of piling up. The subject id is opaque, not personal data.
      userID: new TextEncoder().encode(subject.id),
      userName: subject.name,
      userDisplayName: subject.name,
      timeout: CEREMONY_TTL_MS,
      attestationType: 'none',
      excludeCredentials: existing.map((c) => ({ id: c.credentialId, transports: c.transports })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    });
    const now = this.clock.now();
    await this.db
      .insertInto('one_time_tokens')
      .values({
        id: newId('ott'),
        purpose: REGISTRATION_PURPOSE,
        subject_id: subject.id,
        token_hash: sha256Hex(options.challenge),
        destination: null,
        created_at: now,
        expires_at: new Date(now.getTime() + CEREMONY_TTL_MS),
        used_at: null,
      })
      .execute();
    return { options, challenge: options.challenge };
  }

  async verifyRegistration(
    subject: WebAuthnSubject,
    response: RegistrationResponseJSON,
    label: string,
  ): Promise<WebAuthnFactorView> {
    const challenge = challengeOf(response.response?.clientDataJSON);
    if (challenge === undefined) {
      throw new AppError('AUTH_MFA_INVALID', 'The passkey response carries no readable challenge.');
    }
    const now = this.clock.now();
    // Claimed before verification: a response that fails still uses up its challenge.
    const claimed = await this.db
      .updateTable('one_time_tokens')
      .set({ used_at: now })
      .where('token_hash', '=', sha256Hex(challenge))
      .where('purpose', '=', REGISTRATION_PURPOSE)
      .where('subject_id', '=', subject.id)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .returning('id')
      .executeTakeFirst();
    if (!claimed) {
      throw new AppError(
        'AUTH_MFA_INVALID',
        'The passkey registration challenge is unknown, has expired or was already used.',
      );
    }

    let verification: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
    try {
      verification = await verifyRegistrationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: this.settings.origins,
        expectedRPID: this.settings.rpId,
        requireUserVerification: false,
      });
    } catch {
      throw new AppError('AUTH_MFA_INVALID', 'The passkey registration did not verify.');
    }
    if (!verification.verified) {
      throw new AppError('AUTH_MFA_INVALID', 'The passkey registration did not verify.');
    }
    const { credential } = verification.registrationInfo;

    const taken = await this.db
      .selectFrom('mfa_factors')
      .select('id')
      .where('credential_id', '=', credential.id)
      .executeTakeFirst();
    if (taken) throw new AppError('AUTH_MFA_ALREADY_ENROLLED', 'This passkey is already registered.');

    const cleanLabel = label.trim().slice(0, LABEL_MAX) || 'Passkey';
    const id = newId('mfa');
    try {
      await this.db
        .insertInto('mfa_factors')
        .values({
          id,
          subject_type: subject.type,
          subject_id: subject.id,
          kind: 'webauthn',
          status: 'active',
          label: cleanLabel,
          secret_sealed: null,
          last_step: null,
          credential_id: credential.id,
          public_key: Buffer.from(credential.publicKey).toString('base64url'),
          sign_count: BigInt(credential.counter),
          transports: JSON.stringify(transportsOf(credential.transports)),
          created_at: now,
          last_used_at: null,
        })
        .execute();
    } catch (err) {
      // Two registrations of the same credential racing each other.
      if (isUniqueViolation(err)) {
        throw new AppError('AUTH_MFA_ALREADY_ENROLLED', 'This passkey is already registered.');
      }
      throw err;
    }
    return { id, kind: 'webauthn', label: cleanLabel, createdAt: now.toISOString(), lastUsedAt: null };
  }

  /** Request options for the subject's passkeys; the caller stores `challenge` with its own record. */
  async authenticationOptions(
    subjectId: string,
  ): Promise<{ options: PublicKeyCredentialRequestOptionsJSON; challenge: string }> {
    const credentials = await this.activeCredentials(subjectId);
    if (credentials.length === 0) {
      throw new AppError('AUTH_MFA_NOT_ENROLLED', 'No passkey is registered.');
    }
    const options = await generateAuthenticationOptions({
      rpID: this.settings.rpId,
      allowCredentials: credentials.map((c) => ({ id: c.credentialId, transports: c.transports })),
      userVerification: 'preferred',
      timeout: CEREMONY_TTL_MS,
    });
    return { options, challenge: options.challenge };
  }

  async verifyAuthentication(
    subjectId: string,
    response: AuthenticationResponseJSON,
    expectedChallenge: string,
  ): Promise<{ factorId: string }> {
    const row =
      typeof response.id === 'string' && response.id !== ''
        ? await this.db
            .selectFrom('mfa_factors')
            .select(['id', 'credential_id', 'public_key', 'sign_count', 'transports'])
            .where('credential_id', '=', response.id)
            .where('subject_id', '=', subjectId)
            .where('kind', '=', 'webauthn')
            .where('status', '=', 'active')
            .executeTakeFirst()
        : undefined;
    if (!row || row.credential_id === null || row.public_key === null) {
      throw new AppError('AUTH_MFA_INVALID', 'This passkey is not registered to the account.');
    }

    let verification: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
    try {
      verification = await verifyAuthenticationResponse({
        response,
        expectedChallenge,
        expectedOrigin: this.settings.origins,
        expectedRPID: this.settings.rpId,
        requireUserVerification: false,
        // The counter is checked below, after the signature, so a forged response is never
        // mistaken for a cloned authenticator.
        credential: {
          id: row.credential_id,
          publicKey: new Uint8Array(Buffer.from(row.public_key, 'base64url')),
          counter: 0,
          transports: transportsOf(row.transports),
        },
      });
    } catch {
      throw new AppError('AUTH_MFA_INVALID', 'The passkey response did not verify.');
    }
    if (!verification.verified) {
      throw new AppError('AUTH_MFA_INVALID', 'The passkey signature did not verify.');
    }

    // Authenticators that keep no counter always report 0; one that does must move forward
    // (WebAuthn §6.1.1). A counter at or below the stored one means two copies of the key.
    const stored = row.sign_count ?? 0n;
    const presented = BigInt(verification.authenticationInfo.newCounter);
    if (stored > 0n && presented <= stored) {
      throw new AppError(
        'AUTH_MFA_INVALID',
        `The passkey's signature counter went backwards (${presented} after ${stored}): the authenticator may have been cloned.`,
      );
    }

    // The same condition again in the update, so two responses racing each other cannot both pass.
    const updated = await this.db
      .updateTable('mfa_factors')
      .set({ sign_count: presented, last_used_at: this.clock.now() })
      .where('id', '=', row.id)
      .where('status', '=', 'active')
      .where((eb) =>
        presented > 0n
          ? eb.or([eb('sign_count', 'is', null), eb('sign_count', '<', presented)])
          : eb.or([eb('sign_count', 'is', null), eb('sign_count', '=', 0n)]),
      )
      .returning('id')
      .executeTakeFirst();
    if (!updated) {
      throw new AppError('AUTH_MFA_INVALID', 'The passkey was used concurrently or has been removed.');
    }
    return { factorId: row.id };
  }

  async list(subjectId: string): Promise<WebAuthnFactorView[]> {
    const rows = await this.db
      .selectFrom('mfa_factors')
      .select(['id', 'label', 'created_at', 'last_used_at'])
      .where('subject_id', '=', subjectId)
      .where('kind', '=', 'webauthn')
      .where('status', '=', 'active')
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      kind: 'webauthn',
      label: r.label,
      createdAt: r.created_at.toISOString(),
      lastUsedAt: r.last_used_at?.toISOString() ?? null,
    }));
  }

  /** Retires a passkey; the row stays, marked removed, as a record of what was enrolled. */
  async remove(subjectId: string, factorId: string): Promise<void> {
    const removed = await this.db
      .updateTable('mfa_factors')
      .set({ status: 'removed' })
      .where('id', '=', factorId)
      .where('subject_id', '=', subjectId)
      .where('kind', '=', 'webauthn')
      .where('status', '=', 'active')
      .returning('id')
      .executeTakeFirst();
    if (!removed) throw new AppError('NOT_FOUND', 'The passkey does not exist.');
  }

  private async activeCredentials(
    subjectId: string,
  ): Promise<Array<{ credentialId: string; transports: AuthenticatorTransportFuture[] }>> {
    const rows = await this.db
      .selectFrom('mfa_factors')
      .select(['credential_id', 'transports'])
      .where('subject_id', '=', subjectId)
      .where('kind', '=', 'webauthn')
      .where('status', '=', 'active')
      .orderBy('created_at')
      .execute();
    const out: Array<{ credentialId: string; transports: AuthenticatorTransportFuture[] }> = [];
    for (const r of rows) {
      if (r.credential_id !== null) {
        out.push({ credentialId: r.credential_id, transports: transportsOf(r.transports) });
      }
    }
    return out;
  }
}
