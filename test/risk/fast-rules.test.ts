// Proves the fast rule compiler is the CEL interpreter, only faster: on every starter rule and a corpus of expressions covering each operator, absent fields, errors, overflow, mixed numeric comparisons, string functions, `in`, has(), ternaries, macros and time, over generated events and features, the fast program and @bufbuild/cel give the same boolean or both an error; the fast bindings report exactly bindingsOf's input errors; what the compiler does not cover falls back to the interpreter; and the engine builds the interpreter's bindings only when a rule needs them.
import { isCelError } from '@bufbuild/cel';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  type CompileResult,
  compileExpression,
  type LiveVersion,
  RuleCompiler,
} from '../../src/risk/rules/compile.ts';
import { evaluateSet, ruleInputs } from '../../src/risk/rules/evaluate.ts';
import { fastBindingsOf, RuleInputs } from '../../src/risk/rules/fast.ts';
import { FEATURES, MODEL_LEVELS } from '../../src/risk/rules/features.ts';
import { bindingsOf, RULE_EVENT_TYPES, type RuleEvent } from '../../src/risk/rules/schema.ts';
import { STARTER_RULES } from '../../src/risk/rules/starter.ts';

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);
const AT = new Date('2026-03-02T15:30:00Z');

/** Expressions the fast compiler covers; each is run on both paths over every generated case. */
const CORPUS = [
  // int arithmetic and comparisons, overflow and division by zero
  'amount > 0',
  'amount >= 500000 && amount < 1000000',
  'amount == 0',
  'amount != 100',
  '-amount < 0',
  'amount + 1 > amount',
  'amount - 1 < amount',
  'amount * 2 > 0',
  'amount * 9223372036854775 > 0',
  'amount / features.customer.out.count_1h > 1',
  'amount % features.customer.kycTier == 0',
  'amount / -1 < 0',
  'amount < 9223372036854775807',
  'features.customer.out.count_1h - 9223372036854775807 < 0',
  'features.customer.out.sum_24h + amount > 10000000',
  'event.amount == amount',
  'features.customer.kycTier <= 1 || features.customer.kycTier >= 20',
  'amount <= 600000 && event.hour <= 6',
  'features.customer.kycTier > 2 && features.customer.out.count_1h < 3',
  // doubles and mixed numeric comparisons
  'features.customer.amountPercentile > 0.99',
  'features.customer.amountPercentile * 100.0 >= 50.0',
  'features.customer.amountPercentile / 0.0 > 1.0',
  '-features.model.score < 0.0',
  'amount > 1.5',
  'features.customer.typicalAmount < features.customer.amountPercentile',
  'features.model.score <= amount',
  'amount > 5u',
  'features.customer.kycTier < 1u',
  'features.model.score == 1',
  'amount == 500000.0',
  'features.model.score != features.customer.kycTier',
  'features.model.score >= 5u',
  // strings and enumerations
  "event.type == 'transfer'",
  "event.type != 'login'",
  "'transfer' == event.type",
  "event.type in ['withdrawal', 'transfer']",
  "!(event.type in ['login'])",
  "event.currency == 'CNY'",
  "event.customerId < 'cus_m'",
  "event.customerId + '!' == 'cus_a!'",
  "event.ip.startsWith('10.')",
  "event.deviceId.endsWith('x') || event.deviceId.contains('a')",
  'event.customerId.size() > 3',
  'size(event.customerId) == 5',
  "event.customerId.matches('^cus_[a-z]+$')",
  'event.counterpartyId == event.customerId',
  "features.model.level == 'high' || features.model.score > 0.9",
  "features.model.level in ['medium', 'high']",
  // presence
  "has(event.currency) && event.currency == 'CNY'",
  "!has(event.currency) || event.currency != 'USD'",
  "has(event.geo) && event.geo.country != 'CN'",
  'has(event.geo.country)',
  'event.geo.lat > 10.0',
  'event.geo.lat < event.geo.lon',
  'has(features.payee.isNew)',
  'has(features.customer)',
  'has(features.customer.out.count_1h) && features.customer.out.count_1h > 3',
  // bools, && and || with errors on either side, ternaries
  'features.payee.isNew',
  '!features.payee.isNew',
  'features.payee.isNew == true',
  'features.payee.isNew < features.device.isNew',
  'false && features.payee.isNew',
  'features.payee.isNew && false',
  'true || features.payee.isNew',
  'features.payee.isNew || true',
  'features.payee.isNew && features.device.isNew',
  'features.device.isNew || features.ip.isProxy',
  'features.device.isNew && features.ip.isProxy && features.ip.countryMismatch',
  '(features.device.isNew || amount > 100) && (features.ip.isProxy || amount < 1000)',
  'features.device.isNew ? amount > 100 : amount > 1000',
  "(features.payee.accountAgeDays < 7 ? 'young' : 'old') == 'young'",
  '1 / 0 == 1 || amount > 0',
  '1 / 0 == 1 && amount > 0',
  'amount > 0 ? 1 / 0 == 1 : true',
  'amount > features.customer.typicalAmount / 0',
  // conversions
  'int(features.customer.amountPercentile * 100.0) > 50',
  'int(features.model.score * 1e19) > 0',
  'double(amount) / 100.0 > 5000.0',
  "string(amount) == '600000'",
  "string(features.model.score).startsWith('0.')",
  "int('12') + amount > 0",
  'int(event.customerId) > 0',
  'uint(amount) > 0u',
  'double(features.customer.kycTier) >= 1.0',
  "bool('true') && amount > 0",
  'int(uint(features.customer.kycTier)) == 1',
  'int(features.model.score) == 0',
  "double('1.5') > features.model.score",
  'bool(event.customerId)',
  "string(amount) + 'x' != 'x'",
  // uint arithmetic
  'uint(features.customer.kycTier) + 1u > 1u',
  'uint(amount) / 2u > 0u',
  'uint(amount) % uint(features.customer.kycTier) == 0u',
  'uint(amount) - 1u > 0u',
  'uint(amount) * 3u > 5u',
  'uint(features.model.score) < 1u',
  // lists, in and macros
  'amount in [100, 600000]',
  'features.customer.kycTier in [0, 1]',
  'features.model.score in [0.5, 1.0]',
  'amount in [600000.0]',
  '[amount, 1] == [600000, 1]',
  'amount in [features.customer.typicalAmount, 5]',
  '[100, 200].exists(x, amount == x)',
  '[1, 2, 3].all(x, x < features.customer.kycTier)',
  '[1, 2, 3].exists_one(x, x == features.customer.kycTier)',
  '[1, 2, 3].map(x, x * amount).size() == 3',
  '[1, 2, 3].filter(x, x > features.customer.kycTier).size() > 1',
  '[features.customer.kycTier, features.payee.kycTier].exists(t, t == 0)',
  '[amount] + [1] == [amount, 1]',
  'size([amount, 1]) == 2',
  '(features.payee.isNew ? [] : [amount]).size() == 0',
  'features.payee.isNew != features.device.isNew',
  "[event.currency, event.channel].exists(s, s == 'app')",
  // time
  'event.hour >= 22 || event.hour < 6',
  'event.hour == 23',
  "now - event.at < duration('1h')",
  'now > event.at',
  "event.at + duration('24h') > now",
  'int(now - event.at) < 3600',
  '(now - event.at).getMinutes() < 60',
  'event.at.getHours() >= 12',
  "now.getHours('+08:00') == event.hour",
  "now.getHours('Asia/Shanghai') > 3",
  "now.getHours('Not/AZone') > 3",
  'now.getDayOfWeek() == 1 || now.getDayOfYear() > 100 || now.getMonth() == 2',
  'event.at.getFullYear() >= 2026',
  "timestamp('2026-01-01T00:00:00Z') < now",
  'int(event.at) > 1767225600',
  "duration('1h') + (now - event.at) > duration('2h')",
  "event.at - duration('1h') < now",
  '(now - event.at).getHours() >= 1 || (now - event.at).getSeconds() > 30 || (now - event.at).getMilliseconds() > 0',
  'timestamp(now) == now && duration(now - event.at) == now - event.at',
  "now.getFullYear('-05:30') > 2000 && event.at.getDate() > 1",
  'event.at.getDayOfMonth() == 0 || event.at.getMinutes() > 30 || event.at.getSeconds() > 30 || event.at.getMilliseconds() > 500',
  // starter-like compositions
  'features.customer.typicalAmount > 0 && features.customer.amountPercentile > 0.99 && amount > 5 * features.customer.typicalAmount',
  "event.type == 'transfer' && features.payee.accountAgeDays < 7 && event.currency == 'CNY' && amount >= 1000000",
  'features.merchant.refundRate_30d > 0.3 && features.merchant.accountAgeDays < 90',
  'features.customer.hoursSincePasswordChange < 24 && features.customer.hoursSincePhoneChange < 24',
];

/** Accepted by the checker but left to the interpreter: the fallback must give its results. */
const INTERPRETED = [
  "{'CNY': 1, 'USD': 2}[event.currency] == 1",
  'dyn(amount) > 5',
  "'currency' in event",
  "string(now).startsWith('2026')",
  'features.customer.size() > 0',
];

function compiled(expression: string): Extract<CompileResult, { ok: true }> {
  const r = compileExpression(expression);
  if (!r.ok) throw new Error(`${expression}: ${JSON.stringify(r.errors)}`);
  return r;
}

// ---------------------------------------------------------------------------------------
// Generated events and features.

const option = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 3 });

const amountArb = fc.oneof(
  fc.bigInt(0n, 10_000_000n),
  fc.constantFrom(
    0n,
    100n,
    500_000n,
    600_000n,
    1_000_000n,
    INT64_MAX,
    INT64_MIN,
    INT64_MAX - 1n,
    INT64_MIN + 1n,
  ),
  fc.constantFrom(INT64_MAX + 1n, INT64_MIN - 1n, -1n),
  fc.bigInt(INT64_MIN, INT64_MAX),
);

const dateArb = fc.date({
  min: new Date('2020-01-01T00:00:00Z'),
  max: new Date('2030-12-31T00:00:00Z'),
  noInvalidDate: true,
});

const eventArb: fc.Arbitrary<RuleEvent> = fc.record({
  type: fc.constantFrom(...RULE_EVENT_TYPES),
  customerId: fc.constantFrom('cus_a', 'cus_b', 'cus_mallory', '', 'cus_😀'),
  counterpartyId: option(fc.constantFrom('cus_a', 'cus_b')),
  amountMinor: option(amountArb),
  currency: option(fc.constantFrom('CNY', 'USD')),
  channel: option(fc.constantFrom('app', 'web', 'api')),
  deviceId: option(fc.constantFrom('dev_1', 'xa', '')),
  ip: option(fc.constantFrom('10.0.0.1', '192.168.1.1')),
  geo: option(
    fc.record({
      country: option(fc.constantFrom('CN', 'US')),
      region: option(fc.constantFrom('SH', 'CA')),
      lat: option(fc.double({ min: -90, max: 90, noNaN: true })),
      lon: option(fc.double({ min: -180, max: 180, noNaN: true })),
    }),
  ),
  hour: option(fc.integer({ min: 0, max: 23 })),
  at: option(dateArb),
});

const intValueArb = fc.oneof(
  fc.integer({ min: 0, max: 30 }),
  fc.integer({ min: -5, max: 100_000 }),
  fc.constantFrom(0, 1, 2, 87600),
  fc.constantFrom(INT64_MAX, INT64_MIN, INT64_MAX - 5n, 10_000n),
  fc.constantFrom('7', '-3', '9223372036854775807'),
);
const doubleValueArb = fc.oneof(
  fc.double({ min: 0, max: 1, noNaN: true }),
  fc.constantFrom(0.99, 0.995, 0.3, 0.5, 1, 0),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(5n, 2n ** 70n),
);

/** Values of each registry feature's type, each feature present or not. */
type Raw = number | bigint | boolean | string;
const present = (e: [string, Raw | undefined]): e is [string, Raw] => e[1] !== undefined;
const featuresArb: fc.Arbitrary<Record<string, Raw>> = fc
  .record(
    Object.fromEntries(
      FEATURES.map((f) => {
        const arb: fc.Arbitrary<number | bigint | boolean | string> =
          f.type === 'int'
            ? intValueArb
            : f.type === 'double'
              ? doubleValueArb
              : f.type === 'bool'
                ? fc.boolean()
                : fc.constantFrom(...MODEL_LEVELS);
        return [f.name, arb];
      }),
    ),
    { requiredKeys: [] },
  )
  .map((r) => Object.fromEntries(Object.entries(r).filter(present)));

/** Values that do not fit: unknown names, wrong types, out of range, not an enumerated value. */
const junkArb: fc.Arbitrary<Record<string, number | bigint | boolean | string>> = fc.record(
  {
    'payee.colour': fc.constantFrom('red', 1),
    customer: fc.constant(1),
    'payee.isNew': fc.constantFrom('yes', 1, 0n),
    'customer.kycTier': fc.constantFrom(1.5, '1.5', 'x', 2n ** 63n, '-9223372036854775809', true, Number.NaN),
    'customer.amountPercentile': fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, '0.5', true),
    'model.level': fc.constantFrom('extreme', 3),
    'model.score': fc.constantFrom('high', false),
    __proto__: fc.constant(1),
  },
  { requiredKeys: [] },
);

const caseArb = fc.record({ event: eventArb, features: featuresArb, at: dateArb });

type Outcome = boolean | 'error' | `other:${string}`;
function outcome(v: unknown): Outcome {
  if (typeof v === 'boolean') return v;
  if (isCelError(v)) return 'error';
  return `other:${String(v)}`;
}

// ---------------------------------------------------------------------------------------

describe('the fast compiler', () => {
  it('compiles every starter rule and every corpus expression; leaves the rest to the interpreter', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(60);
    for (const r of STARTER_RULES) expect(compiled(r.expression).mode, r.id).toBe('fast');
    for (const e of CORPUS) expect(compiled(e).mode, e).toBe('fast');
    for (const e of INTERPRETED) expect(compiled(e).mode, e).toBe('interpreter');
  });

  it('agrees with the interpreter on every starter rule and corpus expression, over generated events', () => {
    const programs = [...STARTER_RULES.map((r) => r.expression), ...CORPUS, ...INTERPRETED].map((e) => ({
      e,
      c: compiled(e),
    }));
    let errors = 0;
    let trues = 0;
    fc.assert(
      fc.property(caseArb, ({ event, features, at }) => {
        const cel = bindingsOf(event, features, at, 480).bindings;
        const inputs = new RuleInputs(event, features, at, 480);
        for (const { e, c } of programs) {
          const reference = c.interpret(cel);
          const fast = c.program(inputs);
          expect(outcome(fast), `${e} on ${JSON.stringify({ event, features }, replacer)}`).toBe(
            outcome(reference),
          );
          if (isCelError(reference) && isCelError(fast)) {
            expect(fast.message, e).toBe(reference.message);
            errors++;
          }
          if (reference === true) trues++;
        }
      }),
      { numRuns: 400 },
    );
    // The cases reach both outcomes and errors often enough to mean something.
    expect(errors).toBeGreaterThan(1000);
    expect(trues).toBeGreaterThan(1000);
  });

  it('agrees on hand-picked cases at the edges', () => {
    const edges: Array<{ event: RuleEvent; features: Record<string, number | bigint | boolean | string> }> = [
      { event: { type: 'transfer', customerId: 'cus_a', amountMinor: INT64_MAX }, features: {} },
      { event: { type: 'transfer', customerId: 'cus_a', amountMinor: INT64_MIN }, features: {} },
      { event: { type: 'transfer', customerId: 'cus_a', amountMinor: 2n ** 64n }, features: {} },
      {
        event: { type: 'transfer', customerId: 'cus_a', amountMinor: 600_000n, currency: 'CNY', hour: 23 },
        features: { 'payee.isNew': true, 'customer.kycTier': 0, 'customer.out.count_1h': 0 },
      },
      {
        event: { type: 'login', customerId: 'cus_a', geo: {}, at: new Date('2026-03-02T15:00:00Z') },
        features: { 'customer.typicalAmount': INT64_MAX, 'customer.out.sum_24h': INT64_MAX },
      },
      {
        event: { type: 'withdrawal', customerId: 'cus_a', at: new Date('2000-01-01T00:00:00Z') },
        features: { 'device.isNew': true, 'customer.hoursSincePasswordChange': 1, 'model.score': 1 },
      },
    ];
    const programs = [...STARTER_RULES.map((r) => r.expression), ...CORPUS].map((e) => ({
      e,
      c: compiled(e),
    }));
    for (const { event, features } of edges) {
      const cel = bindingsOf(event, features, AT, 480).bindings;
      const inputs = new RuleInputs(event, features, AT, 480);
      for (const { e, c } of programs) expect(outcome(c.program(inputs)), e).toBe(outcome(c.interpret(cel)));
    }
  });

  it('gives the interpreter’s errors: absent features, overflow, division by zero', () => {
    const inputs = new RuleInputs(
      { type: 'transfer', customerId: 'cus_a', amountMinor: INT64_MAX },
      { 'customer.out.count_1h': 0 },
      AT,
      480,
    );
    const message = (e: string) => {
      const r = compiled(e).program(inputs);
      return isCelError(r) ? r.message : r;
    };
    expect(message('features.payee.accountAgeDays < 7')).toContain('accountAgeDays');
    expect(message('amount + 1 > 0')).toContain('overflow');
    expect(message('amount / features.customer.out.count_1h > 1')).toContain('divide by zero');
    expect(message('false && features.payee.isNew')).toBe(false);
    expect(message('features.payee.isNew || true')).toBe(true);
  });
});

describe('the fast bindings', () => {
  it('report exactly the input errors bindingsOf reports', () => {
    fc.assert(
      fc.property(caseArb, junkArb, ({ event, features, at }, junk) => {
        const all = { ...features, ...junk };
        expect(fastBindingsOf(event, all, at, 480).inputErrors).toEqual(
          bindingsOf(event, all, at, 480).inputErrors,
        );
      }),
      { numRuns: 300 },
    );
  });

  it('refuse an event time the interpreter cannot represent, as bindingsOf does', () => {
    for (const at of [
      new Date(Number.NaN),
      new Date('+010000-01-01T00:00:00Z'),
      new Date('0000-06-01T00:00:00Z'),
    ]) {
      const event: RuleEvent = { type: 'login', customerId: 'cus_a', at };
      expect(() => bindingsOf(event, {}, AT, 480)).toThrow();
      expect(() => fastBindingsOf(event, {}, AT, 480)).toThrow();
    }
    const edge: RuleEvent = { type: 'login', customerId: 'cus_a', at: new Date('0001-01-01T00:00:00Z') };
    expect(() => fastBindingsOf(edge, {}, AT, 480)).not.toThrow();
    expect(() => bindingsOf(edge, {}, AT, 480)).not.toThrow();
  });
});

describe('evaluation with the fast path', () => {
  function starterSet(extra: string[] = []) {
    const versions: LiveVersion[] = [
      ...STARTER_RULES.map((r, i) => ({ ...r, ruleId: r.id, version: i + 1, state: 'active' as const })),
      ...extra.map((expression, i) => ({
        ruleId: `extra_${i}`,
        version: 1,
        expression,
        action: 'REVIEW' as const,
        score: 5,
        reasonCode: 'EXTRA',
        messageKey: 'risk.msg.review',
        warningKey: null,
        state: i % 2 === 0 ? ('active' as const) : ('shadow' as const),
      })),
    ];
    const set = new RuleCompiler().compileSet('1', versions);
    expect(set.invalid).toEqual([]);
    return set;
  }

  it('decides exactly as the interpreter: outcome, score, hits, errors and input errors', () => {
    const set = starterSet([...CORPUS.slice(0, 30), ...INTERPRETED]);
    fc.assert(
      fc.property(caseArb, ({ event, features, at }) => {
        const { bindings, inputErrors } = bindingsOf(event, features, at, 480);
        const reference = evaluateSet(set, bindings, { inputErrors });
        const fast = evaluateSet(set, ruleInputs(event, features, at, 480));
        const strip = (r: typeof fast) => ({ ...r, latency: undefined });
        expect(strip(fast)).toEqual(strip(reference));
        expect(fast.latency.rules).toHaveLength(set.rules.length);
      }),
      { numRuns: 200 },
    );
  });

  it('builds the interpreter’s bindings only when a rule of the set needs the interpreter', () => {
    const event: RuleEvent = { type: 'transfer', customerId: 'cus_a', amountMinor: 600_000n };
    const fastOnly = starterSet();
    expect(fastOnly.rules.every((r) => r.mode === 'fast')).toBe(true);
    const inputs = ruleInputs(event, { 'payee.isNew': true }, AT, 480);
    const cel = vi.spyOn(inputs, 'cel');
    evaluateSet(fastOnly, inputs);
    expect(cel).not.toHaveBeenCalled();

    const mixed = starterSet(["'currency' in event", 'dyn(amount) > 5']);
    const again = ruleInputs(event, {}, AT, 480);
    const spied = vi.spyOn(again, 'cel');
    const r = evaluateSet(mixed, again);
    expect(spied).toHaveBeenCalledTimes(2);
    expect(spied.mock.results[0]?.value).toBe(spied.mock.results[1]?.value);
    expect(r.hits.map((h) => h.ruleId)).toEqual(['extra_1']);
  });
});

function replacer(_key: string, v: unknown): unknown {
  return typeof v === 'bigint' ? `${v}n` : v;
}
