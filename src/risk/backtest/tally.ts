import type { CompiledRuleSet } from '../rules/compile.ts';
import type { RuleEvaluation } from '../rules/evaluate.ts';
import type { RuleAction } from '../rules/model.ts';
import type { BacktestItem } from './run.ts';

/**
 * What a back-test reports about one rule set over the replayed events: outcomes by event
 * type, hits per rule version, the amounts it would have held (REVIEW) or refused (BLOCK),
 * and — for the events that carry a label — how well it separated fraud from legitimate
 * traffic. Amounts are integer strings of minor units per currency; only the ratios
 * (precision, recall) are numbers.
 */

export interface RuleTally {
  /** `ruleId@version`. */
  rule: string;
  ruleId: string;
  version: number;
  mode: 'acting' | 'shadow';
  hits: number;
  /** Events on which the rule could not be evaluated (a missing feature, an overflow). */
  errors: number;
}

export interface LabelTally {
  labelled: number;
  positives: number;
  negatives: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  trueNegatives: number;
  /** Flagged positives over flagged labelled events; null when none was flagged. */
  precision: number | null;
  /** Flagged positives over positives; null when no event was labelled positive. */
  recall: number | null;
}

export interface ScenarioTally {
  scenario: string;
  positives: number;
  flagged: number;
  recall: number;
}

export interface SetReport {
  revision: string;
  events: number;
  /** Events whose outcome is not ALLOW. */
  flagged: number;
  /** Event type → outcome → count. */
  outcomes: Record<string, Partial<Record<RuleAction, number>>>;
  rules: RuleTally[];
  /** Amounts of REVIEW outcomes per currency: what the set would have put on hold. */
  heldMinor: Record<string, string>;
  /** Amounts of BLOCK and BLOCK_AND_FREEZE outcomes per currency. */
  blockedMinor: Record<string, string>;
  labels: LabelTally;
  /** Recall per fraud scenario, for the positives that name one. */
  scenarios: ScenarioTally[];
}

const isPositive = (label: BacktestItem['label']) => label === 'fraud' || label === 'laundering';

function ratio(n: number, d: number): number | null {
  return d === 0 ? null : n / d;
}

function addAmount(into: Map<string, bigint>, currency: string | undefined, amount: bigint | undefined) {
  if (currency === undefined || amount === undefined || amount <= 0n) return;
  into.set(currency, (into.get(currency) ?? 0n) + amount);
}

function amountsOut(m: Map<string, bigint>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [c, v] of [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) out[c] = v.toString();
  return out;
}

/** Running totals of one set; `add` once per evaluated event, `report` at the end. */
export class SetTally {
  private events = 0;
  private flagged = 0;
  private readonly outcomes = new Map<string, Map<RuleAction, number>>();
  private readonly rules = new Map<string, RuleTally>();
  private readonly held = new Map<string, bigint>();
  private readonly blocked = new Map<string, bigint>();
  private tp = 0;
  private fp = 0;
  private fn = 0;
  private tn = 0;
  private readonly scenarios = new Map<string, { positives: number; flagged: number }>();

  constructor(private readonly set: CompiledRuleSet) {
    // Every rule of the set is reported, a rule that never fired included.
    for (const r of set.rules) {
      const rule = `${r.ruleId}@${r.version}`;
      this.rules.set(rule, {
        rule,
        ruleId: r.ruleId,
        version: r.version,
        mode: r.shadow ? 'shadow' : 'acting',
        hits: 0,
        errors: 0,
      });
    }
  }

  add(item: BacktestItem, evaluation: RuleEvaluation): void {
    const outcome = evaluation.outcome;
    this.events++;
    const flagged = outcome !== 'ALLOW';
    if (flagged) this.flagged++;
    let byOutcome = this.outcomes.get(item.event.type);
    if (!byOutcome) {
      byOutcome = new Map();
      this.outcomes.set(item.event.type, byOutcome);
    }
    byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + 1);
    for (const h of evaluation.hits) {
      const t = this.rules.get(`${h.ruleId}@${h.version}`);
      if (t) t.hits++;
    }
    for (const e of evaluation.errors) {
      const t = this.rules.get(`${e.ruleId}@${e.version}`);
      if (t) t.errors++;
    }
    if (outcome === 'REVIEW') addAmount(this.held, item.event.currency, item.event.amountMinor);
    else if (outcome === 'BLOCK' || outcome === 'BLOCK_AND_FREEZE') {
      addAmount(this.blocked, item.event.currency, item.event.amountMinor);
    }
    if (item.label === null) return;
    if (isPositive(item.label)) {
      if (flagged) this.tp++;
      else this.fn++;
      if (item.scenario !== null) {
        const s = this.scenarios.get(item.scenario) ?? { positives: 0, flagged: 0 };
        s.positives++;
        if (flagged) s.flagged++;
        this.scenarios.set(item.scenario, s);
      }
    } else if (flagged) this.fp++;
    else this.tn++;
  }

  report(): SetReport {
    const outcomes: SetReport['outcomes'] = {};
    for (const type of [...this.outcomes.keys()].sort()) {
      const row: Partial<Record<RuleAction, number>> = {};
      for (const [o, n] of this.outcomes.get(type) ?? []) row[o] = n;
      outcomes[type] = row;
    }
    const positives = this.tp + this.fn;
    const negatives = this.fp + this.tn;
    return {
      revision: this.set.revision,
      events: this.events,
      flagged: this.flagged,
      outcomes,
      rules: [...this.rules.values()].sort((a, b) => (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0)),
      heldMinor: amountsOut(this.held),
      blockedMinor: amountsOut(this.blocked),
      labels: {
        labelled: positives + negatives,
        positives,
        negatives,
        truePositives: this.tp,
        falsePositives: this.fp,
        falseNegatives: this.fn,
        trueNegatives: this.tn,
        precision: ratio(this.tp, this.tp + this.fp),
        recall: ratio(this.tp, positives),
      },
      scenarios: [...this.scenarios]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([scenario, s]) => ({
          scenario,
          positives: s.positives,
          flagged: s.flagged,
          recall: s.flagged / s.positives,
        })),
    };
  }
}

/** Bounds of what a report lists event by event. */
export const DIFF_EXAMPLES_MAX = 100;
export const DISAGREEMENT_EXAMPLES_MAX = 20;

export interface DiffExample {
  decisionId: string;
  eventType: string;
  at: string;
  currency: string | null;
  amountMinor: string;
  baseline: RuleAction;
  candidate: RuleAction;
  /** Acting hits, `ruleId@version`. */
  baselineRules: string[];
  candidateRules: string[];
}

export interface DiffReport {
  /** Events whose outcome differs between the two sets. */
  changed: number;
  transitions: Array<{ from: RuleAction; to: RuleAction; count: number }>;
  /** The first DIFF_EXAMPLES_MAX changed events, in event-time order. */
  examples: DiffExample[];
}

const actingRules = (e: RuleEvaluation) =>
  e.hits.filter((h) => !h.shadow).map((h) => `${h.ruleId}@${h.version}`);

/** The events on which the candidate decides otherwise than the baseline. */
export class DiffTally {
  private changed = 0;
  private readonly transitions = new Map<string, { from: RuleAction; to: RuleAction; count: number }>();
  private readonly examples: DiffExample[] = [];

  add(item: BacktestItem, baseline: RuleEvaluation, candidate: RuleEvaluation): void {
    if (baseline.outcome === candidate.outcome) return;
    this.changed++;
    const key = `${baseline.outcome}>${candidate.outcome}`;
    const t = this.transitions.get(key) ?? { from: baseline.outcome, to: candidate.outcome, count: 0 };
    t.count++;
    this.transitions.set(key, t);
    if (this.examples.length >= DIFF_EXAMPLES_MAX) return;
    this.examples.push({
      decisionId: item.decisionId,
      eventType: item.event.type,
      at: item.at.toISOString(),
      currency: item.event.currency ?? null,
      amountMinor: (item.event.amountMinor ?? 0n).toString(),
      baseline: baseline.outcome,
      candidate: candidate.outcome,
      baselineRules: actingRules(baseline),
      candidateRules: actingRules(candidate),
    });
  }

  report(): DiffReport {
    return {
      changed: this.changed,
      transitions: [...this.transitions.values()].sort(
        (a, b) => b.count - a.count || (a.from + a.to < b.from + b.to ? -1 : 1),
      ),
      examples: this.examples,
    };
  }
}

export interface AgreementCount {
  compared: number;
  agreed: number;
  rate: number | null;
}

export interface LiveAgreementReport extends AgreementCount {
  /** Only the events the live engine decided with the baseline's own revision: these should all agree. */
  sameRevision: AgreementCount;
  /** The first DISAGREEMENT_EXAMPLES_MAX events of the same revision that did not agree. */
  disagreements: Array<{ decisionId: string; eventType: string; live: RuleAction; replayed: RuleAction }>;
}

/**
 * The baseline's replayed rule outcome against the rule outcome the live engine stored
 * (`detail.rules.outcome`), for the events the engine decided. Limits, the fail-safe
 * policy and a passed step-up are not part of either side.
 */
export class AgreementTally {
  private readonly all = { compared: 0, agreed: 0 };
  private readonly same = { compared: 0, agreed: 0 };
  private readonly disagreements: LiveAgreementReport['disagreements'] = [];

  constructor(private readonly baselineRevision: string) {}

  add(item: BacktestItem, baseline: RuleEvaluation): void {
    const live = item.liveRuleOutcome;
    if (item.revision === null || live === undefined || live === null) return;
    const agreed = live === baseline.outcome;
    this.all.compared++;
    if (agreed) this.all.agreed++;
    if (item.revision !== this.baselineRevision) return;
    this.same.compared++;
    if (agreed) this.same.agreed++;
    else if (this.disagreements.length < DISAGREEMENT_EXAMPLES_MAX) {
      this.disagreements.push({
        decisionId: item.decisionId,
        eventType: item.event.type,
        live,
        replayed: baseline.outcome,
      });
    }
  }

  report(): LiveAgreementReport {
    const count = (c: { compared: number; agreed: number }): AgreementCount => ({
      ...c,
      rate: ratio(c.agreed, c.compared),
    });
    return { ...count(this.all), sameRevision: count(this.same), disagreements: this.disagreements };
  }
}
