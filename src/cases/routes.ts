import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Static, type TSchema, Type } from 'typebox';
import { principalOf, requestMetaOf, staffOf } from '../access/principal.ts';
import { AppError } from '../platform/errors.ts';
import { type App, IdempotencyHeaders, idempotencyOf, sendStored } from '../platform/http.ts';
import { parseAmountMinor } from '../platform/money.ts';
import { parseInstant } from '../wallet/risk-step.ts';
import { ALERT_SOURCES, CASE_KINDS, CASE_STATUSES, DISPOSITIONS, ENTITY_KINDS, SEVERITIES } from './model.ts';
import type { Reserve } from './reserve.ts';
import type { CaseActor, CaseService } from './service.ts';

export interface CaseRouteDeps {
  cases: CaseService;
  reserve: Reserve;
}

const TAGS = ['cases'];
const lit = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));
const CaseId = Type.String({ pattern: '^cas_[0-9a-z]{26}$' });
const Version = Type.Integer({
  minimum: 1,
  description:
    'The case version you read: if someone changed the case since, 409 CASE_CONFLICT and nothing happens.',
});
const Reason = Type.String({
  minLength: 3,
  maxLength: 500,
  description: 'Why: on the timeline and in the audit log.',
});
const body = <T extends Record<string, TSchema>>(props: T) =>
  Type.Object(props, { additionalProperties: false });
const VersionReason = body({ version: Version, reason: Reason });
/** Filters and paging the alert queue and the case list share. */
const LIST_FILTERS = {
  subjectId: Type.Optional(Type.String({ maxLength: 40 })),
  assignee: Type.Optional(
    Type.String({ maxLength: 40, description: 'A staff id, `me` or `none` (unassigned).' }),
  ),
  overdue: Type.Optional(Type.Boolean()),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000 })),
};

function actorOfReq(req: FastifyRequest): CaseActor {
  const s = staffOf(req);
  return { type: 'staff', id: s.id, role: s.role, ...requestMetaOf(req) };
}

function stored(
  reply: FastifyReply,
  r: { replayed: boolean; response?: { statusCode: number; body: unknown } | undefined },
) {
  if (!r.response) throw new Error('a case action always renders a response');
  return sendStored(reply, r.response, r.replayed);
}

/**
 * Alerts and cases for risk staff: the queue, case work and the decisions taken from a
 * case; per-rule precision from labelled outcomes; the risk compensation reserve.
 */
export function registerCaseRoutes(app: App, deps: CaseRouteDeps): void {
  const { cases, reserve } = deps;
  const me = (req: FastifyRequest) => principalOf(req).id;

  app.get(
    '/v1/alerts',
    {
      config: { auth: { permission: 'case.read' } },
      schema: {
        tags: TAGS,
        summary: 'The alert queue: open alerts by priority (severity, amount at stake, age)',
        description:
          'Priority = severity (100 a step) + amount (20 points per factor of ten, at most 99) + age (2 points an hour, at most 100). `assignee`: a staff id, `me` or `none`.',
        querystring: body({
          ...LIST_FILTERS,
          status: Type.Optional(lit(['open', 'closed'] as const)),
          severity: Type.Optional(lit(SEVERITIES)),
          type: Type.Optional(Type.String({ maxLength: 40 })),
          source: Type.Optional(lit(ALERT_SOURCES)),
          caseStatus: Type.Optional(lit(CASE_STATUSES)),
        }),
      },
    },
    async (req: FastifyRequest<{ Querystring: Parameters<CaseService['queue']>[0] }>) =>
      cases.queue(req.query, me(req)),
  );

  app.get(
    '/v1/alerts/:id',
    {
      config: { auth: { permission: 'case.read' } },
      schema: {
        tags: TAGS,
        summary: 'One alert with its evidence',
        params: body({ id: Type.String({ pattern: '^alt_[0-9a-z]{26}$' }) }),
      },
    },
    async (req: FastifyRequest<{ Params: { id: string } }>) => cases.alert(req.params.id),
  );

  app.get(
    '/v1/cases',
    {
      config: { auth: { permission: 'case.read' } },
      schema: {
        tags: TAGS,
        summary: 'Cases, most urgent first (default: all not closed)',
        querystring: body({
          ...LIST_FILTERS,
          status: Type.Optional(lit(CASE_STATUSES)),
          kind: Type.Optional(lit(CASE_KINDS)),
        }),
      },
    },
    async (req: FastifyRequest<{ Querystring: Parameters<CaseService['list']>[0] }>) =>
      cases.list(req.query, me(req)),
  );

  app.get(
    '/v1/cases/:id',
    {
      config: { auth: { permission: 'case.read' } },
      schema: {
        tags: TAGS,
        summary: 'A case: alerts, linked entities, holds, timeline, attachments, compensations',
        params: body({ id: CaseId }),
      },
    },
    async (req: FastifyRequest<{ Params: { id: string } }>) => cases.get(req.params.id),
  );

  const AssignBody = body({
    caseIds: Type.Array(CaseId, { minItems: 1, maxItems: 100 }),
    to: Type.String({
      maxLength: 40,
      description:
        '`me` (take), `auto` (round-robin among active case workers) or a staff id (needs case.manage).',
    }),
  });
  app.post<{ Body: Static<typeof AssignBody> }>(
    '/v1/cases/assign',
    {
      config: { auth: { permission: 'case.work' } },
      schema: { tags: TAGS, summary: 'Assign cases (one or many, all or nothing)', body: AssignBody },
    },
    async (req) => cases.assign(req.body.caseIds, req.body.to, actorOfReq(req)),
  );

  const BulkClose = body({
    cases: Type.Array(body({ id: CaseId, version: Version }), { minItems: 1, maxItems: 100 }),
    disposition: lit(DISPOSITIONS),
    note: Reason,
  });
  app.post<{ Body: Static<typeof BulkClose> }>(
    '/v1/cases/close',
    {
      config: { auth: { permission: 'case.work' } },
      schema: {
        tags: TAGS,
        summary: 'Close several cases with one disposition (e.g. a batch of false positives)',
        description: 'Each case is closed in its own transaction; the answer lists what happened to each.',
        body: BulkClose,
      },
    },
    async (req) => {
      const actor = actorOfReq(req);
      const results = [];
      for (const c of req.body.cases) {
        try {
          const r = await cases.transition(
            c.id,
            { to: 'closed', version: c.version, disposition: req.body.disposition, note: req.body.note },
            actor,
          );
          results.push({ id: c.id, ok: true, version: r.version });
        } catch (err) {
          if (!(err instanceof AppError)) throw err;
          results.push({ id: c.id, ok: false, code: err.code, detail: err.message });
        }
      }
      return { results };
    },
  );

  const Transition = body({
    to: lit(CASE_STATUSES),
    version: Version,
    disposition: Type.Optional(lit(DISPOSITIONS)),
    note: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
    summary: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
  });
  app.post<{ Params: { id: string }; Body: Static<typeof Transition> }>(
    '/v1/cases/:id/transition',
    {
      config: { auth: { permission: 'case.work' } },
      schema: {
        tags: TAGS,
        summary:
          'Move a case: open → investigating → pending_info → decided → closed; reopen by moving a closed case to investigating',
        description:
          "Closing a risk case needs a disposition (confirmed_fraud, false_positive, inconclusive). On closing, the disposition becomes a label of every decision on the case (fraud / legit), dated now: it reaches the model's training set and the per-rule precision.",
        params: body({ id: CaseId }),
        body: Transition,
      },
    },
    async (req) => cases.transition(req.params.id, req.body, actorOfReq(req)),
  );

  const Note = body({
    text: Type.String({ minLength: 1, maxLength: 5000 }),
    version: Type.Optional(Version),
  });
  app.post<{ Params: { id: string }; Body: Static<typeof Note> }>(
    '/v1/cases/:id/notes',
    {
      config: { auth: { permission: 'case.work' } },
      schema: { tags: TAGS, summary: 'Add a note to the timeline', params: body({ id: CaseId }), body: Note },
    },
    async (req) => cases.note(req.params.id, req.body.text, actorOfReq(req), req.body.version),
  );

  const Link = body({
    entities: Type.Array(
      body({ kind: lit(ENTITY_KINDS), id: Type.String({ minLength: 1, maxLength: 80 }) }),
      {
        minItems: 1,
        maxItems: 50,
      },
    ),
    version: Type.Optional(Version),
  });
  app.post<{ Params: { id: string }; Body: Static<typeof Link> }>(
    '/v1/cases/:id/entities',
    {
      config: { auth: { permission: 'case.work' } },
      schema: {
        tags: TAGS,
        summary: 'Link customers, accounts, devices or transactions to a case',
        params: body({ id: CaseId }),
        body: Link,
      },
    },
    async (req) => cases.link(req.params.id, req.body.entities, actorOfReq(req), req.body.version),
  );

  const maxBytes = cases.settings.attachmentMaxBytes;
  const Attach = body({
    filename: Type.String({ minLength: 1, maxLength: 200, pattern: '^[^/\\\\\\u0000]+$' }),
    contentBase64: Type.String({ minLength: 4, maxLength: Math.ceil((maxBytes * 4) / 3) + 8 }),
  });
  app.post<{ Params: { id: string }; Body: Static<typeof Attach> }>(
    '/v1/cases/:id/attachments',
    {
      bodyLimit: Math.ceil((maxBytes * 4) / 3) + 64 * 1024,
      config: { auth: { permission: 'case.work' } },
      schema: {
        tags: TAGS,
        summary: 'Attach a file (PNG, JPEG, PDF or UTF-8 text), content in base64',
        description: `At most ${maxBytes} bytes. The type is read from the content, not the name. The same content twice is stored once (SHA-256).`,
        params: body({ id: CaseId }),
        body: Attach,
      },
    },
    async (req, reply) => reply.code(201).send(await cases.attach(req.params.id, req.body, actorOfReq(req))),
  );

  app.get(
    '/v1/cases/:id/attachments/:attachmentId',
    {
      config: { auth: { permission: 'case.read' } },
      schema: {
        tags: TAGS,
        summary: 'Download an attachment',
        params: body({ id: CaseId, attachmentId: Type.String({ pattern: '^att_[0-9a-z]{26}$' }) }),
      },
    },
    async (req: FastifyRequest<{ Params: { id: string; attachmentId: string } }>, reply) => {
      const a = await cases.attachment(req.params.id, req.params.attachmentId);
      return reply
        .type(a.content_type)
        .header('content-disposition', `attachment; filename="${a.filename.replace(/[^\w.-]/g, '_')}"`)
        .header('x-content-type-options', 'nosniff')
        .header('digest', `sha-256=${Buffer.from(a.sha256, 'hex').toString('base64')}`)
        .send(a.content);
    },
  );

  const Loss = body({
    lossMinor: Type.String({ pattern: '^[0-9]{1,18}$' }),
    currency: Type.String({ pattern: '^[A-Z]{3}$' }),
    version: Version,
  });
  app.post<{ Params: { id: string }; Body: Static<typeof Loss> }>(
    '/v1/cases/:id/loss',
    {
      config: { auth: { permission: 'case.work' } },
      schema: {
        tags: TAGS,
        summary: "Record the user's loss on the case (compensation may not exceed it)",
        params: body({ id: CaseId }),
        body: Loss,
      },
    },
    async (req) => cases.setLoss(req.params.id, req.body, actorOfReq(req)),
  );

  const HoldParams = body({ id: CaseId, holdId: Type.String({ pattern: '^hold_[0-9a-z]{26}$' }) });
  app.post<{ Params: Static<typeof HoldParams>; Body: Static<typeof VersionReason> }>(
    '/v1/cases/:id/holds/:holdId/release',
    {
      config: { auth: { permission: 'case.work' } },
      schema: {
        tags: TAGS,
        summary:
          'Release a held movement linked to the case: post the transfer or payment, or approve the withdrawal',
        description:
          'Atomic with the case timeline and audit. A hold that expired or was decided meanwhile: 409 LEDGER_HOLD_NOT_PENDING (or WALLET_WITHDRAWAL_STATE), nothing changes.',
        params: HoldParams,
        headers: IdempotencyHeaders,
        body: VersionReason,
      },
    },
    async (req, reply) =>
      stored(
        reply,
        await cases.releaseHold(
          req.params.id,
          req.params.holdId,
          req.body,
          actorOfReq(req),
          idempotencyOf(req),
        ),
      ),
  );

  app.post<{ Params: Static<typeof HoldParams>; Body: Static<typeof VersionReason> }>(
    '/v1/cases/:id/holds/:holdId/void',
    {
      config: { auth: { permission: 'case.work' } },
      schema: {
        tags: TAGS,
        summary: 'Reject a held movement linked to the case: the money stays with the payer',
        params: HoldParams,
        headers: IdempotencyHeaders,
        body: VersionReason,
      },
    },
    async (req, reply) =>
      stored(
        reply,
        await cases.voidHold(req.params.id, req.params.holdId, req.body, actorOfReq(req), idempotencyOf(req)),
      ),
  );

  const OwnerParams = body({ id: CaseId, ownerId: Type.String({ pattern: '^(cus|mer)_[0-9a-z]{26}$' }) });
  app.post<{ Params: Static<typeof OwnerParams>; Body: Static<typeof VersionReason> }>(
    '/v1/cases/:id/owners/:ownerId/freeze',
    {
      config: { auth: { permission: 'case.work' } },
      schema: {
        tags: TAGS,
        summary: 'Freeze a customer or merchant linked to the case (and all their accounts)',
        params: OwnerParams,
        body: VersionReason,
      },
    },
    async (req) => cases.freeze(req.params.id, req.params.ownerId, req.body, actorOfReq(req)),
  );

  app.post<{ Params: Static<typeof OwnerParams>; Body: Static<typeof VersionReason> }>(
    '/v1/cases/:id/owners/:ownerId/unfreeze',
    {
      config: { auth: { permission: 'owner.unfreeze' } },
      schema: {
        tags: TAGS,
        summary: 'Ask for an unfreeze (maker-checker owner.unfreeze); the request goes on the timeline',
        params: OwnerParams,
        headers: IdempotencyHeaders,
        body: VersionReason,
      },
    },
    async (req, reply) =>
      stored(
        reply,
        await cases.requestUnfreeze(
          req.params.id,
          req.params.ownerId,
          req.body,
          actorOfReq(req),
          idempotencyOf(req),
        ),
      ),
  );

  const Reverse = body({
    version: Version,
    reason: Reason,
    amountMinor: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,17}$' })),
  });
  app.post<{ Params: { id: string; entryId: string }; Body: Static<typeof Reverse> }>(
    '/v1/cases/:id/transactions/:entryId/reverse',
    {
      config: { auth: { permission: 'case.work' } },
      schema: {
        tags: TAGS,
        summary: 'Reverse a completed transfer or payment linked to the case (a reversal entry)',
        description:
          'All of what remains by default, or `amountMinor`. The payee must still hold the money (422 LEDGER_INSUFFICIENT_FUNDS otherwise).',
        params: body({ id: CaseId, entryId: Type.String({ pattern: '^txn_[0-9a-z]{26}$' }) }),
        headers: IdempotencyHeaders,
        body: Reverse,
      },
    },
    async (req, reply) =>
      stored(
        reply,
        await cases.reverse(req.params.id, req.params.entryId, req.body, actorOfReq(req), idempotencyOf(req)),
      ),
  );

  const Compensate = body({
    version: Version,
    walletId: Type.String({ pattern: '^acct_[0-9a-z]{26}$' }),
    amountMinor: Type.String({ pattern: '^[1-9][0-9]{0,17}$' }),
    reason: Reason,
  });
  app.post<{ Params: { id: string }; Body: Static<typeof Compensate> }>(
    '/v1/cases/:id/compensations',
    {
      config: { auth: { permission: 'compensation.pay' } },
      schema: {
        tags: TAGS,
        summary: "Compensate the case's customer from the risk reserve",
        description: `Never more than the loss recorded on the case (counting what is paid or awaiting approval). Up to ${cases.settings.compensationApprovalMinor} minor units it is paid at once (201); above, a second person with compensation.pay approves (202 with the approval request).`,
        params: body({ id: CaseId }),
        headers: IdempotencyHeaders,
        body: Compensate,
      },
    },
    async (req, reply) =>
      stored(reply, await cases.compensate(req.params.id, req.body, actorOfReq(req), idempotencyOf(req))),
  );

  const Range = body({
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
  });
  const range = (q: Static<typeof Range>) => ({
    from: q.from === undefined ? undefined : parseInstant(q.from, 'from'),
    to: q.to === undefined ? undefined : parseInstant(q.to, 'to'),
  });
  app.get<{ Querystring: Static<typeof Range> }>(
    '/v1/risk/rule-precision',
    {
      config: { auth: { permission: 'rule.read' } },
      schema: {
        tags: ['risk rules'],
        summary: 'Per-rule precision from labelled outcomes: which rules produce false positives (误判)',
        description:
          'Over decisions made in the range whose truth is known (case dispositions, chargebacks, reports). Shadow hits are counted apart.',
        querystring: Range,
      },
    },
    async (req) => cases.rulePrecision(range(req.query)),
  );

  app.get<{ Querystring: Static<typeof Range> }>(
    '/v1/reserve',
    {
      config: { auth: { permission: 'reserve.read' } },
      schema: {
        tags: TAGS,
        summary: 'The risk compensation reserve: balance, inflows and payouts per currency, recent movements',
        querystring: Range,
      },
    },
    async (req) => reserve.report(range(req.query)),
  );

  const Fund = body({
    currency: Type.String({ pattern: '^[A-Z]{3}$' }),
    amountMinor: Type.String({ pattern: '^[1-9][0-9]{0,17}$' }),
    reason: Reason,
  });
  app.post<{ Body: Static<typeof Fund> }>(
    '/v1/reserve/fundings',
    {
      config: { auth: { permission: 'reserve.fund' } },
      schema: {
        tags: TAGS,
        summary: 'Move platform fee revenue into the risk reserve',
        description:
          'Idempotent per Idempotency-Key. The fee revenue must cover it (422 RESERVE_INSUFFICIENT).',
        headers: IdempotencyHeaders,
        body: Fund,
      },
    },
    async (req, reply) => {
      const idem = idempotencyOf(req);
      const s = staffOf(req);
      const r = await reserve.fund({
        currency: req.body.currency,
        amountMinor: parseAmountMinor(req.body.amountMinor),
        source: 'revenue',
        reason: req.body.reason,
        actor: { type: 'staff', id: s.id, role: s.role },
        idem,
      });
      if (r.replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(201).send({ entryId: r.entryId });
    },
  );
}
