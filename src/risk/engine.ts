import type { Logger } from 'pino';
import { Histogram } from 'prom-client';
import { AppError } from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';
import { registry, riskDecisions } from '../platform/metrics.ts';
import { CURRENCIES } from '../platform/money.ts';
import { analystExplanation, customerMessages, warningsOf } from './explain.ts';
import { Deadline, type FeatureComputer, type FeatureValue, LATE } from './features/compute.ts';
import type { FeatureEvent } from './features/velocity-events.ts';
import type { RiskDecision, RiskEvent, RiskEventType, RiskGeo, RiskOutcome } from './gate.ts';
import { type LimitPolicyGate, passed } from './limit-policy.ts';
import type { CompiledRuleSet } from './rules/compile.ts';
import type { RuleEngine, RuleEvaluation, RuleTiming } from './rules/evaluate.ts';
import type { MODEL_LEVELS } from './rules/features.ts';
import { ACTION_SEVERITY } from './rules/model.ts';
import { isRuleEventType, type RuleEvent } from './rules/schema.ts';

/**
 * The real-time risk engine behind the wallet's `RiskGate`: every money movement and
 * every sensitive account event is decided here before it takes effect.
 *
 *   event → limits (KYC tier, review threshold)  ┐
 *         → features (velocity, profile; within the deadline) → model score → rules
 *         → outcome = the most severe of limits, rules and, when degraded, the fail-safe policy
 *
 * A CHALLENGE the customer already answered (a valid step-up proof for this exact
 * request) becomes ALLOW, unless something more severe also acted. Every decision keeps
 * its input, the features, the rules evaluated and hit with their versions, the score,
 * the messages for the customer in both languages and the analyst's explanation.
 */

/** A machine-learned score: one more input of the rules (`features.model.*`). */
export interface RiskModel {
  readonly name: string;
  /** The event's score; null when no model serves this event type (the rules then read the defaults). */
  score(
    features: Readonly<Record<string, FeatureValue>>,
    event: RuleEvent,
  ): ModelOutput | null | Promise<ModelOutput | null>;
}

export interface ModelOutput {
  /** Probability-like, 0 to 1. */
  score: number;
  level: (typeof MODEL_LEVELS)[number];
  /** Each feature's contribution to the score, largest first (for explanations). */
  contributions?: Array<{ feature: string; value: number }> | undefined;
  /** The model version that scored, when the `RiskModel` chooses among several (the registry's champion). */
  name?: string | undefined;
  /** Challengers scored in shadow on the same features: reported, never acting. */
  shadow?: Array<{ name: string; score: number; level: string }> | undefined;
  /** Only challengers scored (no champion serves this event): score and level are not used. */
  shadowOnly?: boolean | undefined;
}

/** What a degraded decision falls back to for one event type (amounts in major units of its currency). */
export interface FailSafeRule {
  outcome: RiskOutcome;
  /** The fallback applies from this amount up; smaller amounts pass. */
  fromMajor?: number;
}

export interface FailSafePolicy {
  /** Milliseconds the feature sources and the model get before the engine decides without them. */
  deadlineMs: number;
  byType: Partial<Record<RiskEventType, FailSafeRule>>;
}

export const DEFAULT_FAIL_SAFE: FailSafePolicy = {
  deadlineMs: 50,
  byType: {
    withdrawal: { outcome: 'REVIEW' },
    transfer: { outcome: 'REVIEW', fromMajor: 1_000 },
    payment: { outcome: 'REVIEW', fromMajor: 2_000 },
    refund: { outcome: 'REVIEW', fromMajor: 1_000 },
    card_binding: { outcome: 'CHALLENGE' },
    bank_account_binding: { outcome: 'CHALLENGE' },
    phone_change: { outcome: 'CHALLENGE' },
    password_change: { outcome: 'CHALLENGE' },
    email_change: { outcome: 'CHALLENGE' },
    device_change: { outcome: 'CHALLENGE' },
  },
};

/** How far an event's own time may lie from the decision time. */
export interface EventTimeBounds {
  maxAgeMs: number;
  maxLeadMs: number;
}

export const DEFAULT_EVENT_TIME_BOUNDS: EventTimeBounds = {
  maxAgeMs: 35 * 86_400_000,
  maxLeadMs: 5 * 60_000,
};

/** The limit layer: tier limits and the review threshold (`LimitPolicyGate`). */
export type LimitChecker = Pick<LimitPolicyGate, 'check' | 'release'>;

/** Limits that never act: for engines that see the rules alone (benchmarks, rule tests). */
export const NO_LIMITS: LimitChecker = {
  async check(e: RiskEvent): Promise<RiskDecision> {
    return passed(e, 'none', {});
  },
  release() {},
};

export interface RiskEngineDeps {
  limits: LimitChecker;
  features: FeatureComputer;
  rules: RuleEngine;
  model?: RiskModel | undefined;
  failSafe?: FailSafePolicy | undefined;
  eventTime?: EventTimeBounds | undefined;
  /** Where an address is, for events whose client sent no position. */
  ipRegions?: { lookup(ip: string): RiskGeo | undefined } | undefined;
  now: () => Date;
  log?: Logger | undefined;
}

export interface DecideOptions {
  /** The customer answered a step-up for exactly this request: a CHALLENGE is satisfied. */
  stepUpPassed?: boolean;
}

export const ENGINE_POLICY_NAME = 'risk-engine/1';

const decisionLatency = new Histogram({
  name: 'bulwark_risk_decision_seconds',
  help: 'Risk engine decision latency by event type',
  labelNames: ['event_type', 'degraded'] as const,
  buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
  registers: [registry],
});

function severer(a: RiskOutcome, b: RiskOutcome): RiskOutcome {
  return ACTION_SEVERITY[b] > ACTION_SEVERITY[a] ? b : a;
}

/**
 * Feature values as JSON (bigints as strings), in place: the decision keeps the object the
 * features were computed in, once nothing else reads it.
 */
function jsonFeatures(f: Record<string, FeatureValue>): Record<string, FeatureValue> {
  for (const k in f) {
    const v = f[k];
    if (typeof v === 'bigint') f[k] = v.toString();
  }
  return f;
}

/** A model's answer, sync or not; a throw is an answer too (a failed model, like a rejected one). */
function scoreOf(
  m: RiskModel,
  features: Record<string, FeatureValue>,
  e: RuleEvent,
): ModelOutput | null | PromiseLike<ModelOutput | null> {
  try {
    return m.score(features, e);
  } catch (err) {
    return Promise.reject(err);
  }
}

function isThenable<T extends object | null>(v: T | PromiseLike<T>): v is PromiseLike<T> {
  return typeof v === 'object' && v !== null && 'then' in v && typeof v.then === 'function';
}

/** The event as stored with its decision: what a back-test replays. */
export function eventSnapshot(e: RiskEvent): Record<string, unknown> {
  const s: Record<string, unknown> = {
    type: e.type,
    customerId: e.customerId,
    counterpartyId: e.counterpartyId ?? null,
    amountMinor: e.amountMinor.toString(),
    currency: e.currency,
    channel: e.channel ?? null,
    at: e.at.toISOString(),
  };
  if (e.deviceId !== undefined) s.deviceId = e.deviceId;
  if (e.ip !== undefined) s.ip = e.ip;
  if (e.geo !== undefined) s.geo = e.geo;
  if (e.failed) s.failed = true;
  return s;
}

/** The event as the features and rules see it. */
export function featureEventOf(e: RiskEvent & { type: RuleEvent['type'] }): FeatureEvent {
  return featureEventAs(e, e.type);
}

function featureEventAs(e: RiskEvent, type: RuleEvent['type']): FeatureEvent {
  const fe: FeatureEvent = {
    type,
    customerId: e.customerId,
    amountMinor: e.amountMinor,
    at: e.at,
  };
  if (e.currency !== null) fe.currency = e.currency;
  if (e.counterpartyId !== undefined) fe.counterpartyId = e.counterpartyId;
  if (e.channel !== undefined) fe.channel = e.channel;
  if (e.deviceId !== undefined) fe.deviceId = e.deviceId;
  if (e.ip !== undefined) fe.ip = e.ip;
  if (e.geo !== undefined) fe.geo = e.geo;
  if (e.failed) fe.failed = true;
  return fe;
}

export class RiskEngine {
  private readonly failSafe: FailSafePolicy;
  private readonly bounds: EventTimeBounds;
  private readonly factsBySet = new WeakMap<CompiledRuleSet, RuleSetFacts>();

  constructor(private readonly deps: RiskEngineDeps) {
    this.failSafe = deps.failSafe ?? DEFAULT_FAIL_SAFE;
    this.bounds = deps.eventTime ?? DEFAULT_EVENT_TIME_BOUNDS;
  }

  /** The engine's clock (the decision time). */
  now(): Date {
    return this.deps.now();
  }

  /** The deadline feature sources and the model get. */
  get deadlineMs(): number {
    return this.failSafe.deadlineMs;
  }

  /** Refuses an event whose own time is too far from now (a clock gone wrong, or a replay). */
  checkEventTime(at: Date, now: Date = this.deps.now()): void {
    const t = at.getTime();
    if (!Number.isFinite(t)) throw new AppError('RISK_EVENT_INVALID', 'The event time is not a valid date.');
    if (t > now.getTime() + this.bounds.maxLeadMs) {
      throw new AppError(
        'RISK_EVENT_TIME_OUT_OF_RANGE',
        `The event time ${at.toISOString()} is more than ${Math.round(this.bounds.maxLeadMs / 60_000)} minutes ahead of the server's time.`,
      );
    }
    if (t < now.getTime() - this.bounds.maxAgeMs) {
      throw new AppError(
        'RISK_EVENT_TIME_OUT_OF_RANGE',
        `The event time ${at.toISOString()} is more than ${Math.round(this.bounds.maxAgeMs / 86_400_000)} days in the past.`,
      );
    }
  }

  async decide(event: RiskEvent, options: DecideOptions = {}): Promise<RiskDecision> {
    const started = process.hrtime.bigint();
    const decidedAt = this.deps.now();
    this.checkEventTime(event.at, decidedAt);
    if (!isRuleEventType(event.type)) {
      // Releases and adjustments are not customer actions: the limits alone speak.
      const d = await this.deps.limits.check(event, started);
      const decision: RiskDecision = { ...d, createdAt: decidedAt, eventAt: event.at };
      riskDecisions.inc({ event_type: event.type, outcome: decision.outcome });
      return decision;
    }
    const ruleType = event.type;
    // No position from the client: the address's region, when the table knows it.
    if (event.ip !== undefined && event.geo?.lat === undefined && this.deps.ipRegions) {
      const found = this.deps.ipRegions.lookup(event.ip);
      if (found) event = { ...event, geo: { ...found, ...event.geo } };
    }
    const fe = featureEventAs(event, ruleType);
    // One deadline for the whole decision: the feature sources and the model share it.
    const deadline = Deadline.in(this.failSafe.deadlineMs);

    const [limit, computed] = await Promise.all([
      this.deps.limits.check(event, started),
      this.deps.features.compute(fe, decidedAt, { deadline }),
    ]);
    const features = computed.features;
    const degraded: string[] = computed.degraded.slice();

    let model: (ModelOutput & { name: string }) | null = null;
    let modelShadow: NonNullable<ModelOutput['shadow']> = [];
    if (this.deps.model) {
      const m = this.deps.model;
      const answer = scoreOf(m, features, fe);
      const out = isThenable(answer) ? await deadline.race(answer) : answer;
      if (out !== LATE && out?.shadow) modelShadow = out.shadow;
      if (out === LATE || (out !== null && !out.shadowOnly && !Number.isFinite(out.score)))
        degraded.push('model');
      else if (out !== null && !out.shadowOnly) {
        model = {
          score: out.score,
          level: out.level,
          contributions: out.contributions,
          name: out.name ?? m.name,
          shadow: out.shadow,
        };
        features['model.score'] = out.score;
        features['model.level'] = out.level;
      }
    }

    let rules: RuleEvaluation | undefined;
    let set: CompiledRuleSet | undefined;
    try {
      set = await this.deps.rules.ruleSet();
      rules = await this.deps.rules.evaluate(fe, features, decidedAt);
    } catch (err) {
      degraded.push('rules');
      this.deps.log?.error({ err }, 'risk rules unavailable; deciding by limits and the fail-safe policy');
    }

    let outcome: RiskOutcome = limit.outcome;
    if (rules) outcome = severer(outcome, rules.outcome);
    let failSafeOutcome: RiskOutcome | null = null;
    if (degraded.length > 0) {
      failSafeOutcome = this.failSafeFor(event);
      if (failSafeOutcome) outcome = severer(outcome, failSafeOutcome);
    }
    let challengePassed = false;
    if (outcome === 'CHALLENGE' && options.stepUpPassed) {
      outcome = 'ALLOW';
      challengePassed = true;
    }

    const reasonCodes = [...limit.reasonCodes, ...(rules?.reasonCodes ?? [])];
    if (failSafeOutcome && outcome === failSafeOutcome && ACTION_SEVERITY[failSafeOutcome] > 0) {
      reasonCodes.push('FAIL_SAFE');
    }
    const uniqueReasons = reasonCodes.length < 2 ? reasonCodes : [...new Set(reasonCodes)];

    // The limit's own words when a limit refused; otherwise the rules' (or the hold's reasons).
    const limitDecided =
      limit.outcome !== 'ALLOW' && ACTION_SEVERITY[limit.outcome] >= ACTION_SEVERITY[outcome];
    const messages =
      limitDecided && limit.customerMessage && limit.outcome === 'BLOCK'
        ? { en: limit.customerMessage, zhCN: limit.customerMessage }
        : customerMessages(outcome, uniqueReasons, rules?.messageKey ?? null);
    const warnings = outcome === 'CHALLENGE' ? warningsOf(rules?.warningKeys ?? []) : [];
    const score = (rules?.score ?? 0) + (model ? model.score * 100 : 0);

    const known = set ? this.ruleSetFacts(set) : undefined;
    const expressions = known?.expressions ?? NO_EXPRESSIONS;
    const explanation = analystExplanation({
      outcome,
      currency: event.currency,
      amountMinor: event.amountMinor,
      hits: rules?.hits ?? [],
      expressions,
      features,
      limitReasons: limit.reasonCodes,
      limitMessage: limit.outcome !== 'ALLOW' ? limit.customerMessage : null,
      degraded,
      failSafeOutcome,
      model,
      challengePassed,
      ruleErrors: rules?.errors ?? [],
    });

    const input = eventSnapshot(event);
    input.limits = limit.input;
    const latencyUs = Number((process.hrtime.bigint() - started) / 1000n);
    const decision: RiskDecision = {
      id: newId('dec'),
      eventType: event.type,
      subjectId: event.customerId,
      currency: event.currency,
      amountMinor: event.amountMinor,
      outcome,
      reasonCodes: uniqueReasons,
      customerMessage: messages?.en ?? null,
      policy: ENGINE_POLICY_NAME,
      input,
      latencyUs,
      createdAt: decidedAt,
      eventAt: event.at,
      score,
      degraded: degraded.length > 0,
      warnings,
      detail: {
        features: jsonFeatures(features),
        missing: computed.missing,
        degradedSources: degraded,
        failSafe: failSafeOutcome,
        limits: { outcome: limit.outcome, reasonCodes: limit.reasonCodes },
        rules: rules
          ? {
              revision: rules.revision,
              outcome: rules.outcome,
              score: rules.score,
              hits: rules.hits,
              errors: rules.errors,
              inputErrors: rules.inputErrors,
              withShadow: rules.withShadow,
              evaluated: evaluatedOf(rules.latency.rules, set, known?.evaluated),
            }
          : null,
        model: model
          ? {
              name: model.name,
              score: model.score,
              level: model.level,
              contributions: model.contributions ?? [],
            }
          : null,
        // Challengers' scores of the same event: compared with the champion's, never acting.
        modelShadow,
        challengePassed,
        messages,
        warnings,
        explanation,
      },
    };

    // An account event the integrator challenges goes ahead once its user passes: it counts as
    // done. A challenged movement does not: it is decided again when it comes back with the proof.
    const done =
      outcome === 'ALLOW' || outcome === 'REVIEW' || (outcome === 'CHALLENGE' && event.currency === null);
    if (done) await this.deps.features.committed(fe, decidedAt);
    else if (outcome === 'BLOCK' || outcome === 'BLOCK_AND_FREEZE')
      await this.deps.features.declined(fe, decidedAt);
    riskDecisions.inc({ event_type: event.type, outcome });
    decisionLatency.observe(
      { event_type: event.type, degraded: String(degraded.length > 0) },
      latencyUs / 1e6,
    );
    return decision;
  }

  /** Gives back the limit usage an allowed decision reserved, when its movement did not happen. */
  release(decision: RiskDecision): void {
    this.deps.limits.release(decision);
  }

  recordCommitted(): void {}

  /**
   * A decided event turned out to be fraud (a label, a case outcome, a chargeback): from
   * now on it counts in the label features of its customer and merchant. A store that
   * refuses the write loses only this count, so the failure is logged, not thrown.
   */
  async labelled(event: FeatureEvent, label: 'fraud' | 'legit', at: Date = this.deps.now()): Promise<void> {
    try {
      await this.deps.features.labelled(event, label, at);
    } catch (err) {
      this.deps.log?.warn({ err, eventType: event.type }, 'label not counted in the velocity store');
    }
  }

  /** The fail-safe outcome of a degraded event, or null when it passes. */
  private failSafeFor(event: RiskEvent): RiskOutcome | null {
    const rule = this.failSafe.byType[event.type];
    if (!rule) return null;
    if (rule.fromMajor !== undefined && event.currency !== null) {
      const from = BigInt(Math.round(rule.fromMajor)) * 10n ** BigInt(CURRENCIES[event.currency]);
      if (event.amountMinor < from) return null;
    }
    return rule.outcome;
  }

  /** What the engine derives once per rule set: expressions by `ruleId@version`, and that list. */
  private ruleSetFacts(set: CompiledRuleSet): RuleSetFacts {
    let facts = this.factsBySet.get(set);
    if (!facts) {
      const evaluated = set.rules.map((r) => `${r.ruleId}@${r.version}`);
      facts = {
        expressions: new Map(set.rules.map((r, i) => [evaluated[i] ?? '', r.expression])),
        evaluated,
      };
      this.factsBySet.set(set, facts);
    }
    return facts;
  }
}

interface RuleSetFacts {
  expressions: Map<string, string>;
  /** `ruleId@version` of every rule of the set, in order. */
  evaluated: string[];
}

const NO_EXPRESSIONS: ReadonlyMap<string, string> = new Map();

/** The rules evaluated as `ruleId@version`: the set's own list when the evaluation ran exactly its rules. */
function evaluatedOf(
  timings: readonly RuleTiming[],
  set: CompiledRuleSet | undefined,
  names: readonly string[] | undefined,
): string[] {
  if (set && names && set.rules.length === timings.length) {
    let same = true;
    for (let i = 0; i < timings.length && same; i++) {
      const r = set.rules[i];
      const t = timings[i];
      same = r !== undefined && t !== undefined && r.ruleId === t.ruleId && r.version === t.version;
    }
    if (same) return names.slice();
  }
  return timings.map((r) => `${r.ruleId}@${r.version}`);
}
