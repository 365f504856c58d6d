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
  oneOf,
  page,
  str,
  withDefault,
} from './decode.ts';

/**
 * The back-test API as the console reads it: runs of a candidate rule set beside the
 * active set over a past period, their progress, and once done the two reports side by
 * side, the events on which they differ and how well the replay agrees with the live
 * engine. Amounts stay minor-unit strings; only precision, recall and rates are numbers.
 */

export const BACKTEST_STATUSES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;
export type BacktestStatus = (typeof BACKTEST_STATUSES)[number];

/** The limits the server checks a request against, checked here first for a message in the user's language. */
export const BACKTEST_LIMITS = { spanDaysMax: 31, warmupDaysMax: 30, ruleVersionsMax: 50 } as const;

export const BACKTEST_KEYS = {
  all: ['backtests'] as const,
  one: (id: string) => ['backtests', 'one', id] as const,
};

/** How often a queued or running back-test is read again. */
export const BACKTEST_POLL_MS = 1_000;

export function isActive(status: BacktestStatus): boolean {
  return status === 'queued' || status === 'running';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An object of values decoded by `d`, as sorted [key, value] pairs. */
function entries<T>(d: Decoder<T>): Decoder<Array<[string, T]>> {
  return (v, path) => {
    if (!isRecord(v)) throw new DecodeError(path, 'an object');
    return Object.keys(v)
      .sort()
      .map((k) => [k, d(v[k], `${path}.${k}`)]);
  };
}

const params = object({
  from: nullable(str),
  to: nullable(str),
  warmupDays: withDefault(count, 0),
  baselineRevision: nullable(str),
  candidateRevision: nullable(str),
  /** `ruleId@version` of the versions that act in the candidate; empty: the active set itself. */
  candidateVersions: withDefault(array(str), []),
});
export type BacktestParams = ReturnType<typeof params>;

const summaryFields = {
  id: str,
  status: oneOf(BACKTEST_STATUSES),
  params: withDefault(params, {
    from: null,
    to: null,
    warmupDays: 0,
    baselineRevision: null,
    candidateRevision: null,
    candidateVersions: [],
  }),
  total: withDefault(count, 0),
  processed: withDefault(count, 0),
  progress: withDefault(num, 0),
  cancelRequested: withDefault(bool, false),
  createdBy: withDefault(str, ''),
  createdAt: nullable(str),
  startedAt: nullable(str),
  finishedAt: nullable(str),
  error: nullable(str),
};

export const backtestSummary = object(summaryFields);
export type BacktestSummary = ReturnType<typeof backtestSummary>;
export const backtestsPage = page('backtests|items', backtestSummary);

export interface RuleTally {
  ruleId: string;
  version: number;
  shadow: boolean;
  hits: number;
  errors: number;
}

/** One rule of a report; `mode` ('acting' | 'shadow') or a `shadow` flag says whether it acts. */
const ruleTally: Decoder<RuleTally> = (v, path) => {
  const o = object({
    ruleId: str,
    version: count,
    mode: nullable(oneOf(['acting', 'shadow'] as const)),
    shadow: nullable(bool),
    hits: withDefault(count, 0),
    errors: withDefault(count, 0),
  })(v, path);
  return {
    ruleId: o.ruleId,
    version: o.version,
    shadow: o.mode !== null ? o.mode === 'shadow' : (o.shadow ?? false),
    hits: o.hits,
    errors: o.errors,
  };
};

const labelTally = object({
  labelled: withDefault(count, 0),
  positives: withDefault(count, 0),
  negatives: withDefault(count, 0),
  truePositives: withDefault(count, 0),
  falsePositives: withDefault(count, 0),
  falseNegatives: withDefault(count, 0),
  trueNegatives: withDefault(count, 0),
  precision: nullable(num),
  recall: nullable(num),
});

const setReport = object({
  revision: withDefault(str, ''),
  events: withDefault(count, 0),
  flagged: withDefault(count, 0),
  /** Event type → [outcome, count] pairs. */
  outcomes: withDefault(entries(entries(count)), []),
  rules: withDefault(array(ruleTally), []),
  heldMinor: withDefault(entries(minor), []),
  blockedMinor: withDefault(entries(minor), []),
  labels: labelTally,
  scenarios: withDefault(
    array(object({ scenario: str, positives: count, flagged: count, recall: nullable(num) })),
    [],
  ),
});
export type SetReport = ReturnType<typeof setReport>;

const diffExample = object({
  decisionId: str,
  eventType: withDefault(str, ''),
  at: nullable(str),
  currency: nullable(str),
  amountMinor: nullable(minor),
  baseline: str,
  candidate: str,
  baselineRules: withDefault(array(str), []),
  candidateRules: withDefault(array(str), []),
});
export type DiffExample = ReturnType<typeof diffExample>;

const agreement = { compared: withDefault(count, 0), agreed: withDefault(count, 0), rate: nullable(num) };

const result = object({
  events: withDefault(count, 0),
  warmupEvents: withDefault(count, 0),
  candidate: setReport,
  baseline: setReport,
  diff: object({
    changed: withDefault(count, 0),
    transitions: withDefault(array(object({ from: str, to: str, count })), []),
    examples: withDefault(array(diffExample), []),
  }),
  liveAgreement: object({
    ...agreement,
    sameRevision: object(agreement),
    disagreements: withDefault(
      array(object({ decisionId: str, eventType: withDefault(str, ''), live: str, replayed: str })),
      [],
    ),
  }),
});
export type BacktestResult = ReturnType<typeof result>;

export const backtest = object({ ...summaryFields, result: nullable(result) });
export type Backtest = ReturnType<typeof backtest>;

// ---- Starting one ------------------------------------------------------------------

export type Candidate = { revision: 'active' } | { ruleVersions: Array<{ ruleId: string; version: number }> };

export interface StartBody {
  from: string;
  to: string;
  candidate: Candidate;
  warmupDays: number;
}

export interface StartForm {
  /** `YYYY-MM-DDTHH:mm` in the user's time zone, as a datetime-local field gives it. */
  from: string;
  /** Same; ignored when `toNow`. */
  to: string;
  toNow: boolean;
  mode: 'active' | 'versions';
  versions: Array<{ ruleId: string | null; version: number | null }>;
  warmupDays: number | string;
}

export type StartProblem =
  | 'fromInvalid'
  | 'toInvalid'
  | 'toFuture'
  | 'order'
  | 'span'
  | 'warmup'
  | 'noVersions'
  | 'versionMissing'
  | 'tooManyVersions'
  | 'ruleTwice';

const DAY_MS = 86_400_000;

/** A datetime-local value of the moment, in the user's time zone, to the minute. */
export function toLocalInput(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

function fromLocalInput(value: string): Date | null {
  if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2})?$/.test(value)) return null;
  // Without an offset, ECMAScript reads a date-time form as local time.
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** The form for a new back-test: the last 7 days, the active set, no warm-up. */
export function defaultStartForm(now: Date): StartForm {
  return {
    from: toLocalInput(new Date(now.getTime() - 7 * DAY_MS)),
    to: toLocalInput(now),
    toNow: true,
    mode: 'active',
    versions: [{ ruleId: null, version: null }],
    warmupDays: 0,
  };
}

/** The request of a filled-in form, or the first problem with it (the server checks the same). */
export function startBody(form: StartForm, now: Date): { body: StartBody } | { problem: StartProblem } {
  const from = fromLocalInput(form.from);
  if (!from) return { problem: 'fromInvalid' };
  const to = form.toNow ? now : fromLocalInput(form.to);
  if (!to) return { problem: 'toInvalid' };
  if (to.getTime() > now.getTime()) return { problem: 'toFuture' };
  if (to.getTime() <= from.getTime()) return { problem: 'order' };
  if (to.getTime() - from.getTime() > BACKTEST_LIMITS.spanDaysMax * DAY_MS) return { problem: 'span' };
  const warmup = typeof form.warmupDays === 'number' ? form.warmupDays : Number(form.warmupDays);
  if (!Number.isInteger(warmup) || warmup < 0 || warmup > BACKTEST_LIMITS.warmupDaysMax) {
    return { problem: 'warmup' };
  }
  let candidate: Candidate = { revision: 'active' };
  if (form.mode === 'versions') {
    const chosen: Array<{ ruleId: string; version: number }> = [];
    for (const v of form.versions) {
      if (v.ruleId === null && v.version === null) continue;
      if (v.ruleId === null || v.version === null) return { problem: 'versionMissing' };
      chosen.push({ ruleId: v.ruleId, version: v.version });
    }
    if (chosen.length === 0) return { problem: 'noVersions' };
    if (chosen.length > BACKTEST_LIMITS.ruleVersionsMax) return { problem: 'tooManyVersions' };
    if (new Set(chosen.map((c) => c.ruleId)).size !== chosen.length) return { problem: 'ruleTwice' };
    candidate = { ruleVersions: chosen };
  }
  return { body: { from: from.toISOString(), to: to.toISOString(), candidate, warmupDays: warmup } };
}

// ---- Reading a result --------------------------------------------------------------

export interface Pair<T> {
  baseline: T;
  candidate: T;
}

export interface OutcomeRow {
  eventType: string;
  outcome: string;
  counts: Pair<number>;
}

/** The outcome order of the engine, mildest first; unknown outcomes go last. */
export const OUTCOME_ORDER = ['ALLOW', 'CHALLENGE', 'REVIEW', 'BLOCK', 'BLOCK_AND_FREEZE'];

function outcomeRank(o: string): number {
  const i = OUTCOME_ORDER.indexOf(o);
  return i < 0 ? OUTCOME_ORDER.length : i;
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Outcome counts by event type of both sets, one row per (event type, outcome) either set has. */
export function outcomeRows(r: Pair<SetReport>): OutcomeRow[] {
  const table = (s: SetReport) => new Map(s.outcomes.map(([type, row]) => [type, new Map(row)]));
  const b = table(r.baseline);
  const c = table(r.candidate);
  const types = [...new Set([...b.keys(), ...c.keys()])].sort(byName);
  const rows: OutcomeRow[] = [];
  for (const eventType of types) {
    const outcomes = new Set([...(b.get(eventType)?.keys() ?? []), ...(c.get(eventType)?.keys() ?? [])]);
    for (const outcome of [...outcomes].sort((x, y) => outcomeRank(x) - outcomeRank(y) || byName(x, y))) {
      rows.push({
        eventType,
        outcome,
        counts: {
          baseline: b.get(eventType)?.get(outcome) ?? 0,
          candidate: c.get(eventType)?.get(outcome) ?? 0,
        },
      });
    }
  }
  return rows;
}

export interface RuleHitRow {
  ruleId: string;
  version: number;
  /** null: the set does not have this version. */
  baseline: RuleTally | null;
  candidate: RuleTally | null;
}

/** Hits and errors per rule version in either set, the most hits first. */
export function ruleHitRows(r: Pair<SetReport>): RuleHitRow[] {
  const rows = new Map<string, RuleHitRow>();
  const add = (side: 'baseline' | 'candidate', t: RuleTally) => {
    const key = `${t.ruleId}@${t.version}`;
    const row = rows.get(key) ?? { ruleId: t.ruleId, version: t.version, baseline: null, candidate: null };
    row[side] = t;
    rows.set(key, row);
  };
  for (const t of r.baseline.rules) add('baseline', t);
  for (const t of r.candidate.rules) add('candidate', t);
  const hits = (row: RuleHitRow) => Math.max(row.baseline?.hits ?? 0, row.candidate?.hits ?? 0);
  return [...rows.values()].sort(
    (a, b) => hits(b) - hits(a) || byName(a.ruleId, b.ruleId) || a.version - b.version,
  );
}

export interface ScenarioRow {
  scenario: string;
  positives: number;
  baseline: { flagged: number; recall: number | null } | null;
  candidate: { flagged: number; recall: number | null } | null;
}

/** Recall per fraud scenario of both sets. */
export function scenarioRows(r: Pair<SetReport>): ScenarioRow[] {
  const rows = new Map<string, ScenarioRow>();
  for (const side of ['baseline', 'candidate'] as const) {
    for (const s of r[side].scenarios) {
      const row = rows.get(s.scenario) ?? {
        scenario: s.scenario,
        positives: s.positives,
        baseline: null,
        candidate: null,
      };
      row[side] = { flagged: s.flagged, recall: s.recall };
      rows.set(s.scenario, row);
    }
  }
  return [...rows.values()].sort((a, b) => byName(a.scenario, b.scenario));
}

export interface AmountRow {
  currency: string;
  /** Minor units; '0' when the set has nothing in the currency. */
  baseline: string;
  candidate: string;
  /** candidate − baseline, in minor units (BigInt arithmetic, never a float). */
  change: string;
}

/** Amounts per currency of both sets (held or blocked), with the change. */
export function amountRows(
  baseline: Array<[string, string]>,
  candidate: Array<[string, string]>,
): AmountRow[] {
  const b = new Map(baseline);
  const c = new Map(candidate);
  return [...new Set([...b.keys(), ...c.keys()])].sort(byName).map((currency) => {
    const bv = b.get(currency) ?? '0';
    const cv = c.get(currency) ?? '0';
    return { currency, baseline: bv, candidate: cv, change: (BigInt(cv) - BigInt(bv)).toString() };
  });
}
