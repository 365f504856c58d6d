import type { RiskOutcome } from '../gate.ts';

/** What a rule asks for when it matches; the most severe acting rule decides the outcome. */
export const RULE_ACTIONS = [
  'ALLOW',
  'CHALLENGE',
  'REVIEW',
  'BLOCK',
  'BLOCK_AND_FREEZE',
] as const satisfies readonly RiskOutcome[];
export type RuleAction = (typeof RULE_ACTIONS)[number];

/** Severity order of actions, lowest first: a later action always wins over an earlier one. */
export const ACTION_SEVERITY: Readonly<Record<RuleAction, number>> = {
  ALLOW: 0,
  CHALLENGE: 1,
  REVIEW: 2,
  BLOCK: 3,
  BLOCK_AND_FREEZE: 4,
};

/**
 * The lifecycle of a rule version: a draft is only stored, a shadow version is evaluated
 * and reported but never acts, an active version acts, a retired version is kept for the
 * record and never evaluated again.
 */
export const RULE_STATES = ['draft', 'shadow', 'active', 'retired'] as const;
export type RuleState = (typeof RULE_STATES)[number];

/** Bounds shared by the API schemas, the store and the compiler. */
export const RULE_LIMITS = {
  expressionMax: 4096,
  nameMax: 120,
  descriptionMax: 2000,
  reasonCodeMax: 64,
  messageKeyMax: 80,
  scoreMin: -1000,
  scoreMax: 1000,
} as const;

/** Rule ids are chosen by the analyst and stay stable across versions (they appear in decisions). */
export const RULE_ID_PATTERN = '^[a-z][a-z0-9_]{2,63}$';
/** Reason codes are stable identifiers reported with decisions, e.g. `PHISHING_NEW_PAYEE_NIGHT`. */
export const REASON_CODE_PATTERN = '^[A-Z][A-Z0-9_]{2,63}$';

export function isRuleAction(value: string): value is RuleAction {
  return (RULE_ACTIONS as readonly string[]).includes(value);
}

export function isRuleState(value: string): value is RuleState {
  return (RULE_STATES as readonly string[]).includes(value);
}

/** What a version of a rule says; immutable once stored. */
export interface RuleDefinition {
  ruleId: string;
  version: number;
  expression: string;
  action: RuleAction;
  score: number;
  reasonCode: string;
  /** Key of the customer message in the catalogue (`messages.ts`). */
  messageKey: string;
  /** Key of the in-the-moment warning a CHALLENGE shows, when there is one. */
  warningKey: string | null;
}
