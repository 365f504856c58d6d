import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { ClientInfo } from '../identity/sessions.ts';
import { createOnce } from '../platform/create-once.ts';
import type { Db } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import { type App, idempotencyOf, sendStored } from '../platform/http.ts';
import { queryAudit, verifyAudit } from '../security/audit.ts';
import { Problem } from '../wallet/schemas.ts';
import type { ApiClientService } from './api-clients.ts';
import { requestApproval } from './approval-request.ts';
import {
  ACTION_INPUTS,
  APPROVAL_STATUSES,
  type ApprovalService,
  exportContext,
  type PersonalData,
  PII_FIELDS,
} from './approvals.ts';
import { actorOf, principalOf, requestMetaOf, staffOf } from './principal.ts';
import type { StaffService } from './staff.ts';

export interface AccessRouteDeps {
  db: Db;
  staff: StaffService;
  approvals: ApprovalService;
  personal: PersonalData;
  apiClients: ApiClientService;
  /** Opens a sealed value (the bulk export's result). */
  open: (sealed: string, context: string) => string;
}

const DEVICE_HEADER = 'bulwark-device-id';
const problems = { '4xx': Problem, '5xx': Problem };

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      maxLength: 128,
      description: 'Required. 8–128 characters; a retry replays the first answer.',
    }),
  ),
});
/** Why the maker asks: kept with the request and in the audit log. */
const MakerReason = Type.String({ minLength: 1, maxLength: 500 });
const Reason = Type.Object({ reason: MakerReason }, { additionalProperties: false });
const OptionalReason = Type.Union([
  Type.Object({ reason: Type.Optional(MakerReason) }, { additionalProperties: false }),
  Type.Null(),
]);

function clientOf(req: FastifyRequest): ClientInfo {
  const device = req.headers[DEVICE_HEADER];
  const deviceId = typeof device === 'string' && /^[A-Za-z0-9._:-]{8,128}$/.test(device) ? device : undefined;
  const ua = req.headers['user-agent'];
  return { deviceId, userAgent: typeof ua === 'string' ? ua : undefined, ip: req.ip, requestId: req.id };
}

/** Answers that carry a secret or a clear personal value are never cached anywhere. */
function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store');
}

/**
 * Staff, approvals (maker-checker), personal-data reveal and export, the audit log and
 * API clients. Every route declares what it needs; permissions to decide an approval
 * depend on its action and are checked by the approval service.
 */
export function registerAccessRoutes(app: App, deps: AccessRouteDeps): void {
  const { staff, approvals, personal, apiClients, db } = deps;
  const askApproval = (
    req: FastifyRequest,
    reply: FastifyReply,
    action: string,
    input: unknown,
    reason: string,
  ) => requestApproval(approvals, req, reply, action, input, reason);

  // ---- Staff sign-in and activation -------------------------------------------------

  app.post(
    '/v1/staff/activate',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['staff'],
        summary: 'Activation, step 1: set a password with the activation token; get the TOTP secret',
        description:
          'The activation token is spent. The answer holds the authenticator secret and a short-lived enrolment token for step 2; it is shown once and not replayable, so no Idempotency-Key is taken.',
        body: Type.Object(
          {
            token: Type.String({ minLength: 1, maxLength: 100 }),
            password: Type.String({ minLength: 1, maxLength: 256 }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            staffId: Type.String(),
            factorId: Type.String(),
            totpSecret: Type.String(),
            otpauthUri: Type.String(),
            enrolmentToken: Type.String(),
            enrolmentTokenExpiresAt: Type.String(),
          }),
          ...problems,
        },
      },
    },
    async (req, reply) => {
      const r = await staff.startActivation(req.body.token, req.body.password, clientOf(req));
      return noStore(reply).send(r);
    },
  );

  app.post(
    '/v1/staff/activate/confirm',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['staff'],
        summary: 'Activation, step 2: confirm the authenticator with a current code; get recovery codes',
        body: Type.Object(
          {
            enrolmentToken: Type.String({ minLength: 1, maxLength: 100 }),
            code: Type.String({ minLength: 6, maxLength: 8 }),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const r = await staff.confirmActivation(req.body.enrolmentToken, req.body.code, clientOf(req));
      return noStore(reply).send(r);
    },
  );

  app.post(
    '/v1/staff/auth/login',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['staff'],
        summary: 'Staff sign-in: e-mail, password and a TOTP code (or a recovery code)',
        description:
          'Every failure answers AUTH_INVALID_CREDENTIALS; repeated failures are delayed and then locked (AUTH_TOO_MANY_ATTEMPTS).',
        body: Type.Object(
          {
            email: Type.String({ minLength: 3, maxLength: 254 }),
            password: Type.String({ minLength: 1, maxLength: 256 }),
            code: Type.Optional(Type.String({ minLength: 6, maxLength: 8 })),
            recoveryCode: Type.Optional(Type.String({ minLength: 12, maxLength: 20 })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const { code, recoveryCode } = req.body;
      if ((code === undefined) === (recoveryCode === undefined)) {
        throw new AppError('VALIDATION_FAILED', 'Send exactly one of code or recoveryCode.');
      }
      const r = await staff.login(req.body, clientOf(req));
      return noStore(reply).send({ ...r.tokens, staff: r.staff });
    },
  );

  app.post(
    '/v1/staff/auth/logout',
    {
      config: { auth: 'staff' },
      schema: { tags: ['staff'], summary: 'End this session', response: { 204: Type.Null(), ...problems } },
    },
    async (req, reply) => {
      await staff.logout(principalOf(req), requestMetaOf(req));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/staff/me',
    { config: { auth: 'staff' }, schema: { tags: ['staff'], summary: 'The signed-in staff user' } },
    async (req) => staff.view(staffOf(req).id),
  );

  // ---- Staff management --------------------------------------------------------------

  app.get(
    '/v1/staff',
    {
      config: { auth: { permission: 'staff.read' } },
      schema: { tags: ['staff'], summary: 'Staff users (e-mail masked)' },
    },
    async () => ({ staff: await staff.list() }),
  );

  app.post(
    '/v1/staff',
    {
      config: { auth: { permission: 'staff.manage' } },
      schema: {
        tags: ['staff'],
        summary: 'Ask for a staff user to be created (maker-checker: another administrator approves)',
        description:
          'Answers 202 with the approval request. Approving it creates the pending user and returns their activation token once, to the approver.',
        headers: IdempotencyHeaders,
        body: Type.Object(
          {
            email: Type.String({ minLength: 3, maxLength: 254 }),
            displayName: Type.String({ minLength: 1, maxLength: 100 }),
            role: ACTION_INPUTS.staffCreate.properties.role,
            reason: MakerReason,
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const { reason, ...input } = req.body;
      return askApproval(req, reply, 'staff.create', input, reason);
    },
  );

  app.post(
    '/v1/staff/:id/role',
    {
      config: { auth: { permission: 'staff.manage' } },
      schema: {
        tags: ['staff'],
        summary: "Ask for a staff user's role to change (maker-checker); their sessions end when approved",
        params: IdParams,
        headers: IdempotencyHeaders,
        body: Type.Object(
          { role: ACTION_INPUTS.roleChange.properties.role, reason: MakerReason },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) =>
      askApproval(
        req,
        reply,
        'staff.role.change',
        { staffId: req.params.id, role: req.body.role },
        req.body.reason,
      ),
  );

  app.post(
    '/v1/staff/:id/disable',
    {
      config: { auth: { permission: 'staff.manage' } },
      schema: {
        tags: ['staff'],
        summary: 'Disable a staff user; their sessions end at once',
        description:
          'Disabling a disabled user changes nothing, so a retry is safe without an Idempotency-Key.',
        params: IdParams,
        body: Reason,
      },
    },
    async (req) => staff.disable(req.params.id, actorOf(req), req.body.reason, requestMetaOf(req)),
  );

  app.post(
    '/v1/staff/:id/activation',
    {
      config: { auth: { permission: 'staff.manage' } },
      schema: {
        tags: ['staff'],
        summary: 'A new activation token for a pending staff user (earlier ones stop working)',
        params: IdParams,
      },
    },
    async (req, reply) => {
      const r = await staff.reissueActivation(req.params.id, actorOf(req), requestMetaOf(req));
      return noStore(reply).send(r);
    },
  );

  // ---- Approvals -----------------------------------------------------------------------

  app.get(
    '/v1/approvals',
    {
      config: { auth: { permission: 'approval.read' } },
      schema: {
        tags: ['approvals'],
        summary: 'Approval requests, newest first',
        querystring: Type.Object(
          {
            status: Type.Optional(Type.Union(APPROVAL_STATUSES.map((s) => Type.Literal(s)))),
            limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
            cursor: Type.Optional(Type.String({ maxLength: 64 })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => approvals.list(req.query),
  );

  app.get(
    '/v1/approvals/:id',
    {
      config: { auth: { permission: 'approval.read' } },
      schema: { tags: ['approvals'], summary: 'One approval request', params: IdParams },
    },
    async (req) => approvals.get(req.params.id),
  );

  app.post(
    '/v1/approvals/:id/approve',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['approvals'],
        summary: 'Approve and execute a request (not its maker; the action’s permission is needed)',
        description:
          'Answers 200 with the request: `approved` with the result, or `failed` with the error code when the action was refused (nothing else changed). A request is decided once, so a retry answers APPROVAL_STATE and no Idempotency-Key is taken; a secret the action makes (an activation token) is in `secret`, once.',
        params: IdParams,
        body: OptionalReason,
      },
    },
    async (req, reply) => {
      const r = await approvals.approve(req.params.id, staffOf(req), req.body?.reason, requestMetaOf(req));
      return noStore(reply).send(r);
    },
  );

  app.post(
    '/v1/approvals/:id/reject',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['approvals'],
        summary: 'Reject a request (not its maker; the action’s permission is needed)',
        params: IdParams,
        body: Reason,
      },
    },
    async (req) => approvals.reject(req.params.id, staffOf(req), req.body.reason, requestMetaOf(req)),
  );

  app.post(
    '/v1/approvals/:id/cancel',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['approvals'],
        summary: 'Withdraw your own pending request',
        params: IdParams,
        body: OptionalReason,
      },
    },
    async (req) => approvals.cancel(req.params.id, staffOf(req), req.body?.reason, requestMetaOf(req)),
  );

  // ---- Requests for the maker-checker actions ------------------------------------------

  app.post(
    '/v1/owners/:id/unfreeze',
    {
      config: { auth: { permission: 'owner.unfreeze' } },
      schema: {
        tags: ['customers'],
        summary:
          'Ask for a customer or merchant to be unfrozen (maker-checker); answers 202 with the request',
        params: IdParams,
        headers: IdempotencyHeaders,
        body: Type.Object(
          { reason: Type.String({ minLength: 1, maxLength: 200 }) },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) =>
      askApproval(req, reply, 'owner.unfreeze', { ownerId: req.params.id }, req.body.reason),
  );

  app.post(
    '/v1/customers/:id/limits',
    {
      config: { auth: { permission: 'limits.raise' } },
      schema: {
        tags: ['customers'],
        summary: "Ask for a customer's limits in a currency to be overridden (maker-checker)",
        params: IdParams,
        headers: IdempotencyHeaders,
        body: Type.Object(
          {
            currency: ACTION_INPUTS.limits.properties.currency,
            singleMinor: ACTION_INPUTS.limits.properties.singleMinor,
            dailyMinor: ACTION_INPUTS.limits.properties.dailyMinor,
            monthlyMinor: ACTION_INPUTS.limits.properties.monthlyMinor,
            balanceCapMinor: ACTION_INPUTS.limits.properties.balanceCapMinor,
            reason: MakerReason,
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const { reason, ...limits } = req.body;
      return askApproval(req, reply, 'limits.raise', { customerId: req.params.id, ...limits }, reason);
    },
  );

  app.post(
    '/v1/ledger/adjustments',
    {
      config: { auth: { permission: 'ledger.adjust' } },
      schema: {
        tags: ['ledger'],
        summary: 'Ask for a manual adjustment of a customer wallet (maker-checker)',
        description:
          'Credit or debit a wallet; customer custody moves with it so segregated funds still match. Posted with a risk decision when approved.',
        headers: IdempotencyHeaders,
        body: Type.Object(
          {
            walletId: ACTION_INPUTS.adjustment.properties.walletId,
            direction: ACTION_INPUTS.adjustment.properties.direction,
            amountMinor: ACTION_INPUTS.adjustment.properties.amountMinor,
            currency: ACTION_INPUTS.adjustment.properties.currency,
            reason: MakerReason,
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const { reason, ...input } = req.body;
      return askApproval(req, reply, 'ledger.adjust', input, reason);
    },
  );

  app.post(
    '/v1/pii/exports',
    {
      config: { auth: { permission: 'pii.reveal.bulk' } },
      schema: {
        tags: ['personal data'],
        summary:
          "Ask for an export of customers' personal data in clear, for a stated legal reason (maker-checker)",
        description:
          'Once approved, only the maker can take the export, once (POST /v1/pii/exports/{id}/take).',
        headers: IdempotencyHeaders,
        body: Type.Object(
          {
            customerIds: ACTION_INPUTS.piiExport.properties.customerIds,
            fields: ACTION_INPUTS.piiExport.properties.fields,
            reason: Type.String({ minLength: 10, maxLength: 500, description: 'The legal reason.' }),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const { reason, ...input } = req.body;
      return askApproval(req, reply, 'pii.reveal.bulk', input, reason);
    },
  );

  app.post(
    '/v1/pii/exports/:id/take',
    {
      config: { auth: { permission: 'pii.reveal.bulk' } },
      schema: {
        tags: ['personal data'],
        summary: 'Take an approved export (its maker only, once); the stored copy is removed',
        description: 'Not replayable by design, so no Idempotency-Key is taken.',
        params: IdParams,
      },
    },
    async (req, reply) => {
      const approval = await approvals.get(req.params.id);
      if (approval.action !== 'pii.reveal.bulk') throw new AppError('APPROVAL_NOT_FOUND');
      const r = await approvals.takeResult(req.params.id, staffOf(req), requestMetaOf(req), (sealed) =>
        JSON.parse(deps.open(sealed, exportContext(req.params.id))),
      );
      return noStore(reply).send({ approval: r.approval, records: r.data });
    },
  );

  // ---- Personal data -------------------------------------------------------------------

  app.post(
    '/v1/customers/:id/pii/reveal',
    {
      config: { auth: { permission: 'pii.reveal' } },
      schema: {
        tags: ['personal data'],
        summary: 'Reveal one personal field of a customer in clear, with a stated reason (audited)',
        description:
          'The reason (10–500 characters) and the field, never the value, are written to the audit log with the read; without a reason the answer is PII_REASON_REQUIRED.',
        params: IdParams,
        body: Type.Object(
          {
            field: Type.Union(PII_FIELDS.map((f) => Type.Literal(f))),
            reason: Type.Optional(Type.String({ maxLength: 500 })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const r = await personal.reveal(
        req.params.id,
        req.body.field,
        req.body.reason,
        actorOf(req),
        requestMetaOf(req),
      );
      return noStore(reply).send(r);
    },
  );

  // ---- Audit log -------------------------------------------------------------------------

  app.get(
    '/v1/audit',
    {
      config: { auth: { permission: 'audit.read' } },
      schema: {
        tags: ['audit'],
        summary: 'Audit records, newest first, filtered by actor, action or target',
        querystring: Type.Object(
          {
            actorId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            action: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            targetId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
            cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,19}$', maxLength: 19 })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => queryAudit(db, req.query),
  );

  app.get(
    '/v1/audit/verify',
    {
      config: { auth: { permission: 'audit.read' } },
      schema: { tags: ['audit'], summary: 'Verify the whole audit hash chain and report any break' },
    },
    async () => verifyAudit(db),
  );

  // ---- API clients ---------------------------------------------------------------------

  app.post(
    '/v1/api-clients',
    {
      config: { auth: { permission: 'apiclient.manage' } },
      schema: {
        tags: ['api clients'],
        summary: "Create an integrator's API client; its key is shown once",
        description: 'A retry with the same Idempotency-Key answers the client without its key.',
        headers: IdempotencyHeaders,
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100 }),
            role: Type.Literal('integrator'),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const r = await createOnce(db, idempotencyOf(req), async () => {
        const created = await apiClients.create(req.body, actorOf(req), requestMetaOf(req));
        return {
          stored: { statusCode: 201, body: { client: created.client, key: null } },
          fresh: { statusCode: 201, body: { client: created.client, key: created.key } },
        };
      });
      return sendStored(noStore(reply), r.response, r.replayed);
    },
  );

  app.get(
    '/v1/api-clients',
    {
      config: { auth: { permission: 'apiclient.manage' } },
      schema: { tags: ['api clients'], summary: 'API clients' },
    },
    async () => ({ clients: await apiClients.list() }),
  );

  app.post(
    '/v1/api-clients/:id/revoke',
    {
      config: { auth: { permission: 'apiclient.manage' } },
      schema: {
        tags: ['api clients'],
        summary: 'Revoke an API client; its key stops working',
        params: IdParams,
        body: Reason,
      },
    },
    async (req) => apiClients.revoke(req.params.id, actorOf(req), req.body.reason, requestMetaOf(req)),
  );
}
