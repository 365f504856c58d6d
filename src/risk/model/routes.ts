import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { requestApproval } from '../../access/approval-request.ts';
import type { ApprovalService } from '../../access/approvals.ts';
import { actorOf, requestMetaOf } from '../../access/principal.ts';
import { AppError } from '../../platform/errors.ts';
import { type App, IdempotencyHeaders, idempotencyOf, sendStored } from '../../platform/http.ts';
import { MODEL_FILE_MAX_BYTES, MODEL_SCOPES, type ModelRegistry } from './registry.ts';

export interface ModelRouteDeps {
  registry: ModelRegistry;
  approvals: ApprovalService;
}

const TAGS = ['risk models'];

const ModelId = Type.String({ pattern: '^mdl_[0-9a-z]{26}$' });
const IdParams = Type.Object({ id: ModelId });
const Reason = Type.String({
  minLength: 3,
  maxLength: 500,
  description: 'Why: kept with the change and in the audit log.',
});
const ReasonBody = Type.Object({ reason: Reason }, { additionalProperties: false });
const Status = Type.Union([
  Type.Literal('candidate'),
  Type.Literal('challenger'),
  Type.Literal('champion'),
  Type.Literal('retired'),
]);

/**
 * The model registry's API: register a trained model file (`bulwark model train`), list
 * and read versions, put a version in shadow or take it out, and ask for a version to
 * become the champion or for the champion to retire (maker-checker).
 */
export function registerModelRoutes(app: App, deps: ModelRouteDeps): void {
  const { registry, approvals } = deps;
  const requestChange = (
    req: FastifyRequest,
    reply: FastifyReply,
    input: { modelId: string; status: 'champion' | 'retired' },
    reason: string,
  ) => requestApproval(approvals, req, reply, 'risk.model.change', input, reason);

  app.get(
    '/v1/risk/models',
    {
      config: { auth: { permission: 'model.read' } },
      schema: {
        tags: TAGS,
        summary: 'Model versions, newest first, with their status, training range and metrics',
        querystring: Type.Object(
          { status: Type.Optional(Status), scope: Type.Optional(Type.String({ maxLength: 40 })) },
          { additionalProperties: false },
        ),
      },
    },
    async (
      req: FastifyRequest<{
        Querystring: { status?: 'candidate' | 'challenger' | 'champion' | 'retired'; scope?: string };
      }>,
    ) => ({
      models: await registry.list(req.query),
    }),
  );

  app.get(
    '/v1/risk/models/:id',
    {
      config: { auth: { permission: 'model.read' } },
      schema: { tags: TAGS, summary: 'One model version with its status history', params: IdParams },
    },
    async (req: FastifyRequest<{ Params: { id: string } }>) => registry.get(req.params.id),
  );

  app.post(
    '/v1/risk/models',
    {
      bodyLimit: MODEL_FILE_MAX_BYTES,
      config: { auth: { permission: 'model.write' } },
      schema: {
        tags: TAGS,
        summary: 'Register a model file as the next version of its name (a candidate)',
        description: `The file written by \`bulwark model train\` (format bulwark-model/1), at most ${MODEL_FILE_MAX_BYTES / 1024 / 1024} MB. It is checked in full: a malformed forest, a bad calibration, or features this engine does not compute answer 422 MODEL_INVALID naming the field. Scopes: ${MODEL_SCOPES.join(', ')} (\`all\`: every money movement without a champion of its own).`,
        headers: IdempotencyHeaders,
        body: Type.Object(
          {
            model: Type.Object({}, { additionalProperties: true, description: 'The model file.' }),
            scope: Type.Optional(Type.String({ maxLength: 40 })),
            metrics: Type.Optional(Type.Object({}, { additionalProperties: true })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (
      req: FastifyRequest<{
        Body: { model: Record<string, unknown>; scope?: string; metrics?: Record<string, unknown> };
      }>,
      reply,
    ) => {
      const r = await registry.register(
        req.body.model,
        actorOf(req),
        { scope: req.body.scope, metrics: req.body.metrics, meta: requestMetaOf(req) },
        idempotencyOf(req),
      );
      return sendStored(reply, r.response, r.replayed);
    },
  );

  app.post(
    '/v1/risk/models/retrain',
    {
      config: { auth: { permission: 'model.write' } },
      schema: {
        tags: TAGS,
        summary:
          'Retrain from the stored decisions and the labels known now; the result is registered as a challenger',
        description:
          'Features are those stored with each decision (as computed live); a decision is fraud once a fraud label arrived, legitimate once the label delay passed without one. Fewer than 20 known fraud labels: nothing is trained (200 with `model: null` and the reason). Never promotes: promotion is maker-checker.',
        body: Type.Object(
          {
            scope: Type.Optional(Type.Union(MODEL_SCOPES.map((s) => Type.Literal(s)))),
            trainDays: Type.Optional(Type.Integer({ minimum: 7, maximum: 180 })),
            labelDelayDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 90 })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (
      req: FastifyRequest<{
        Body: { scope?: (typeof MODEL_SCOPES)[number]; trainDays?: number; labelDelayDays?: number };
      }>,
    ) => registry.retrain(req.body),
  );

  app.get(
    '/v1/risk/models/:id/comparison',
    {
      config: { auth: { permission: 'model.read' } },
      schema: {
        tags: TAGS,
        summary:
          'A challenger against the champion on the same live decisions: level agreement, AUC, average precision, misjudged high scores',
        description:
          'Decisions of the last `days` (default 30) where the version scored in shadow beside a champion. A decision counts as settled once a label arrived or `labelDelayDays` (default 7) passed without a fraud report.',
        params: IdParams,
        querystring: Type.Object(
          {
            days: Type.Optional(Type.Integer({ minimum: 1, maximum: 180 })),
            labelDelayDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 90 })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (
      req: FastifyRequest<{
        Params: { id: string };
        Querystring: { days?: number; labelDelayDays?: number };
      }>,
    ) => registry.comparison(req.params.id, req.query),
  );

  app.get(
    '/v1/risk/models/:id/drift',
    {
      config: { auth: { permission: 'model.read' } },
      schema: {
        tags: TAGS,
        summary:
          'Weekly drift of a version: PSI of each feature and of the score against the week before, and the misjudged share of its high scores',
        params: IdParams,
      },
    },
    async (req: FastifyRequest<{ Params: { id: string } }>) => ({
      weeks: await registry.driftWeeks(req.params.id),
    }),
  );

  app.post(
    '/v1/risk/models/:id/drift',
    {
      config: { auth: { permission: 'model.write' } },
      schema: {
        tags: TAGS,
        summary: 'Compute the drift of a week now (default: the last complete week, Monday to Monday UTC)',
        description:
          'The background job computes the last complete week of every serving version once; this recomputes on demand. A PSI above 0.25 flags the week (logged, metric bulwark_model_drift_psi).',
        params: IdParams,
        body: Type.Object(
          {
            weekStart: Type.Optional(
              Type.String({ format: 'date', description: 'A Monday, YYYY-MM-DD (UTC).' }),
            ),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req: FastifyRequest<{ Params: { id: string }; Body: { weekStart?: string } }>) => {
      const w = req.body.weekStart;
      if (w !== undefined && new Date(`${w}T00:00:00Z`).getUTCDay() !== 1)
        throw new AppError('VALIDATION_FAILED', 'weekStart must be a Monday.', { field: 'weekStart' });
      return registry.drift(req.params.id, w === undefined ? undefined : new Date(`${w}T00:00:00Z`));
    },
  );

  app.post(
    '/v1/risk/models/:id/shadow',
    {
      config: { auth: { permission: 'model.write' } },
      schema: {
        tags: TAGS,
        summary:
          'Score a candidate in shadow on live traffic (it becomes a challenger); never changes an outcome',
        params: IdParams,
        body: ReasonBody,
      },
    },
    async (req: FastifyRequest<{ Params: { id: string }; Body: { reason: string } }>) =>
      registry.setStatus(req.params.id, 'challenger', actorOf(req), req.body.reason, requestMetaOf(req)),
  );

  app.post(
    '/v1/risk/models/:id/unshadow',
    {
      config: { auth: { permission: 'model.write' } },
      schema: {
        tags: TAGS,
        summary: 'Stop scoring a challenger (it becomes a candidate again)',
        params: IdParams,
        body: ReasonBody,
      },
    },
    async (req: FastifyRequest<{ Params: { id: string }; Body: { reason: string } }>) =>
      registry.setStatus(req.params.id, 'candidate', actorOf(req), req.body.reason, requestMetaOf(req)),
  );

  app.post(
    '/v1/risk/models/:id/promote',
    {
      config: { auth: { permission: 'model.publish' } },
      schema: {
        tags: TAGS,
        summary:
          'Ask for a version to become the champion of its scope (maker-checker); answers 202 with the request',
        description:
          'Another staff user with model.publish approves it (POST /v1/approvals/:id/approve); the one who registered the version cannot. On approval the version serves at once and the champion before it is retired. Promoting a retired version is a rollback.',
        params: IdParams,
        headers: IdempotencyHeaders,
        body: ReasonBody,
      },
    },
    async (req: FastifyRequest<{ Params: { id: string }; Body: { reason: string } }>, reply) =>
      requestChange(req, reply, { modelId: req.params.id, status: 'champion' }, req.body.reason),
  );

  app.post(
    '/v1/risk/models/:id/retire',
    {
      config: { auth: { permission: 'model.write' } },
      schema: {
        tags: TAGS,
        summary: 'Retire a version',
        description:
          'A candidate or challenger is retired at once (200). The champion stops only through maker-checker (202 with the approval request; model.publish needed).',
        params: IdParams,
        headers: IdempotencyHeaders,
        body: ReasonBody,
      },
    },
    async (req: FastifyRequest<{ Params: { id: string }; Body: { reason: string } }>, reply) => {
      const current = await registry.get(req.params.id);
      if (current.status === 'champion') {
        return requestChange(req, reply, { modelId: req.params.id, status: 'retired' }, req.body.reason);
      }
      return registry.setStatus(req.params.id, 'retired', actorOf(req), req.body.reason, requestMetaOf(req));
    },
  );
}
