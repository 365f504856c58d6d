import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { actorOf, principalOf } from '../access/principal.ts';
import type { LedgerService } from '../ledger/service.ts';
import type { Db } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import { type App, idempotencyOf } from '../platform/http.ts';
import { answered } from '../platform/idempotency.ts';
import {
  CURRENCIES,
  type Currency,
  formatMinor,
  parseAmountMinor,
  parseCurrency,
} from '../platform/money.ts';
import { appendAudit, auditOf } from '../security/audit.ts';
import type { FundingService } from '../wallet/funding.ts';
import { STEP_UP_PROOF_HEADER, stepUpPassed, stepUpProofOf } from '../wallet/risk-step.ts';
import { Problem } from '../wallet/schemas.ts';
import type { CustomerAccounts } from './accounts.ts';
import type { TotpFactors } from './factors.ts';
import type { ClientInfo, SessionService } from './sessions.ts';
import type { StepUpAnswer, StepUpService } from './step-up.ts';
import type { WebAuthnService } from './webauthn.ts';

export interface IdentityRouteDeps {
  db: Db;
  accounts: CustomerAccounts;
  sessions: SessionService;
  totp: TotpFactors;
  webauthn: WebAuthnService;
  stepUp: StepUpService;
  ledger: LedgerService;
  funding: FundingService;
}

export const STEP_UP_HEADER = STEP_UP_PROOF_HEADER;
const DEVICE_HEADER = 'bulwark-device-id';
const problems = { '4xx': Problem, '5xx': Problem };

/** Step-up thresholds in major units: from `large` any transfer or payment, from `newPayee` a first transfer to someone. */
const STEP_UP_MAJOR: Record<Currency, { large: number; newPayee: number }> = {
  CNY: { large: 5_000, newPayee: 1_000 },
  HKD: { large: 5_000, newPayee: 1_000 },
  USD: { large: 700, newPayee: 150 },
  EUR: { large: 650, newPayee: 130 },
  GBP: { large: 550, newPayee: 110 },
  SGD: { large: 900, newPayee: 180 },
  JPY: { large: 100_000, newPayee: 20_000 },
};
const minorOf = (major: number, currency: Currency) => BigInt(major) * 10n ** BigInt(CURRENCIES[currency]);

function clientOf(req: FastifyRequest): ClientInfo {
  const device = req.headers[DEVICE_HEADER];
  const deviceId = typeof device === 'string' && /^[A-Za-z0-9._:-]{8,128}$/.test(device) ? device : undefined;
  const ua = req.headers['user-agent'];
  return { deviceId, userAgent: typeof ua === 'string' ? ua : undefined, ip: req.ip, requestId: req.id };
}

const TokenPairSchema = Type.Object({
  sessionId: Type.String(),
  accessToken: Type.String(),
  accessTokenExpiresAt: Type.String(),
  refreshToken: Type.String(),
  refreshTokenExpiresAt: Type.String(),
  tokenType: Type.Literal('Bearer'),
});
const Password = Type.String({ minLength: 1, maxLength: 128 });
const Code = Type.String({ minLength: 6, maxLength: 16 });
const ChallengeParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const SessionParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
/** WebAuthn responses are checked by the verifier; here only their outer shape is bounded. */
const WebAuthnResponse = Type.Object(
  {
    id: Type.String({ maxLength: 1024 }),
    rawId: Type.String({ maxLength: 1024 }),
    type: Type.Literal('public-key'),
    response: Type.Record(Type.String({ maxLength: 64 }), Type.Unknown()),
    clientExtensionResults: Type.Record(Type.String({ maxLength: 64 }), Type.Unknown()),
    authenticatorAttachment: Type.Optional(Type.String({ maxLength: 32 })),
  },
  { additionalProperties: false },
);

/**
 * Customer identity API: registration, sign-in, tokens, sessions and devices, second
 * factors, step-up challenges, password, phone and card changes. Also installs the
 * step-up check on the sensitive wallet operations, so it must be registered before the
 * wallet routes.
 */
export function registerIdentityRoutes(app: App, deps: IdentityRouteDeps): void {
  const { accounts, sessions, totp, webauthn, stepUp } = deps;

  installStepUpPolicy(app, deps);

  app.post(
    '/v1/auth/register',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Register a customer with a phone number or e-mail, a password and consent; signs in',
        body: Type.Object(
          {
            phone: Type.Optional(Type.String({ minLength: 5, maxLength: 24 })),
            email: Type.Optional(Type.String({ minLength: 3, maxLength: 254 })),
            password: Password,
            displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            currencies: Type.Optional(
              Type.Array(Type.String({ maxLength: 3 }), { minItems: 1, maxItems: 7 }),
            ),
            consent: Type.Object(
              { policyVersion: Type.String({ minLength: 1, maxLength: 32 }), accepted: Type.Boolean() },
              { additionalProperties: false },
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({ customerId: Type.String(), tokens: TokenPairSchema }),
          ...problems,
        },
      },
    },
    async (req, reply) => reply.code(201).send(await accounts.register(req.body, clientOf(req))),
  );

  app.post(
    '/v1/auth/login',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Sign in with phone or e-mail and password (and the authenticator code once enrolled)',
        description:
          'Send a stable Bulwark-Device-Id header: a device that signed in before is recognised, ' +
          'a new one raises a notification. Failures delay, then lock, the login name and the address.',
        body: Type.Object(
          {
            login: Type.String({ minLength: 3, maxLength: 254 }),
            password: Password,
            otp: Type.Optional(Code),
          },
          { additionalProperties: false },
        ),
        response: { 200: TokenPairSchema, ...problems },
      },
    },
    async (req) => accounts.login(req.body, clientOf(req)),
  );

  app.post(
    '/v1/auth/refresh',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Exchange a refresh token for a new pair; each refresh token works once',
        body: Type.Object(
          { refreshToken: Type.String({ minLength: 10, maxLength: 100 }) },
          { additionalProperties: false },
        ),
        response: { 200: TokenPairSchema, ...problems },
      },
    },
    async (req) => sessions.refresh(req.body.refreshToken, clientOf(req)),
  );

  app.post(
    '/v1/auth/password-reset',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['auth'],
        summary:
          'Send a reset code to the phone or e-mail on file (the answer is the same for unknown logins)',
        body: Type.Object(
          { login: Type.String({ minLength: 3, maxLength: 254 }) },
          { additionalProperties: false },
        ),
        response: { 202: Type.Object({ resetId: Type.String(), expiresAt: Type.String() }), ...problems },
      },
    },
    async (req, reply) => reply.code(202).send(await accounts.requestReset(req.body.login, clientOf(req))),
  );

  app.post(
    '/v1/auth/password-reset/confirm',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Set a new password with the reset code; ends every session and clears a lock',
        body: Type.Object(
          {
            login: Type.String({ minLength: 3, maxLength: 254 }),
            resetId: Type.String({ minLength: 1, maxLength: 64 }),
            code: Code,
            newPassword: Password,
          },
          { additionalProperties: false },
        ),
        response: { 204: Type.Null(), ...problems },
      },
    },
    async (req, reply) => {
      await accounts.confirmReset(req.body, clientOf(req));
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/auth/logout',
    {
      config: { auth: 'customer' },
      schema: { tags: ['auth'], summary: 'End this session', response: { 204: Type.Null(), ...problems } },
    },
    async (req, reply) => {
      const p = principalOf(req);
      if (p.sessionId) {
        await sessions.revoke(p.id, { sessionId: p.sessionId }, actor(req), 'logout', clientOf(req));
      }
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/me',
    {
      config: { auth: 'customer' },
      schema: { tags: ['me'], summary: 'My profile: masked contact details, tier, consents' },
    },
    async (req) => accounts.profile(principalOf(req).id),
  );

  app.get(
    '/v1/me/sessions',
    { config: { auth: 'customer' }, schema: { tags: ['me'], summary: 'My active sessions' } },
    async (req) => {
      const p = principalOf(req);
      return { sessions: await sessions.list(p.id, p.sessionId) };
    },
  );

  app.post(
    '/v1/me/sessions/:id/revoke',
    {
      config: { auth: 'customer' },
      schema: {
        tags: ['me'],
        summary: 'End one of my sessions',
        params: SessionParams,
        response: { 200: Type.Object({ revoked: Type.Integer() }), ...problems },
      },
    },
    async (req) => ({
      revoked: await sessions.revoke(
        principalOf(req).id,
        { sessionId: req.params.id },
        actor(req),
        'revoked by customer',
        clientOf(req),
      ),
    }),
  );

  app.post(
    '/v1/me/sessions/revoke-all',
    {
      config: { auth: 'customer' },
      schema: {
        tags: ['me'],
        summary: 'End all my sessions (keepCurrent keeps this one)',
        body: Type.Object({ keepCurrent: Type.Boolean({ default: true }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ revoked: Type.Integer() }), ...problems },
      },
    },
    async (req) => {
      const p = principalOf(req);
      return {
        revoked: await sessions.revoke(
          p.id,
          { all: true, keep: req.body.keepCurrent ? p.sessionId : undefined },
          actor(req),
          'revoked by customer',
          clientOf(req),
        ),
      };
    },
  );

  app.get(
    '/v1/me/devices',
    { config: { auth: 'customer' }, schema: { tags: ['me'], summary: 'Devices I have signed in from' } },
    async (req) => ({ devices: await sessions.devices(principalOf(req).id) }),
  );

  app.get(
    '/v1/me/mfa',
    { config: { auth: 'customer' }, schema: { tags: ['me'], summary: 'My second factors' } },
    async (req) => {
      return { factors: await totp.list(principalOf(req).id) };
    },
  );

  /** Adding a factor when one exists needs a step-up: a stolen session must not add its own. */
  const guardEnrolment = async (req: FastifyRequest, operation: string) => {
    const p = principalOf(req);
    const existing = await deps.db
      .selectFrom('mfa_factors')
      .select('id')
      .where('subject_id', '=', p.id)
      .where('status', '=', 'active')
      .executeTakeFirst();
    if (existing) {
      await stepUp.require(
        p.id,
        operation,
        req.body ?? null,
        'Confirm it is you to add a factor.',
        proofOf(req),
      );
    }
  };

  app.post(
    '/v1/me/mfa/totp',
    {
      config: { auth: 'customer' },
      schema: {
        tags: ['me'],
        summary: 'Start enrolling an authenticator app: returns the secret and an otpauth URI',
        response: {
          201: Type.Object({ factorId: Type.String(), secret: Type.String(), otpauthUri: Type.String() }),
          ...problems,
        },
      },
    },
    async (req, reply) => {
      await guardEnrolment(req, 'mfa.totp.enrol');
      const p = principalOf(req);
      const profile = await accounts.profile(p.id);
      return reply
        .code(201)
        .send(
          await totp.enrol({ type: 'customer', id: p.id, account: profile.phone ?? profile.email ?? p.id }),
        );
    },
  );

  app.post(
    '/v1/me/mfa/totp/confirm',
    {
      config: { auth: 'customer' },
      schema: {
        tags: ['me'],
        summary: 'Confirm the authenticator with a current code; returns ten recovery codes, once',
        body: Type.Object(
          { factorId: Type.String({ minLength: 1, maxLength: 64 }), code: Code },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ recoveryCodes: Type.Array(Type.String()) }), ...problems },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const result = await deps.db.transaction().execute(async (tx) => {
        const r = await totp.confirm(p.id, req.body.factorId, req.body.code, tx);
        await appendAudit(tx, [securityEvent(req, 'auth.mfa.enrol', { factor: 'totp' })]);
        return r;
      });
      return result;
    },
  );

  app.post(
    '/v1/me/mfa/webauthn/options',
    {
      config: { auth: 'customer' },
      schema: { tags: ['me'], summary: 'Start registering a passkey (WebAuthn): creation options' },
    },
    async (req) => {
      await guardEnrolment(req, 'mfa.webauthn.enrol');
      const p = principalOf(req);
      const profile = await accounts.profile(p.id);
      const { options } = await webauthn.registrationOptions({
        type: 'customer',
        id: p.id,
        name: profile.phone ?? profile.email ?? p.id,
      });
      return options;
    },
  );

  app.post(
    '/v1/me/mfa/webauthn',
    {
      config: { auth: 'customer' },
      schema: {
        tags: ['me'],
        summary: 'Finish registering a passkey with the authenticator response',
        body: Type.Object(
          { response: WebAuthnResponse, label: Type.String({ minLength: 1, maxLength: 64 }) },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const profile = await accounts.profile(p.id);
      const factor = await webauthn.verifyRegistration(
        { type: 'customer', id: p.id, name: profile.phone ?? profile.email ?? p.id },
        req.body.response as unknown as RegistrationResponseJSON,
        req.body.label,
      );
      await deps.db
        .transaction()
        .execute((tx) => appendAudit(tx, [securityEvent(req, 'auth.mfa.enrol', { factor: 'webauthn' })]));
      return reply.code(201).send(factor);
    },
  );

  app.post(
    '/v1/me/mfa/:id/remove',
    {
      config: { auth: 'customer' },
      schema: {
        tags: ['me'],
        summary: 'Remove a second factor (needs a step-up)',
        params: ChallengeParams,
        response: { 204: Type.Null(), ...problems },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      await stepUp.require(
        p.id,
        'mfa.remove',
        { factorId: req.params.id },
        'Confirm it is you to remove a factor.',
        proofOf(req),
      );
      await deps.db.transaction().execute(async (tx) => {
        await totp.remove(p.id, req.params.id, tx);
        await appendAudit(tx, [securityEvent(req, 'auth.mfa.remove', { factorId: req.params.id })]);
      });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/auth/step-up/:id/start',
    {
      config: { auth: 'customer' },
      schema: {
        tags: ['auth'],
        summary: 'Prepare a method of a step-up challenge: send the SMS/e-mail code or get WebAuthn options',
        params: ChallengeParams,
        body: Type.Object(
          { method: Type.Union([Type.Literal('webauthn'), Type.Literal('sms'), Type.Literal('email')]) },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => stepUp.start(principalOf(req).id, req.params.id, req.body.method),
  );

  app.post(
    '/v1/auth/step-up/:id/verify',
    {
      config: { auth: 'customer' },
      schema: {
        tags: ['auth'],
        summary: 'Answer a step-up challenge; returns a single-use proof for the Bulwark-Step-Up header',
        params: ChallengeParams,
        body: Type.Object(
          {
            method: Type.Union([
              Type.Literal('totp'),
              Type.Literal('sms'),
              Type.Literal('email'),
              Type.Literal('webauthn'),
            ]),
            code: Type.Optional(Code),
            codeId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
            response: Type.Optional(WebAuthnResponse),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ proof: Type.String(), method: Type.String(), expiresAt: Type.String() }),
          ...problems,
        },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const b = req.body;
      let answer: StepUpAnswer;
      if (b.method === 'webauthn') {
        if (!b.response) throw new AppError('VALIDATION_FAILED', 'response is required for webauthn.');
        answer = { method: 'webauthn', response: b.response as unknown as AuthenticationResponseJSON };
      } else {
        if (!b.code) throw new AppError('VALIDATION_FAILED', 'code is required.');
        answer = { method: b.method, code: b.code };
      }
      try {
        return await stepUp.verify(p.id, req.params.id, answer, b.codeId);
      } catch (err) {
        if (err instanceof AppError && err.code === 'AUTH_MFA_INVALID') {
          await deps.db
            .transaction()
            .execute((tx) =>
              appendAudit(tx, [
                securityEvent(req, 'auth.step_up.failed', { challenge: req.params.id, method: b.method }),
              ]),
            );
        }
        throw err;
      }
    },
  );

  app.post(
    '/v1/me/password',
    {
      config: { auth: 'customer' },
      schema: {
        tags: ['me'],
        summary: 'Change my password (needs a step-up); my other sessions end',
        body: Type.Object(
          { currentPassword: Password, newPassword: Password },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ endedSessions: Type.Integer() }), ...problems },
      },
    },
    async (req) => {
      const p = principalOf(req);
      // The binding covers the request without the passwords themselves.
      await stepUp.require(
        p.id,
        'password.change',
        {},
        'Confirm it is you to change the password.',
        proofOf(req),
      );
      return accounts.changePassword(p.id, req.body, p.sessionId, clientOf(req));
    },
  );

  app.post(
    '/v1/me/phone',
    {
      config: { auth: 'customer' },
      schema: {
        tags: ['me'],
        summary: 'Start changing my phone number: a code goes to the new number',
        body: Type.Object(
          { phone: Type.String({ minLength: 5, maxLength: 24 }) },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) =>
      reply.code(202).send(await accounts.startPhoneChange(principalOf(req).id, req.body.phone)),
  );

  app.post(
    '/v1/me/phone/confirm',
    {
      config: { auth: 'customer' },
      schema: {
        tags: ['me'],
        summary: 'Confirm the new phone number with its code (needs a step-up with my current factors)',
        body: Type.Object(
          {
            phone: Type.String({ minLength: 5, maxLength: 24 }),
            verificationId: Type.String({ minLength: 1, maxLength: 64 }),
            code: Code,
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      const p = principalOf(req);
      await stepUp.require(
        p.id,
        'phone.change',
        { phone: req.body.phone },
        'Confirm it is you to change the phone number.',
        proofOf(req),
      );
      return accounts.confirmPhoneChange(p.id, req.body, clientOf(req));
    },
  );

  app.get(
    '/v1/me/cards',
    {
      config: { auth: 'customer' },
      schema: { tags: ['me'], summary: 'My bound cards (token and last four digits)' },
    },
    async (req) => ({ cards: await accounts.cards(principalOf(req).id) }),
  );

  app.post(
    '/v1/me/cards',
    {
      config: { auth: 'customer' },
      schema: {
        tags: ['me'],
        summary: 'Bind a card (needs a step-up); only a token and the last four digits are kept',
        body: Type.Object(
          {
            number: Type.String({ minLength: 12, maxLength: 23, pattern: '^[0-9 -]+$' }),
            expiryMonth: Type.Integer({ minimum: 1, maximum: 12 }),
            expiryYear: Type.Integer({ minimum: 2000, maximum: 2100 }),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const digits = req.body.number.replace(/[\s-]/g, '');
      await stepUp.require(
        p.id,
        'card.bind',
        { ...req.body, number: digits },
        `Confirm it is you to bind the card ending ${digits.slice(-4)}.`,
        proofOf(req),
      );
      return reply.code(201).send(await accounts.bindCard(p.id, req.body, clientOf(req)));
    },
  );
}

function proofOf(req: FastifyRequest): string | undefined {
  return stepUpProofOf(req);
}

function actor(req: FastifyRequest) {
  const p = principalOf(req);
  return { actorType: p.type, actorId: p.id, actorRole: p.role };
}

function securityEvent(req: FastifyRequest, action: string, after: Record<string, string>) {
  const ctx = { actor: actorOf(req), ip: req.ip, requestId: req.id };
  return auditOf(ctx, action, { type: 'customer', id: principalOf(req).id }, { after }, new Date());
}

/**
 * The sensitive wallet operations a signed-in customer must confirm with a second factor:
 * a large transfer or payment, a first transfer of some size to a new payee, and a
 * withdrawal to a bank account never paid out to before. Integrators authenticate their
 * users themselves and are not challenged here. A retry of an already answered request
 * (same Idempotency-Key) replays without a new challenge.
 */
function installStepUpPolicy(app: App, deps: IdentityRouteDeps): void {
  const { stepUp, ledger, funding, db } = deps;

  const reasonFor = async (req: FastifyRequest, customerId: string): Promise<string | undefined> => {
    const route = `${req.method} ${req.routeOptions.url ?? ''}`;
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (route === 'POST /v1/transfers' || route === 'POST /v1/payments') {
      const currency = parseCurrency(String(body.currency));
      const amount = parseAmountMinor(String(body.amountMinor));
      const t = STEP_UP_MAJOR[currency];
      const text = `${formatMinor(amount, currency)} ${currency}`;
      if (amount >= minorOf(t.large, currency)) {
        return `Confirm this ${route === 'POST /v1/payments' ? 'payment' : 'transfer'} of ${text}: it is a large amount.`;
      }
      if (route === 'POST /v1/transfers' && amount >= minorOf(t.newPayee, currency)) {
        const payee = await ledger.ownerOf(String(body.toWalletId));
        if (payee && !(await paidBefore(db, customerId, payee))) {
          return `Confirm this transfer of ${text}: it goes to someone you have not paid before.`;
        }
      }
      return undefined;
    }
    if (route === 'POST /v1/withdrawals') {
      const bank = body.bankAccount as { accountNumber?: unknown } | undefined;
      const number = typeof bank?.accountNumber === 'string' ? bank.accountNumber : '';
      if (!(await funding.knownBankAccount(customerId, number))) {
        return 'Confirm this withdrawal: it goes to a bank account you have not withdrawn to before.';
      }
    }
    return undefined;
  };

  app.addHook('preHandler', async (req) => {
    const p = req.principal;
    if (!p || p.type !== 'customer' || req.method !== 'POST') return;
    const url = req.routeOptions.url;
    if (url !== '/v1/transfers' && url !== '/v1/payments' && url !== '/v1/withdrawals') return;
    // Most movements need no step-up: decide that first, and look for a replay only then.
    const reason = await reasonFor(req, p.id);
    if (!reason) return;
    if (await answered(db, idempotencyOf(req))) return;
    await stepUp.require(p.id, `POST ${url}`, req.body ?? null, reason, proofOf(req));
    // The proof is spent: the risk engine's own CHALLENGE on this request is satisfied by it.
    stepUpPassed.add(req);
  });
}

/** Whether the customer has had a transfer to this payee allowed before. */
async function paidBefore(db: Db, customerId: string, payeeId: string): Promise<boolean> {
  const row = await db
    .selectFrom('risk_decisions')
    .select('id')
    .where('subject_id', '=', customerId)
    .where('event_type', '=', 'transfer')
    .where('outcome', '=', 'ALLOW')
    .where((eb) => eb(eb.ref('input', '->>').key('counterpartyId'), '=', payeeId))
    .executeTakeFirst();
  return row !== undefined;
}
