import { createHash, randomBytes } from 'node:crypto';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import { stableJson } from '../platform/idempotency.ts';
import { newId } from '../platform/ids.ts';
import { maskEmail, maskPhone } from '../security/mask.ts';
import type { TotpFactors } from './factors.ts';
import type { OtpService } from './otp.ts';
import type { WebAuthnService } from './webauthn.ts';

/**
 * `integrator`: an API client that authenticates its own users confirms, for a challenge
 * the risk engine raised on its request, that it did so and showed the warnings.
 */
export type StepUpMethod = 'totp' | 'webauthn' | 'sms' | 'email' | 'integrator';

/** Where a customer can receive a code, opened from the sealed login only when needed. */
export type ContactLookup = (customerId: string) => Promise<{ phone: string | null; email: string | null }>;

export interface StepUpChallengeView {
  id: string;
  operation: string;
  reason: string;
  methods: StepUpMethod[];
  expiresAt: string;
}

export type StepUpAnswer =
  | { method: 'totp'; code: string }
  | { method: 'sms' | 'email'; code: string }
  | { method: 'webauthn'; response: AuthenticationResponseJSON };

const MAX_ATTEMPTS = 5;
const sha256 = (v: string) => createHash('sha256').update(v).digest('hex');

/**
 * Step-up authentication (I3). A sensitive operation asked for without a proof gets a
 * challenge bound to exactly that operation: the subject, the operation's name and a
 * hash of its request body. The client answers the challenge with a second factor and
 * receives a proof; the operation, sent again with the proof, consumes it. A proof is
 * fresh (it expires with its challenge), single-use (consumed by one atomic update) and
 * bound (another amount, payee or operation does not match its binding).
 */
export class StepUpService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly deps: {
      totp: TotpFactors;
      webauthn: WebAuthnService;
      otp: OtpService;
      contacts: ContactLookup;
      ttlS: number;
    },
  ) {}

  /** The binding of an operation: who, what, and the exact request. */
  binding(subjectId: string, operation: string, request: unknown): string {
    return sha256(`${subjectId}\n${operation}\n${stableJson(request)}`);
  }

  /** The second factors this subject can use now, strongest first. */
  async methodsFor(subjectId: string): Promise<StepUpMethod[]> {
    const factors = await this.db
      .selectFrom('mfa_factors')
      .select('kind')
      .where('subject_id', '=', subjectId)
      .where('status', '=', 'active')
      .execute();
    const kinds = new Set(factors.map((f) => f.kind));
    const methods: StepUpMethod[] = [];
    if (kinds.has('webauthn')) methods.push('webauthn');
    if (kinds.has('totp')) methods.push('totp');
    const contact = await this.deps.contacts(subjectId);
    if (contact.phone) methods.push('sms');
    else if (contact.email) methods.push('email');
    return methods;
  }

  /**
   * Consumes `proof` for this operation, or, when there is none, opens a challenge and
   * throws AUTH_STEP_UP_REQUIRED carrying it. A proof that does not match is refused.
   */
  async require(
    subjectId: string,
    operation: string,
    request: unknown,
    reason: string,
    proof: string | undefined,
  ): Promise<void> {
    const binding = this.binding(subjectId, operation, request);
    if (proof) {
      await this.consume(subjectId, binding, proof);
      return;
    }
    const challenge = await this.open(subjectId, operation, binding, reason);
    throw new AppError('AUTH_STEP_UP_REQUIRED', reason, { challenge });
  }

  async open(subjectId: string, operation: string, binding: string, reason: string, only?: StepUpMethod[]) {
    const methods = only ?? (await this.methodsFor(subjectId));
    if (methods.length === 0) {
      throw new AppError('AUTH_MFA_NOT_ENROLLED', 'No second factor is available for this account.');
    }
    const now = this.clock.now();
    const id = newId('chl');
    const expiresAt = new Date(now.getTime() + this.deps.ttlS * 1000);
    await this.db
      .insertInto('step_up_challenges')
      .values({
        id,
        subject_id: subjectId,
        operation,
        binding,
        methods: JSON.stringify(methods),
        reason,
        created_at: now,
        expires_at: expiresAt,
      })
      .execute();
    const view: StepUpChallengeView = { id, operation, reason, methods, expiresAt: expiresAt.toISOString() };
    return view;
  }

  private async pending(subjectId: string, challengeId: string) {
    const row = await this.db
      .selectFrom('step_up_challenges')
      .selectAll()
      .where('id', '=', challengeId)
      .where('subject_id', '=', subjectId)
      .executeTakeFirst();
    if (!row || row.expires_at <= this.clock.now() || row.verified_at || row.attempts >= MAX_ATTEMPTS) {
      throw new AppError('AUTH_CHALLENGE_NOT_FOUND');
    }
    return row;
  }

  /**
   * Prepares a method that needs a round trip: sends the SMS or e-mail code, or returns
   * the WebAuthn request options (their challenge is kept on the step-up challenge).
   */
  async start(subjectId: string, challengeId: string, method: StepUpMethod) {
    const row = await this.pending(subjectId, challengeId);
    if (!row.methods.includes(method)) {
      throw new AppError('AUTH_MFA_NOT_ENROLLED', `Method ${method} is not available for this challenge.`);
    }
    if (method === 'webauthn') {
      const { options, challenge } = await this.deps.webauthn.authenticationOptions(subjectId);
      await this.db
        .updateTable('step_up_challenges')
        .set({ webauthn_challenge: challenge })
        .where('id', '=', challengeId)
        .execute();
      return { method, options };
    }
    if (method === 'sms' || method === 'email') {
      const contact = await this.deps.contacts(subjectId);
      const destination = method === 'sms' ? contact.phone : contact.email;
      if (!destination) throw new AppError('AUTH_MFA_NOT_ENROLLED', `No ${method} destination on file.`);
      const sent = await this.deps.otp.send({
        subjectId,
        purpose: `step-up:${challengeId}`,
        channel: method,
        destination,
      });
      return {
        method,
        sentTo: method === 'sms' ? maskPhone(destination) : maskEmail(destination),
        codeId: sent.id,
        expiresAt: sent.expiresAt,
      };
    }
    return { method };
  }

  /** Checks the answer; a right one turns the challenge into a single-use proof. */
  async verify(subjectId: string, challengeId: string, answer: StepUpAnswer, codeId?: string) {
    const row = await this.pending(subjectId, challengeId);
    if (!row.methods.includes(answer.method)) {
      throw new AppError(
        'AUTH_MFA_NOT_ENROLLED',
        `Method ${answer.method} is not available for this challenge.`,
      );
    }
    let ok = false;
    if (answer.method === 'totp') ok = await this.deps.totp.verify(subjectId, answer.code);
    else if (answer.method === 'webauthn') {
      if (!row.webauthn_challenge) {
        throw new AppError('AUTH_MFA_INVALID', 'Start the WebAuthn method first to receive its options.');
      }
      try {
        await this.deps.webauthn.verifyAuthentication(subjectId, answer.response, row.webauthn_challenge);
        ok = true;
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
      }
    } else {
      if (!codeId) throw new AppError('VALIDATION_FAILED', 'codeId is required for SMS and e-mail codes.');
      ok = await this.deps.otp.verify({
        id: codeId,
        subjectId,
        purpose: `step-up:${challengeId}`,
        code: answer.code,
      });
    }
    if (!ok) {
      await this.db
        .updateTable('step_up_challenges')
        .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
        .where('id', '=', challengeId)
        .execute();
      throw new AppError('AUTH_MFA_INVALID');
    }
    const proof = `sup_${randomBytes(32).toString('base64url')}`;
    const verified = await this.db
      .updateTable('step_up_challenges')
      .set({ verified_at: this.clock.now(), verified_method: answer.method, proof_hash: sha256(proof) })
      .where('id', '=', challengeId)
      .where('verified_at', 'is', null)
      .returning('expires_at')
      .executeTakeFirst();
    if (!verified) throw new AppError('AUTH_CHALLENGE_NOT_FOUND');
    return { proof, method: answer.method, expiresAt: verified.expires_at.toISOString() };
  }

  /**
   * An integrator's confirmation of a challenge opened for its request: it authenticated
   * the customer itself and showed the warnings. Only challenges opened for integrators
   * (method `integrator`) can be confirmed this way.
   */
  async attest(challengeId: string, clientId: string) {
    const row = await this.db
      .selectFrom('step_up_challenges')
      .selectAll()
      .where('id', '=', challengeId)
      .executeTakeFirst();
    const methods = (row?.methods ?? []) as string[];
    if (!row || row.expires_at <= this.clock.now() || row.verified_at || !methods.includes('integrator')) {
      throw new AppError('RISK_CHALLENGE_NOT_FOUND');
    }
    const proof = `sup_${randomBytes(32).toString('base64url')}`;
    const verified = await this.db
      .updateTable('step_up_challenges')
      .set({
        verified_at: this.clock.now(),
        verified_method: `integrator:${clientId}`,
        proof_hash: sha256(proof),
      })
      .where('id', '=', challengeId)
      .where('verified_at', 'is', null)
      .returning('expires_at')
      .executeTakeFirst();
    if (!verified) throw new AppError('RISK_CHALLENGE_NOT_FOUND');
    return { proof, method: 'integrator' as const, expiresAt: verified.expires_at.toISOString() };
  }

  /** Spends a proof for exactly this subject and binding, once, before it expires. */
  async consume(subjectId: string, binding: string, proof: string): Promise<{ method: string }> {
    if (!/^sup_[A-Za-z0-9_-]{43}$/.test(proof)) throw new AppError('AUTH_STEP_UP_INVALID');
    const used = await this.db
      .updateTable('step_up_challenges')
      .set({ used_at: this.clock.now() })
      .where('proof_hash', '=', sha256(proof))
      .where('subject_id', '=', subjectId)
      .where('binding', '=', binding)
      .where('used_at', 'is', null)
      .where('expires_at', '>', this.clock.now())
      .returning('verified_method')
      .executeTakeFirst();
    if (!used) throw new AppError('AUTH_STEP_UP_INVALID');
    return { method: used.verified_method ?? 'unknown' };
  }
}
