import {
  REASON_CODE_PATTERN,
  RULE_ACTIONS,
  RULE_ID_PATTERN,
  RULE_LIMITS,
  RULE_STATES,
  type RuleState,
} from '../../../src/risk/rules/model.ts';
import {
  array,
  bool,
  count,
  DecodeError,
  type Decoder,
  firstOf,
  nullable,
  num,
  object,
  str,
  withDefault,
} from './decode.ts';
import { ApiError } from './errors.ts';
import { approval } from './resources.ts';

/**
 * The risk rules API as the console reads it: rules with their versions, the feature
 * registry and the message catalogue the editor offers, the test panel's answers, and
 * the positions of the problems the server finds in an expression.
 */

export type { RuleState };
export { RULE_ACTIONS, RULE_LIMITS, RULE_STATES };

/** The patterns the API checks ids and reason codes against, checked here first for a message in the user's language. */
export const REASON_CODE_RE = new RegExp(REASON_CODE_PATTERN);
export const RULE_ID_RE = new RegExp(RULE_ID_PATTERN);

/** Query keys: the list and each rule share a prefix, so a change refreshes both. */
export const RULE_KEYS = {
  all: ['risk-rules'] as const,
  one: (id: string) => ['risk-rules', id] as const,
  environment: ['risk-environment'] as const,
  messages: ['risk-messages'] as const,
  publishRequests: ['approvals', 'pending', 'risk.rule.publish'] as const,
};

export function isRuleState(value: string): value is RuleState {
  return (RULE_STATES as readonly string[]).includes(value);
}

export const ruleVersion = object({
  ruleId: str,
  version: count,
  expression: str,
  action: str,
  score: num,
  reasonCode: str,
  messageKey: str,
  warningKey: nullable(str),
  state: str,
  createdBy: withDefault(str, ''),
  createdAt: nullable(str),
  stateChangedBy: nullable(str),
  stateChangedAt: nullable(str),
  publishedBy: nullable(str),
  publishedAt: nullable(str),
  approvalId: nullable(str),
});
export type RuleVersion = ReturnType<typeof ruleVersion>;

export const rule = object({
  id: str,
  name: str,
  description: withDefault(str, ''),
  draftVersion: count,
  activeVersion: nullable(count),
  shadowVersion: nullable(count),
  createdBy: withDefault(str, ''),
  createdAt: nullable(str),
  updatedBy: withDefault(str, ''),
  updatedAt: nullable(str),
  /** Newest first. */
  versions: withDefault(array(ruleVersion), []),
});
export type Rule = ReturnType<typeof rule>;
export const ruleList = object({ rules: array(rule) });

/** The version the rule is best known by: the acting one, else the one in shadow, else the newest. */
export function leadVersion(r: Rule): RuleVersion | undefined {
  return (
    r.versions.find((v) => v.state === 'active') ??
    r.versions.find((v) => v.state === 'shadow') ??
    r.versions[0]
  );
}

const featureInfo = object({
  name: str,
  path: nullable(str),
  type: str,
  description: withDefault(str, ''),
  values: withDefault(array(str), []),
});
export type FeatureInfo = ReturnType<typeof featureInfo>;

const eventField = object({
  name: str,
  type: str,
  optional: withDefault(bool, false),
  description: withDefault(str, ''),
  values: withDefault(array(str), []),
});

/** GET /v1/risk/features: what rules can read. */
export const ruleEnvironment = object({
  variables: withDefault(array(object({ name: str, type: str, description: withDefault(str, '') })), []),
  eventTypes: withDefault(array(str), []),
  eventFields: withDefault(array(eventField), []),
  features: array(featureInfo),
});
export type RuleEnvironment = ReturnType<typeof ruleEnvironment>;

const ruleMessage = object({ key: str, kind: str, en: str, 'zh-CN': str });
export type RuleMessage = ReturnType<typeof ruleMessage>;
/** GET /v1/risk/messages: the customer messages and warnings a rule can name. */
export const ruleMessages = object({ messages: array(ruleMessage) });

const hit = object({
  ruleId: str,
  version: count,
  action: str,
  score: num,
  reasonCode: str,
  messageKey: nullable(str),
  warningKey: nullable(str),
  shadow: withDefault(bool, false),
});

const evaluation = object({
  outcome: str,
  score: num,
  reasonCodes: withDefault(array(str), []),
  messageKey: nullable(str),
  warningKeys: withDefault(array(str), []),
  withShadow: nullable(object({ outcome: str, score: num })),
  hits: withDefault(array(hit), []),
  errors: withDefault(
    array(object({ ruleId: str, version: count, shadow: withDefault(bool, false), message: str })),
    [],
  ),
  inputErrors: withDefault(array(object({ field: str, message: str })), []),
  revision: nullable(str),
  latency: nullable(object({ totalUs: num })),
});
export type RuleEvaluation = ReturnType<typeof evaluation>;

export type TestAnswer =
  | { mode: 'expression'; matched: boolean | null; error: string | null; latencyUs: number | null }
  | { mode: 'rule'; state: string; evaluation: RuleEvaluation }
  | { mode: 'live'; evaluation: RuleEvaluation };

/** POST /v1/risk/rules/test: one of three shapes, told apart by `mode`. */
export const testAnswer: Decoder<TestAnswer> = (v, path) => {
  const { mode } = object({ mode: str })(v, path);
  switch (mode) {
    case 'expression': {
      const o = object({ matched: nullable(bool), error: nullable(str), latencyUs: nullable(num) })(v, path);
      return { mode, ...o };
    }
    case 'rule': {
      const o = object({ state: withDefault(str, ''), evaluation })(v, path);
      return { mode, ...o };
    }
    case 'live':
      return { mode, evaluation: object({ evaluation })(v, path).evaluation };
    default:
      throw new DecodeError(path ? `${path}.mode` : 'mode', 'expression | rule | live');
  }
};

/** An approval request with what it is about (the rules page matches requests to versions). */
export const publishRequest = object({
  id: str,
  action: str,
  status: str,
  payload: withDefault(object({ ruleId: nullable(str), version: nullable(count), state: nullable(str) }), {
    ruleId: null,
    version: null,
    state: null,
  }),
});
export const publishRequests = object({ 'approvals|items': withDefault(array(publishRequest), []) });

export type LifecycleAnswer =
  | { kind: 'approval'; approval: ReturnType<typeof approval> }
  | { kind: 'rule'; rule: Rule };

/** Activation always, and retiring an acting version, answer an approval request; the other moves answer the rule. */
export const lifecycleAnswer: Decoder<LifecycleAnswer> = firstOf<LifecycleAnswer>(
  (v, p) => ({ kind: 'approval', approval: approval(v, p) }),
  (v, p) => ({ kind: 'rule', rule: rule(v, p) }),
);

/** A problem in an expression and where it is (1-based line and column, in UTF-16 code units). */
export interface RuleIssue {
  line: number;
  column: number;
  message: string;
}

const POSITIONED = /^Line (\d+), column (\d+): ([\s\S]+)$/;

/**
 * The problems of a refused expression (RISK_RULE_INVALID), or null for any other failure.
 * The positions come from the problem's `errors` when the adapter passes them on, else from
 * its detail, which names the first problem ("Line 2, column 13: …"). An empty list means
 * the server gave no position (a stored version that no longer compiles).
 */
export function ruleIssuesOf(err: unknown): RuleIssue[] | null {
  if (!(err instanceof ApiError) || err.code !== 'RISK_RULE_INVALID') return null;
  const listed = issuesFromExtensions(err);
  if (listed.length > 0) return listed;
  const m = POSITIONED.exec(err.detail);
  if (!m) return [];
  return [{ line: Number(m[1]), column: Number(m[2]), message: m[3] ?? '' }];
}

function issuesFromExtensions(err: ApiError): RuleIssue[] {
  const holder: object = err;
  if (!('extensions' in holder)) return [];
  const ext = holder.extensions;
  if (typeof ext !== 'object' || ext === null || !('errors' in ext) || !Array.isArray(ext.errors)) return [];
  const out: RuleIssue[] = [];
  for (const e of ext.errors) {
    try {
      out.push(object({ line: count, column: count, message: str })(e, 'errors'));
    } catch {
      // A member that does not fit is left out; the detail still names the first problem.
    }
  }
  return out;
}

/** The field a refused value belongs to ("body/reasonCode: …" → reasonCode) and the server's words. */
export function fieldProblemOf(err: unknown): { field: string; message: string } | null {
  if (!(err instanceof ApiError) || err.code !== 'VALIDATION_FAILED') return null;
  const m = /^body\/([A-Za-z.]+)[:\s]\s*([\s\S]*)$/.exec(err.detail);
  if (!m) return null;
  return { field: m[1] ?? '', message: (m[2] ?? '').trim() };
}

/** A fresh Idempotency-Key: one per action, so a retry after a lost answer replays instead of acting twice. */
export function newIdempotencyKey(): string {
  return `console-${crypto.randomUUID()}`;
}
