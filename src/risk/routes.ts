import type { FastifyRequest } from 'fastify';
import { type Static, Type } from 'typebox';
import { principalOf } from '../access/principal.ts';
import type { StepUpService } from '../identity/step-up.ts';
import type { Db } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import { type App, idempotencyOf, sendStored } from '../platform/http.ts';
import { lookupIdempotent, runIdempotent } from '../platform/idempotency.ts';
import { contextFields, parseInstant } from '../wallet/risk-step.ts';
import { EventContext, Problem } from '../wallet/schemas.ts';
import { insertDecision } from './decision-store.ts';
import type { RiskEngine } from './engine.ts';
import { applyFraudLabels, storeLabels } from './labels.ts';
import { RULE_EVENT_TYPES } from './rules/schema.ts';

export interface RiskRouteDeps {
  db: Db;
  engine: RiskEngine;
  stepUp: StepUpService;
}

const TAGS = ['risk engine'];
const problems = { '4xx': Problem, '5xx': Problem };

/** Events that move no money: asked about here; money movements go through the wallet routes. */
const MONEY_TYPES: ReadonlySet<string> = new Set(['topup', 'withdrawal', 'transfer', 'payment', 'refund']);
export const ACCOUNT_EVENT_TYPES = RULE_EVENT_TYPES.filter((t) => !MONEY_TYPES.has(t));

const AccountEvent = Type.Object(
  {
    type: Type.Union(ACCOUNT_EVENT_TYPES.map((t) => Type.Literal(t))),
    customerId: Type.String({ pattern: '^cus_[0-9a-z]{26}$' }),
    result: Type.Optional(
      Type.Union([Type.Literal('attempt'), Type.Literal('failed')], {
        description:
          '`attempt` (default): asked before the event takes effect. `failed`: a report of a failed sign-in or binding, counted for later decisions.',
      }),
    ),
    context: Type.Optional(EventContext),
  },
  { additionalProperties: false },
);

const Warning = Type.Object({ key: Type.String(), en: Type.String(), zhCN: Type.String() });
const DecisionBody = Type.Object({
  decision: Type.Object({
    id: Type.String(),
    outcome: Type.String(),
    reasonCodes: Type.Array(Type.String()),
    customerMessage: Type.Union([Type.String(), Type.Null()]),
    warnings: Type.Array(Warning),
  }),
});

const LABELS_MAX = 1000;
const Labels = Type.Object(
  {
    labels: Type.Array(
      Type.Object(
        {
          decisionId: Type.String({ pattern: '^dec_[0-9a-z]{26}$' }),
          label: Type.Union([Type.Literal('fraud'), Type.Literal('legit'), Type.Literal('laundering')]),
          scenario: Type.Optional(Type.String({ pattern: '^[a-z0-9_]{1,64}$' })),
          reportedAt: Type.Optional(Type.String({ format: 'date-time' })),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: LABELS_MAX },
    ),
  },
  { additionalProperties: false },
);

const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ description: 'Required. 8–128 characters.' })),
});

/**
 * The engine's own API: account events decided before they take effect, an integrator's
 * confirmation of a challenge it answered for its user, and labels (what a decision
 * turned out to be) for back-tests and models.
 */
export function registerRiskRoutes(app: App, deps: RiskRouteDeps): void {
  const { db, engine, stepUp } = deps;

  app.post<{ Body: Static<typeof AccountEvent> }>(
    '/v1/risk/events',
    {
      config: { auth: { permission: 'risk.event' } },
      schema: {
        tags: TAGS,
        summary: 'Ask the risk engine about an account event before it takes effect (or report a failed one)',
        headers: IdempotencyHeaders,
        body: AccountEvent,
        response: { 200: DecisionBody, ...problems },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const idem = idempotencyOf(req);
      const prior = await lookupIdempotent(db, idem).catch(() => undefined);
      if (prior) return sendStored(reply, prior, true);
      const customer = await db
        .selectFrom('customers')
        .select('id')
        .where('id', '=', b.customerId)
        .executeTakeFirst();
      if (!customer)
        throw new AppError('WALLET_CUSTOMER_NOT_FOUND', `Customer ${b.customerId} does not exist.`);
      const c = b.context;
      const event = {
        type: b.type,
        customerId: b.customerId,
        currency: null,
        amountMinor: 0n,
        ...contextFields({
          ip: c?.ip ?? req.ip,
          event: { deviceId: c?.deviceId, geo: c?.geo, channel: c?.channel },
        }),
        at: c?.occurredAt === undefined ? engine.now() : parseInstant(c.occurredAt, 'context.occurredAt'),
        failed: b.result === 'failed',
      };
      const decision = await engine.decide(event);
      const result = await runIdempotent(db, idem, async (tx) => {
        await insertDecision(tx, decision);
        return {
          statusCode: 200,
          body: {
            decision: {
              id: decision.id,
              outcome: decision.outcome,
              reasonCodes: decision.reasonCodes,
              customerMessage: decision.customerMessage,
              warnings: decision.warnings ?? [],
            },
          },
        };
      });
      return sendStored(reply, result.response, result.replayed);
    },
  );

  app.post<{ Params: { id: string } }>(
    '/v1/risk/challenges/:id/confirm',
    {
      config: { auth: { permission: 'risk.challenge' } },
      schema: {
        tags: TAGS,
        summary:
          'Confirm a challenge the engine raised on your request: you authenticated the customer and showed the warnings',
        description:
          'Returns a single-use proof; send the same request again (same Idempotency-Key and body) with it in the Bulwark-Step-Up header.',
        params: Type.Object({ id: Type.String({ pattern: '^chl_[0-9a-z]{26}$' }) }),
        body: Type.Object(
          {
            method: Type.Literal('integrator'),
            warningShown: Type.Literal(true, { description: 'The warnings were shown to the customer.' }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ proof: Type.String(), method: Type.String(), expiresAt: Type.String() }),
          ...problems,
        },
      },
    },
    async (req: FastifyRequest<{ Params: { id: string } }>) =>
      stepUp.attest(req.params.id, principalOf(req).id),
  );

  app.post<{ Body: Static<typeof Labels> }>(
    '/v1/risk/labels',
    {
      config: { auth: { permission: 'risk.label' } },
      schema: {
        tags: TAGS,
        summary: 'Report what decisions turned out to be (fraud, laundering, legitimate)',
        description: `Up to ${LABELS_MAX} labels per call. A label replaces the caller's earlier label of the same decision. All or nothing: an unknown decision id refuses the whole call.`,
        body: Labels,
        response: { 200: Type.Object({ stored: Type.Integer() }), ...problems },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const source = `${p.type}:${p.id}`.slice(0, 80);
      const now = engine.now();
      const { stored, newFraud } = await storeLabels(
        db,
        req.body.labels.map((l) => ({
          decisionId: l.decisionId,
          label: l.label,
          scenario: l.scenario,
          reportedAt: l.reportedAt === undefined ? undefined : parseInstant(l.reportedAt, 'reportedAt'),
        })),
        source,
        now,
      );
      await applyFraudLabels(db, engine, newFraud, now);
      return { stored };
    },
  );
}
