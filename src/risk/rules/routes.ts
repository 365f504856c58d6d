import { isCelError } from '@bufbuild/cel';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { requestApproval } from '../../access/approval-request.ts';
import type { ApprovalService } from '../../access/approvals.ts';
import { actorOf, requestMetaOf } from '../../access/principal.ts';
import { AppError } from '../../platform/errors.ts';
import { type App, IdempotencyHeaders, idempotencyOf, sendStored } from '../../platform/http.ts';
import { compileExpression } from './compile.ts';
import type { RuleEngine } from './evaluate.ts';
import { messageCatalogue } from './messages.ts';
import { REASON_CODE_PATTERN, RULE_ACTIONS, RULE_ID_PATTERN, RULE_LIMITS } from './model.ts';
import {
  bindingsOf,
  environmentDescription,
  type FeatureValues,
  RULE_EVENT_TYPES,
  type RuleEvent,
} from './schema.ts';
import type { RuleStore } from './store.ts';

export interface RuleRouteDeps {
  store: RuleStore;
  engine: RuleEngine;
  approvals: ApprovalService;
}

const TAGS = ['risk rules'];

const RuleId = Type.String({ pattern: RULE_ID_PATTERN, maxLength: 64 });
const Version = Type.Integer({ minimum: 1, maximum: 1_000_000 });
const IdParams = Type.Object({ id: RuleId });
const VersionParams = Type.Object({ id: RuleId, version: Version });
const Reason = Type.String({ minLength: 1, maxLength: 500 });
const ReasonBody = Type.Object({ reason: Reason }, { additionalProperties: false });

/** The content of a version, as an analyst writes it. */
const draftFields = {
  expression: Type.String({
    minLength: 1,
    maxLength: RULE_LIMITS.expressionMax,
    description: 'A CEL expression over event, amount, features and now that is true when the rule matches.',
  }),
  action: Type.Union(RULE_ACTIONS.map((a) => Type.Literal(a))),
  score: Type.Integer({ minimum: RULE_LIMITS.scoreMin, maximum: RULE_LIMITS.scoreMax }),
  reasonCode: Type.String({ pattern: REASON_CODE_PATTERN, maxLength: RULE_LIMITS.reasonCodeMax }),
  messageKey: Type.String({ minLength: 1, maxLength: RULE_LIMITS.messageKeyMax }),
  warningKey: Type.Optional(
    Type.Union([Type.String({ minLength: 1, maxLength: RULE_LIMITS.messageKeyMax }), Type.Null()]),
  ),
};

const EventBody = Type.Object(
  {
    type: Type.Union(RULE_EVENT_TYPES.map((t) => Type.Literal(t))),
    customerId: Type.String({ minLength: 1, maxLength: 64 }),
    counterpartyId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    amountMinor: Type.Optional(Type.String({ pattern: '^(0|[1-9][0-9]{0,17})$', maxLength: 18 })),
    currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$', maxLength: 3 })),
    channel: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    deviceId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    ip: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    geo: Type.Optional(
      Type.Object(
        {
          country: Type.Optional(Type.String({ pattern: '^[A-Z]{2}$', maxLength: 2 })),
          region: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          lat: Type.Optional(Type.Number({ minimum: -90, maximum: 90 })),
          lon: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })),
        },
        { additionalProperties: false },
      ),
    ),
    hour: Type.Optional(Type.Integer({ minimum: 0, maximum: 23 })),
    at: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
  },
  { additionalProperties: false },
);

const FeaturesBody = Type.Record(
  Type.String({ maxLength: 80 }),
  Type.Union([Type.Number(), Type.Boolean(), Type.String({ maxLength: 64 })]),
  { maxProperties: 100, description: 'Feature values by registry name, e.g. {"payee.isNew": true}.' },
);

function eventOf(body: {
  type: RuleEvent['type'];
  customerId: string;
  counterpartyId?: string | undefined;
  amountMinor?: string | undefined;
  currency?: string | undefined;
  channel?: string | undefined;
  deviceId?: string | undefined;
  ip?: string | undefined;
  geo?: RuleEvent['geo'];
  hour?: number | undefined;
  at?: string | undefined;
}): RuleEvent {
  return {
    ...body,
    amountMinor: body.amountMinor === undefined ? undefined : BigInt(body.amountMinor),
    at: body.at === undefined ? undefined : new Date(body.at),
  };
}

/**
 * The rules API: read rules and versions, write drafts, move versions to shadow, ask for
 * a version to act (maker-checker) or to stop, and try an expression or a version
 * against an event in the console's test panel. Nothing here evaluates live traffic.
 */
export function registerRuleRoutes(app: App, deps: RuleRouteDeps): void {
  const { store, engine, approvals } = deps;
  const requestPublication = (
    req: FastifyRequest,
    reply: FastifyReply,
    input: { ruleId: string; version: number; state: 'active' | 'retired' },
    reason: string,
  ) => requestApproval(approvals, req, reply, 'risk.rule.publish', input, reason);

  app.get(
    '/v1/risk/rules',
    {
      config: { auth: { permission: 'rule.read' } },
      schema: { tags: TAGS, summary: 'Risk rules with their versions and states' },
    },
    async () => ({ rules: await store.list() }),
  );

  app.get(
    '/v1/risk/rules/:id',
    {
      config: { auth: { permission: 'rule.read' } },
      schema: { tags: TAGS, summary: 'One risk rule with its versions', params: IdParams },
    },
    async (req) => store.get(req.params.id),
  );

  app.post(
    '/v1/risk/rules',
    {
      config: { auth: { permission: 'rule.write' } },
      schema: {
        tags: TAGS,
        summary: 'Create a rule; its first version is a draft',
        description:
          'The expression is type-checked against the event and feature schema (GET /v1/risk/features); problems answer 422 RISK_RULE_INVALID with `errors: [{line, column, message}]`.',
        headers: IdempotencyHeaders,
        body: Type.Object(
          {
            id: RuleId,
            name: Type.String({ minLength: 1, maxLength: RULE_LIMITS.nameMax }),
            description: Type.Optional(Type.String({ maxLength: RULE_LIMITS.descriptionMax })),
            ...draftFields,
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const r = await store.create(req.body, actorOf(req), requestMetaOf(req), idempotencyOf(req));
      return sendStored(reply, r.response, r.replayed);
    },
  );

  app.post(
    '/v1/risk/rules/:id/versions',
    {
      config: { auth: { permission: 'rule.write' } },
      schema: {
        tags: TAGS,
        summary: 'Write a new draft version of a rule',
        description:
          'Earlier versions keep their states; the acting version acts until this one is activated.',
        params: IdParams,
        headers: IdempotencyHeaders,
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: RULE_LIMITS.nameMax })),
            description: Type.Optional(Type.String({ maxLength: RULE_LIMITS.descriptionMax })),
            ...draftFields,
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const r = await store.addVersion(
        req.params.id,
        req.body,
        actorOf(req),
        requestMetaOf(req),
        idempotencyOf(req),
      );
      return sendStored(reply, r.response, r.replayed);
    },
  );

  app.post(
    '/v1/risk/rules/:id/versions/:version/shadow',
    {
      config: { auth: { permission: 'rule.write' } },
      schema: {
        tags: TAGS,
        summary: 'Put a draft version in shadow: evaluated and reported on every event, never acting',
        description:
          'A shadow version already there for the rule is retired. Repeating the move changes nothing.',
        params: VersionParams,
        body: ReasonBody,
      },
    },
    async (req) =>
      store.shadow(req.params.id, req.params.version, actorOf(req), req.body.reason, requestMetaOf(req)),
  );

  app.post(
    '/v1/risk/rules/:id/versions/:version/activate',
    {
      config: { auth: { permission: 'rule.publish' } },
      schema: {
        tags: TAGS,
        summary: 'Ask for a draft or shadow version to act (maker-checker); answers 202 with the request',
        description:
          'Another staff user with rule.publish approves it (POST /v1/approvals/:id/approve); the version’s author cannot. On approval the version acts at once and the version acting before it is retired.',
        params: VersionParams,
        headers: IdempotencyHeaders,
        body: ReasonBody,
      },
    },
    async (req, reply) =>
      requestPublication(
        req,
        reply,
        { ruleId: req.params.id, version: req.params.version, state: 'active' },
        req.body.reason,
      ),
  );

  app.post(
    '/v1/risk/rules/:id/versions/:version/retire',
    {
      config: { auth: { permission: 'rule.write' } },
      schema: {
        tags: TAGS,
        summary: 'Retire a version',
        description:
          'A draft or shadow version is retired at once (200 with the rule). An acting version stops only through maker-checker: the answer is 202 with the approval request.',
        params: VersionParams,
        headers: IdempotencyHeaders,
        body: ReasonBody,
      },
    },
    async (req, reply) => {
      const { id, version } = req.params;
      if ((await store.stateOf(id, version)) === 'active') {
        return requestPublication(req, reply, { ruleId: id, version, state: 'retired' }, req.body.reason);
      }
      return store.retire(id, version, actorOf(req), req.body.reason, requestMetaOf(req));
    },
  );

  app.post(
    '/v1/risk/rules/test',
    {
      config: { auth: { permission: 'rule.read' } },
      schema: {
        tags: TAGS,
        summary: 'Try an expression, a stored version or the live rule set against an event',
        description:
          'Send exactly one of `expression`, `ruleId` with `version`, or `live: true`. A version is evaluated as if it acted, whatever its state. Nothing is stored; no Idempotency-Key is needed.',
        body: Type.Object(
          {
            expression: Type.Optional(draftFields.expression),
            ruleId: Type.Optional(RuleId),
            version: Type.Optional(Version),
            live: Type.Optional(Type.Boolean()),
            event: EventBody,
            features: Type.Optional(FeaturesBody),
            at: Type.Optional(
              Type.String({
                format: 'date-time',
                maxLength: 40,
                description: 'The decision time; now when absent.',
              }),
            ),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      const { expression, ruleId, version, live } = req.body;
      const chosen = [expression !== undefined, ruleId !== undefined || version !== undefined, live === true];
      if (chosen.filter(Boolean).length !== 1) {
        throw new AppError(
          'VALIDATION_FAILED',
          'Send exactly one of expression, ruleId with version, or live: true.',
        );
      }
      const event = eventOf(req.body.event);
      const features: FeatureValues = req.body.features ?? {};
      const at = req.body.at === undefined ? new Date() : new Date(req.body.at);
      const { bindings, inputErrors } = bindingsOf(event, features, at, engine.options.localOffsetMinutes);
      const firstInput = inputErrors[0];
      if (firstInput) {
        throw new AppError('VALIDATION_FAILED', `body/${firstInput.field}: ${firstInput.message}`, {
          errors: inputErrors.map((e) => ({ path: `body/${e.field}`, message: e.message })),
        });
      }
      if (expression !== undefined) {
        const compiled = compileExpression(expression);
        if (!compiled.ok) {
          const first = compiled.errors[0];
          throw new AppError(
            'RISK_RULE_INVALID',
            first ? `Line ${first.line}, column ${first.column}: ${first.message}` : undefined,
            { errors: compiled.errors },
          );
        }
        const started = process.hrtime.bigint();
        const result = compiled.program(bindings);
        const latencyUs = Number(process.hrtime.bigint() - started) / 1000;
        if (typeof result === 'boolean')
          return { mode: 'expression', matched: result, error: null, latencyUs };
        const error = isCelError(result) ? result.message : 'the expression did not give true or false';
        return { mode: 'expression', matched: null, error, latencyUs };
      }
      if (live)
        return { mode: 'live', evaluation: engine.evaluateWith(await engine.ruleSet(), event, features, at) };
      if (ruleId === undefined || version === undefined) {
        throw new AppError('VALIDATION_FAILED', 'Send ruleId together with version.');
      }
      const stored = await store.version(ruleId, version);
      const set = engine.rules.compileSet(`test:${ruleId}@${version}`, [{ ...stored, state: 'active' }]);
      const broken = set.invalid[0];
      if (broken) {
        throw new AppError('RISK_RULE_INVALID', `Version ${version} of rule ${ruleId} no longer compiles.`, {
          errors: broken.errors,
        });
      }
      return { mode: 'rule', state: stored.state, evaluation: engine.evaluateWith(set, event, features, at) };
    },
  );

  app.get(
    '/v1/risk/features',
    {
      config: { auth: { permission: 'rule.read' } },
      schema: {
        tags: TAGS,
        summary: 'What rules can use: the variables, the event fields and the feature registry',
      },
    },
    async () => environmentDescription(),
  );

  app.get(
    '/v1/risk/messages',
    {
      config: { auth: { permission: 'rule.read' } },
      schema: {
        tags: TAGS,
        summary: 'The customer messages and warnings rules can name, in English and Chinese',
      },
    },
    async () => ({ messages: messageCatalogue() }),
  );
}
