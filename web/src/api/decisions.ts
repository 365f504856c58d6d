import {
  array,
  bool,
  count,
  DecodeError,
  type Decoder,
  minor,
  nullable,
  num,
  object,
  str,
  stringRecord,
  withDefault,
} from './decode.ts';

/**
 * GET /v1/decisions/:id as the decision page reads it: the stored decision, its detail
 * (features, rules evaluated and hit, model, limits, messages in both languages, the
 * analyst's explanation) when the engine kept one, its labels, and the entries and holds
 * it let through. Decisions stored before the detail existed answer `detail: null`.
 */

export const DECISION_LABELS = ['fraud', 'legit', 'laundering'] as const;
export type DecisionLabel = (typeof DECISION_LABELS)[number];

/** What POST /v1/risk/labels accepts as a scenario. */
export const SCENARIO_RE = /^[a-z0-9_]{1,64}$/;

/** Not ['decision', id]: the hold page caches the same answer read by a smaller decoder under that key. */
export const decisionKey = (id: string) => ['decision-record', id] as const;

export type FeatureValue = string | number | boolean | null;

/** The feature values by name, sorted by name; members that are not plain values are left out. */
const featureValues: Decoder<Array<{ name: string; value: FeatureValue }>> = (v, path) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new DecodeError(path, 'an object');
  const out: Array<{ name: string; value: FeatureValue }> = [];
  for (const [name, value] of Object.entries(v)) {
    if (
      value === null ||
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      (typeof value === 'number' && Number.isFinite(value))
    ) {
      out.push({ name, value });
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
};

const ruleHit = object({
  ruleId: str,
  version: count,
  action: str,
  score: num,
  reasonCode: str,
  messageKey: nullable(str),
  warningKey: nullable(str),
  shadow: withDefault(bool, false),
});
export type RuleHit = ReturnType<typeof ruleHit>;

const ruleError = object({ ruleId: str, version: count, shadow: withDefault(bool, false), message: str });
export type RuleError = ReturnType<typeof ruleError>;

const rulesDetail = object({
  revision: nullable(str),
  outcome: str,
  score: num,
  hits: withDefault(array(ruleHit), []),
  errors: withDefault(array(ruleError), []),
  withShadow: nullable(object({ outcome: str, score: num })),
  /** `ruleId@version` of every rule evaluated. */
  evaluated: withDefault(array(str), []),
});
export type RulesDetail = ReturnType<typeof rulesDetail>;

const bilingual = object({ en: str, zhCN: str });

const detail = object({
  features: withDefault(featureValues, []),
  missing: withDefault(array(str), []),
  degradedSources: withDefault(array(str), []),
  failSafe: nullable(str),
  limits: nullable(object({ outcome: str, reasonCodes: withDefault(array(str), []) })),
  rules: nullable(rulesDetail),
  model: nullable(
    object({
      name: str,
      score: num,
      level: str,
      contributions: withDefault(array(object({ feature: str, value: num })), []),
    }),
  ),
  challengePassed: withDefault(bool, false),
  messages: nullable(bilingual),
  warnings: withDefault(array(object({ key: str, en: str, zhCN: str })), []),
  explanation: withDefault(array(str), []),
  frozenAt: nullable(str),
});
export type DecisionDetailView = ReturnType<typeof detail>;

/** The event as the engine saw it (the snapshot a back-test replays). */
const snapshot = object({
  type: nullable(str),
  customerId: nullable(str),
  counterpartyId: nullable(str),
  amountMinor: nullable(minor),
  currency: nullable(str),
  channel: nullable(str),
  at: nullable(str),
  deviceId: nullable(str),
  ip: nullable(str),
  geo: nullable(
    object({ country: nullable(str), region: nullable(str), lat: nullable(num), lon: nullable(num) }),
  ),
  failed: withDefault(bool, false),
  /** What the limit policy looked at (tier, usage, balances), as text. */
  limits: nullable(stringRecord),
});
export type EventSnapshot = ReturnType<typeof snapshot>;

const EMPTY_SNAPSHOT: EventSnapshot = {
  type: null,
  customerId: null,
  counterpartyId: null,
  amountMinor: null,
  currency: null,
  channel: null,
  at: null,
  deviceId: null,
  ip: null,
  geo: null,
  failed: false,
  limits: null,
};

const label = object({
  label: str,
  scenario: nullable(str),
  source: withDefault(str, ''),
  reportedAt: nullable(str),
});
export type LabelView = ReturnType<typeof label>;

export const decisionRecord = object({
  id: str,
  eventType: withDefault(str, ''),
  subjectId: nullable(str),
  currency: nullable(str),
  amountMinor: nullable(minor),
  outcome: str,
  reasonCodes: withDefault(array(str), []),
  customerMessage: nullable(str),
  policy: withDefault(str, ''),
  input: withDefault(snapshot, EMPTY_SNAPSHOT),
  latencyUs: nullable(num),
  createdAt: nullable(str),
  eventAt: nullable(str),
  score: nullable(num),
  degraded: withDefault(bool, false),
  detail: nullable(detail),
  labels: withDefault(array(label), []),
  entryIds: withDefault(array(str), []),
  holdIds: withDefault(array(str), []),
});
export type DecisionRecord = ReturnType<typeof decisionRecord>;

export const labelsStored = object({ stored: count });

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The features the explanation names (the rules that hit list the values they read as
 * `name=value`). The expressions themselves are not part of a decision, so the
 * explanation is what tells which features mattered.
 */
export function featuresNamed(explanation: readonly string[], names: readonly string[]): Set<string> {
  const text = explanation.join('\n');
  const out = new Set<string>();
  for (const name of names) {
    if (new RegExp(`(^|[^A-Za-z0-9_.])${escapeRe(name)}($|[^A-Za-z0-9_.])`).test(text)) out.add(name);
  }
  return out;
}

export type RuleRowStatus = 'hit' | 'shadowHit' | 'error' | 'notMatched';

export interface RuleRow {
  ruleId: string;
  version: number;
  status: RuleRowStatus;
  hit: RuleHit | null;
  error: RuleError | null;
}

const STATUS_ORDER: Record<RuleRowStatus, number> = { hit: 0, shadowHit: 1, error: 2, notMatched: 3 };

/** Every rule evaluated, with its hit or error: acting hits first, then shadow hits, errors, the rest. */
export function ruleRows(rules: RulesDetail): RuleRow[] {
  const rows = new Map<string, RuleRow>();
  const row = (ruleId: string, version: number): RuleRow => {
    const key = `${ruleId}@${version}`;
    let r = rows.get(key);
    if (!r) {
      r = { ruleId, version, status: 'notMatched', hit: null, error: null };
      rows.set(key, r);
    }
    return r;
  };
  for (const e of rules.evaluated) {
    const m = /^(.+)@([0-9]{1,9})$/.exec(e);
    if (m?.[1] && m[2]) row(m[1], Number(m[2]));
  }
  for (const h of rules.hits) {
    const r = row(h.ruleId, h.version);
    r.hit = h;
    r.status = h.shadow ? 'shadowHit' : 'hit';
  }
  for (const e of rules.errors) {
    const r = row(e.ruleId, e.version);
    r.error = e;
    if (r.status === 'notMatched') r.status = 'error';
  }
  return [...rows.values()].sort(
    (a, b) =>
      STATUS_ORDER[a.status] - STATUS_ORDER[b.status] ||
      (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : a.version - b.version),
  );
}
