import { isCelError } from '@bufbuild/cel';
import { Counter } from 'prom-client';
import { registry } from '../../platform/metrics.ts';
import { type CompiledRule, type CompiledRuleSet, type LiveVersion, RuleCompiler } from './compile.ts';
import { RuleInputs } from './fast.ts';
import { ACTION_SEVERITY, type RuleAction } from './model.ts';
import type { FeatureValues, InputError, RuleBindings, RuleEvent } from './schema.ts';

/** A rule that matched the event. */
export interface RuleHit {
  ruleId: string;
  version: number;
  action: RuleAction;
  score: number;
  reasonCode: string;
  messageKey: string;
  warningKey: string | null;
  /** A shadow hit is reported only: it changes neither the outcome nor the score. */
  shadow: boolean;
}

/** A rule that could not be evaluated on this event (a missing feature, an overflow): it was skipped. */
export interface RuleRunError {
  ruleId: string;
  version: number;
  shadow: boolean;
  message: string;
}

export interface RuleTiming {
  ruleId: string;
  version: number;
  /**
   * Microseconds spent on the rule for this event; absent when the evaluation was not
   * timed rule by rule (live traffic times one evaluation in `ruleTimingEvery`).
   */
  us?: number;
}

export interface RuleEvaluation {
  /** The most severe action among the acting hits; ALLOW when none acts. */
  outcome: RuleAction;
  /** The sum of the acting hits' score contributions. */
  score: number;
  /** Reason codes of the acting hits, most severe first. */
  reasonCodes: string[];
  /** The customer message of the hit that decided the outcome, when one did. */
  messageKey: string | null;
  /** Warnings the client must show before the customer confirms (acting CHALLENGE hits). */
  warningKeys: string[];
  /** What the outcome and score would be if the shadow rules acted too. */
  withShadow: { outcome: RuleAction; score: number };
  hits: RuleHit[];
  errors: RuleRunError[];
  /** Event fields or features that did not fit their declaration and were left out. */
  inputErrors: InputError[];
  /** The rule-set revision evaluated. */
  revision: string;
  latency: { totalUs: number; rules: RuleTiming[] };
}

/** Running totals per rule version, for spotting a slow rule. */
export interface RuleLatencyTotal {
  ruleId: string;
  version: number;
  evaluations: number;
  /** Evaluations timed rule by rule, the ones `totalUs` adds up. */
  timedEvaluations: number;
  totalUs: number;
  errors: number;
}

const ruleHits = new Counter({
  name: 'bulwark_risk_rule_hits_total',
  help: 'Rule matches by rule and mode (active or shadow)',
  labelNames: ['rule', 'mode'] as const,
  registers: [registry],
});

const ruleErrors = new Counter({
  name: 'bulwark_risk_rule_errors_total',
  help: 'Rules skipped because they failed at run time on an event',
  labelNames: ['rule'] as const,
  registers: [registry],
});

export interface EvaluateOptions {
  /** Inputs that were left out, reported with the result (by default those of the given RuleInputs). */
  inputErrors?: InputError[];
  /** Running totals to add this evaluation's timings and errors to. */
  totals?: Map<CompiledRule, RuleLatencyTotal>;
  /** Counts hits and errors in the metrics (live traffic only, never the console's test panel). */
  observe?: boolean;
  /**
   * Times every rule (one clock reading per rule: about as long as a compiled rule takes
   * to run); true by default. The total is always timed.
   */
  timeRules?: boolean;
}

/** The inputs of one evaluation, converted once for all the rules of the set. */
export function ruleInputs(
  event: RuleEvent,
  features: FeatureValues,
  at: Date,
  localOffsetMinutes: number,
): RuleInputs {
  return new RuleInputs(event, features, at, localOffsetMinutes);
}

/**
 * Evaluates every rule of a compiled set against prepared inputs: rules compiled to fast
 * programs read the fast bindings, the others the interpreter's bindings (converted only
 * if some rule needs them). CEL bindings alone run every rule in the interpreter. A rule
 * that fails on this event (a missing feature, an integer overflow, a non-boolean
 * result) is recorded as an error and skipped: one broken rule never takes the decision down.
 */
export function evaluateSet(
  set: CompiledRuleSet,
  inputs: RuleBindings | RuleInputs,
  options: EvaluateOptions = {},
): RuleEvaluation {
  const { totals, observe = false, timeRules = true } = options;
  const inputErrors = options.inputErrors ?? (inputs instanceof RuleInputs ? inputs.inputErrors : []);
  const started = performance.now();
  const hits: RuleHit[] = [];
  const errors: RuleRunError[] = [];
  const timings: RuleTiming[] = [];
  let shadowOutcome: RuleAction = 'ALLOW';
  let shadowScore = 0;
  // One clock reading per rule: the end of one rule is the start of the next.
  let t0 = started;
  for (const rule of set.rules) {
    let result: unknown;
    try {
      result = rule.program(inputs);
    } catch (e) {
      // The evaluator turns failures into error values; this is a guard against the unexpected.
      result = e instanceof Error ? e : new Error(String(e));
    }
    let us: number | undefined;
    if (timeRules) {
      const t1 = performance.now();
      us = (t1 - t0) * 1000;
      t0 = t1;
      timings.push({ ruleId: rule.ruleId, version: rule.version, us });
    } else {
      timings.push({ ruleId: rule.ruleId, version: rule.version });
    }
    let failed: string | undefined;
    if (isCelError(result) || result instanceof Error) failed = result.message;
    else if (typeof result !== 'boolean') failed = 'the rule did not give true or false';
    const total = totals?.get(rule);
    if (total) {
      total.evaluations++;
      if (us !== undefined) {
        total.timedEvaluations++;
        total.totalUs += us;
      }
      if (failed) total.errors++;
    }
    if (failed !== undefined) {
      errors.push({ ruleId: rule.ruleId, version: rule.version, shadow: rule.shadow, message: failed });
      if (observe) ruleErrors.inc({ rule: rule.ruleId });
      continue;
    }
    if (result !== true) continue;
    const hit: RuleHit = {
      ruleId: rule.ruleId,
      version: rule.version,
      action: rule.action,
      score: rule.score,
      reasonCode: rule.reasonCode,
      messageKey: rule.messageKey,
      warningKey: rule.warningKey,
      shadow: rule.shadow,
    };
    hits.push(hit);
    if (observe) ruleHits.inc({ rule: rule.ruleId, mode: rule.shadow ? 'shadow' : 'active' });
    if (ACTION_SEVERITY[hit.action] > ACTION_SEVERITY[shadowOutcome]) shadowOutcome = hit.action;
    shadowScore += hit.score;
  }
  // Most severe first; among equals the larger contribution speaks to the customer.
  const acting = hits
    .filter((h) => !h.shadow)
    .sort((a, b) => ACTION_SEVERITY[b.action] - ACTION_SEVERITY[a.action] || b.score - a.score);
  const deciding = acting[0];
  const outcome: RuleAction = deciding?.action ?? 'ALLOW';
  const score = acting.reduce((sum, h) => sum + h.score, 0);
  const warningKeys =
    outcome === 'CHALLENGE'
      ? [...new Set(acting.flatMap((h) => (h.action === 'CHALLENGE' && h.warningKey ? [h.warningKey] : [])))]
      : [];
  return {
    outcome,
    score,
    reasonCodes: [...new Set(acting.map((h) => h.reasonCode))],
    messageKey: deciding && deciding.action !== 'ALLOW' ? deciding.messageKey : null,
    warningKeys,
    withShadow: { outcome: shadowOutcome, score: shadowScore },
    hits,
    errors,
    inputErrors,
    revision: set.revision,
    latency: { totalUs: (performance.now() - started) * 1000, rules: timings },
  };
}

/** Where the engine reads the live rule set from (the store). */
export interface RuleSource {
  /** The current rule-set revision: cheap, read often. */
  revision(): Promise<string>;
  /** The active and shadow versions with the revision they belong to. */
  live(): Promise<{ revision: string; versions: LiveVersion[] }>;
}

export interface RuleEngineOptions {
  /** How long a compiled set is used before the revision is read again (other processes' changes). */
  refreshMs: number;
  /** The offset of customers' local time from UTC, for `event.hour` when the event does not give it. */
  localOffsetMinutes: number;
  /** Told when the set cannot be refreshed, or a live version no longer compiles. */
  onProblem?: (problem: { message: string; detail?: unknown }) => void;
  /** Live evaluations are timed rule by rule one in this many (DEFAULT_RULE_TIMING_EVERY). */
  ruleTimingEvery?: number;
}

export const DEFAULT_RULE_ENGINE_OPTIONS: RuleEngineOptions = { refreshMs: 1000, localOffsetMinutes: 480 };

/** Live evaluations timed rule by rule: one in this many (the first of a set included). */
export const DEFAULT_RULE_TIMING_EVERY = 16;

/**
 * The rule engine the risk engine calls: `evaluate(event, features, at)`. It keeps the
 * live rule set compiled, by revision; a state change in this process invalidates it at
 * once (`invalidate`), and a change made by another process is seen within `refreshMs`.
 */
export class RuleEngine {
  private readonly compiler = new RuleCompiler();
  private current: CompiledRuleSet | undefined;
  private checkedAt = 0;
  private stale = true;
  /** Bumped by every invalidation; a load started before one cannot stand in for a load after it. */
  private epoch = 0;
  /** The epoch of the set in hand: an older load finishing late never replaces a newer set. */
  private currentEpoch = -1;
  private loading: { epoch: number; promise: Promise<CompiledRuleSet> } | undefined;
  private totals = new Map<CompiledRule, RuleLatencyTotal>();
  /** Live evaluations of the current set, for timing one in `ruleTimingEvery` rule by rule. */
  private liveEvaluations = 0;

  constructor(
    private readonly source: RuleSource,
    readonly options: RuleEngineOptions = DEFAULT_RULE_ENGINE_OPTIONS,
  ) {}

  /**
   * Evaluates the live rule set on an event with the features computed for it, at the
   * moment of the decision: what the risk engine calls for live traffic (counted in the
   * metrics and the latency totals).
   */
  async evaluate(event: RuleEvent, features: FeatureValues, at: Date = new Date()): Promise<RuleEvaluation> {
    const set = await this.ruleSet();
    const inputs = ruleInputs(event, features, at, this.options.localOffsetMinutes);
    const current = set === this.current;
    const every = Math.max(1, this.options.ruleTimingEvery ?? DEFAULT_RULE_TIMING_EVERY);
    // A clock reading costs about what a compiled rule does: live traffic samples the per-rule timings.
    const timeRules = !current || this.liveEvaluations++ % every === 0;
    return evaluateSet(set, inputs, {
      ...(current ? { totals: this.totals } : {}),
      observe: true,
      timeRules,
    });
  }

  /** Evaluates a given set (a version under test, the live set in the test panel) without counting it. */
  evaluateWith(set: CompiledRuleSet, event: RuleEvent, features: FeatureValues, at: Date): RuleEvaluation {
    return evaluateSet(set, ruleInputs(event, features, at, this.options.localOffsetMinutes));
  }

  /** Drops the compiled set: the next evaluation reads and compiles the live set again. */
  invalidate(): void {
    this.epoch++;
    this.stale = true;
  }

  /** The compiled live set, refreshed when invalidated or when the revision may have moved. */
  async ruleSet(): Promise<CompiledRuleSet> {
    const current = this.current;
    if (current && !this.stale && Date.now() - this.checkedAt < this.options.refreshMs) return current;
    // A load that started before the last invalidation may have read the old state: start another.
    if (this.loading?.epoch !== this.epoch) {
      const epoch = this.epoch;
      const promise: Promise<CompiledRuleSet> = this.refresh(epoch).finally(() => {
        if (this.loading?.promise === promise) this.loading = undefined;
      });
      this.loading = { epoch, promise };
    }
    return this.loading.promise;
  }

  /** Running latency totals of the rules of the current set. */
  latencyTotals(): RuleLatencyTotal[] {
    return [...this.totals.values()];
  }

  /** The compiler, for compiling a single version or expression under test. */
  get rules(): RuleCompiler {
    return this.compiler;
  }

  private async refresh(epoch: number): Promise<CompiledRuleSet> {
    const current = this.current;
    try {
      if (current && !this.stale && (await this.source.revision()) === current.revision) {
        this.checkedAt = Date.now();
        return current;
      }
      const live = await this.source.live();
      const set = this.compiler.compileSet(live.revision, live.versions);
      for (const bad of set.invalid) {
        this.options.onProblem?.({
          message: `rule ${bad.ruleId} version ${bad.version} is live but does not compile; it is skipped`,
          detail: bad.errors,
        });
      }
      if (epoch < this.currentEpoch) return set;
      // An invalidation while this was loading means the set may already be old: use it, but reload next time.
      if (epoch === this.epoch) this.stale = false;
      this.current = set;
      this.currentEpoch = epoch;
      this.liveEvaluations = 0;
      this.totals = new Map(
        set.rules.map((r) => [
          r,
          {
            ruleId: r.ruleId,
            version: r.version,
            evaluations: 0,
            timedEvaluations: 0,
            totalUs: 0,
            errors: 0,
          },
        ]),
      );
      this.checkedAt = Date.now();
      return set;
    } catch (err) {
      // A database hiccup must not stop decisions: keep the set in hand and try again later.
      if (!current) throw err;
      this.options.onProblem?.({
        message: 'the rule set could not be refreshed; the previous one is used',
        detail: err,
      });
      this.checkedAt = Date.now();
      return current;
    }
  }
}
