import { Type } from 'typebox';
import { actorOf } from '../../access/principal.ts';
import type { App } from '../../platform/http.ts';
import { Problem } from '../../wallet/schemas.ts';
import { RULE_ID_PATTERN } from '../rules/model.ts';
import type { BacktestService } from './service.ts';

export interface BacktestRouteDeps {
  service: BacktestService;
}

const TAGS = ['risk back-tests'];

const BacktestId = Type.String({ pattern: '^bt_[0-9a-z]{26}$', maxLength: 29 });
const IdParams = Type.Object({ id: BacktestId });
const Instant = Type.String({ format: 'date-time', maxLength: 40 });

const problems = { '4xx': Problem, '5xx': Problem };

const Candidate = Type.Union(
  [
    Type.Object(
      { revision: Type.Literal('active', { description: 'The active set itself (a run of the baseline).' }) },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        ruleVersions: Type.Array(
          Type.Object(
            {
              ruleId: Type.String({ pattern: RULE_ID_PATTERN, maxLength: 64 }),
              version: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
            },
            { additionalProperties: false },
          ),
          { minItems: 1, maxItems: 50 },
        ),
      },
      {
        additionalProperties: false,
        description:
          'Versions (any state) that act in the candidate instead of their rule’s active version, or in addition when the rule has none.',
      },
    ),
  ],
  {
    description: 'The rule set under test; the baseline is always the active set at the time of the request.',
  },
);

const StartBody = Type.Object(
  {
    from: Instant,
    to: { ...Instant, description: 'Not after now; at most 31 days after from.' },
    candidate: Candidate,
    warmupDays: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 30,
        description:
          'Days before from replayed only to fill the velocity windows and profiles (default 0); counted in the size limit.',
      }),
    ),
  },
  { additionalProperties: false },
);

const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({ maxLength: 128, description: 'Accepted, not required: a back-test changes nothing.' }),
  ),
});

const summaryFields = {
  id: Type.String(),
  status: Type.Union([
    Type.Literal('queued'),
    Type.Literal('running'),
    Type.Literal('done'),
    Type.Literal('failed'),
    Type.Literal('cancelled'),
  ]),
  params: Type.Record(Type.String(), Type.Unknown()),
  total: Type.Integer({ description: 'Decisions in the replayed range when the run was accepted.' }),
  processed: Type.Integer(),
  progress: Type.Number({ minimum: 0, maximum: 1 }),
  cancelRequested: Type.Boolean(),
  createdBy: Type.String(),
  createdAt: Type.String(),
  startedAt: Type.Union([Type.String(), Type.Null()]),
  finishedAt: Type.Union([Type.String(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
};

const BacktestSummary = Type.Object(summaryFields);
const Backtest = Type.Object({
  ...summaryFields,
  result: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], {
    description:
      'When done: events, warmupEvents, candidate and baseline reports (outcomes by type, hits per rule, heldMinor and blockedMinor per currency, labels with precision and recall, recall per scenario), diff and liveAgreement.',
  }),
});

/**
 * The back-test API: start a run of a candidate rule set over a past period beside the
 * active set, follow its progress, read its result, cancel it. Runs happen in the
 * background of the process; nothing here changes a rule or a decision.
 */
export function registerBacktestRoutes(app: App, deps: BacktestRouteDeps): void {
  const { service } = deps;

  app.post(
    '/v1/risk/backtests',
    {
      config: { auth: { permission: 'rule.write' } },
      schema: {
        tags: TAGS,
        summary: 'Start a back-test of a candidate rule set against the active set; answers 202',
        description:
          'Replays the decisions of the period in event-time order through the live feature code and evaluates both sets on the same features. Refused with 422 RISK_BACKTEST_TOO_LARGE when the period holds too many decisions, 404 RISK_RULE_NOT_FOUND for an unknown version.',
        headers: IdempotencyHeaders,
        body: StartBody,
        response: { 202: Backtest, ...problems },
      },
    },
    async (req, reply) => reply.code(202).send(await service.start(req.body, actorOf(req).id)),
  );

  app.get(
    '/v1/risk/backtests',
    {
      config: { auth: { permission: 'rule.read' } },
      schema: {
        tags: TAGS,
        summary: 'Back-tests, newest first (without their results)',
        querystring: Type.Object(
          {
            limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
            cursor: Type.Optional(BacktestId),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            backtests: Type.Array(BacktestSummary),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...problems,
        },
      },
    },
    async (req) => service.list(req.query),
  );

  app.get(
    '/v1/risk/backtests/:id',
    {
      config: { auth: { permission: 'rule.read' } },
      schema: {
        tags: TAGS,
        summary: 'One back-test: its progress, and its result once done',
        params: IdParams,
        response: { 200: Backtest, ...problems },
      },
    },
    async (req) => service.get(req.params.id),
  );

  app.post(
    '/v1/risk/backtests/:id/cancel',
    {
      config: { auth: { permission: 'rule.write' } },
      schema: {
        tags: TAGS,
        summary: 'Cancel a queued or running back-test',
        description:
          'A queued back-test is cancelled at once; a running one stops within a moment (cancelRequested until then). A finished one answers 409 RISK_BACKTEST_STATE.',
        params: IdParams,
        response: { 200: Backtest, ...problems },
      },
    },
    async (req) => service.cancel(req.params.id),
  );
}
