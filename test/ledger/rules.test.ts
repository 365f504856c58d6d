// Proves the pure ledger core: every posting rule balances, partial reversals add up to the whole, fees round half up, and the canonical form and chain hash cover every field.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalEntry, chainHash, GENESIS_HASH } from '../../src/ledger/canonical.ts';
import { buildLegs, isRuleName, RULES, reversalLegs, ruleAccounts } from '../../src/ledger/rules.ts';
import type { Entry, Leg } from '../../src/ledger/types.ts';
import { AMOUNT_MINOR_MAX, applyBps } from '../../src/platform/money.ts';
import { isRecord } from './support.ts';

const RULE_NAMES = Object.keys(RULES).filter(isRuleName);

/** One distinct account per role any rule uses, and the fee rate of payments. */
function paramsFor(feeBps: number): Record<string, string> {
  return {
    wallet: 'acct_wallet',
    custody: 'acct_custody',
    from: 'acct_from',
    to: 'acct_to',
    settlement: 'acct_settlement',
    merchant: 'acct_merchant',
    fee: 'acct_fee',
    reserve: 'acct_reserve',
    feeBps: String(feeBps),
  };
}

const amountArb = fc.bigInt(1n, AMOUNT_MINOR_MAX);
const bpsArb = fc.oneof(
  fc.integer({ min: 0, max: 10_000 }),
  fc.constantFrom(0, 1, 4_999, 5_000, 9_999, 10_000),
);

function sum(legs: Leg[]): bigint {
  return legs.reduce((s, l) => s + l.amountMinor, 0n);
}

function byAccount(legs: Leg[]): Map<string, bigint> {
  const m = new Map<string, bigint>();
  for (const l of legs) m.set(l.accountId, (m.get(l.accountId) ?? 0n) + l.amountMinor);
  return m;
}

describe('posting rules', () => {
  it('every rule balances for any amount and fee rate, with no zero legs', () => {
    fc.assert(
      fc.property(fc.constantFrom(...RULE_NAMES), amountArb, bpsArb, (rule, amount, feeBps) => {
        const params = paramsFor(feeBps);
        const raw = RULES[rule](amount, params);
        expect(sum(raw)).toBe(0n);
        const legs = buildLegs(rule, params, amount);
        expect(sum(legs)).toBe(0n);
        expect(legs.length).toBeGreaterThanOrEqual(2);
        for (const l of legs) expect(l.amountMinor).not.toBe(0n);
        // Merged legs touch each account once and only accounts the rule names.
        const accounts = legs.map((l) => l.accountId);
        expect(new Set(accounts).size).toBe(accounts.length);
        for (const id of accounts) expect(ruleAccounts(rule, params)).toContain(id);
      }),
      { numRuns: 400 },
    );
  });

  it('a payment moves the whole amount out of the wallet and splits it into merchant share and fee', () => {
    fc.assert(
      fc.property(amountArb, bpsArb, (amount, feeBps) => {
        const legs = byAccount(buildLegs('payment', paramsFor(feeBps), amount));
        const fee = applyBps(amount, feeBps);
        expect(legs.get('acct_wallet')).toBe(amount);
        expect(legs.get('acct_custody')).toBe(-amount);
        expect(legs.get('acct_settlement')).toBe(amount);
        expect(legs.get('acct_merchant') ?? 0n).toBe(-(amount - fee));
        expect(legs.get('acct_fee') ?? 0n).toBe(-fee);
      }),
      { numRuns: 300 },
    );
  });

  it('reversal slices over any split of the amount exactly negate the whole entry, each slice balanced and never overshooting', () => {
    const splitArb = amountArb.chain((amount) =>
      fc.record({
        amount: fc.constant(amount),
        cuts: fc.uniqueArray(fc.bigInt(1n, amount), { maxLength: 12 }),
      }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...RULE_NAMES), splitArb, bpsArb, (rule, { amount, cuts }, feeBps) => {
        const params = paramsFor(feeBps);
        const whole = byAccount(buildLegs(rule, params, amount));
        const points = [
          0n,
          ...cuts.filter((c) => c < amount).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
          amount,
        ];
        const undone = new Map<string, bigint>();
        for (let i = 0; i + 1 < points.length; i++) {
          const from = points[i] ?? 0n;
          const to = points[i + 1] ?? 0n;
          const slice = reversalLegs(rule, params, from, to);
          expect(sum(slice)).toBe(0n);
          for (const l of slice) {
            // A slice only ever moves an account back towards where it was before the entry.
            const original = whole.get(l.accountId) ?? 0n;
            expect(original === 0n ? false : l.amountMinor < 0n === original > 0n).toBe(true);
            undone.set(l.accountId, (undone.get(l.accountId) ?? 0n) + l.amountMinor);
          }
        }
        for (const [account, amountMinor] of whole) expect(undone.get(account) ?? 0n).toBe(-amountMinor);
        for (const [account, amountMinor] of undone) expect(-(whole.get(account) ?? 0n)).toBe(amountMinor);
      }),
      { numRuns: 300 },
    );
  });

  it('a missing parameter or a fee rate out of range is refused, never guessed', () => {
    expect(() => buildLegs('transfer', { from: 'a' }, 1n)).toThrow(/"to" is missing/);
    expect(() => buildLegs('payment', { ...paramsFor(0), feeBps: '10001' }, 1n)).toThrow(/feeBps/);
    expect(() => buildLegs('payment', { ...paramsFor(0), feeBps: '-1' }, 1n)).toThrow(/feeBps/);
    expect(() => buildLegs('payment', { ...paramsFor(0), feeBps: '2.5' }, 1n)).toThrow(/feeBps/);
    expect(isRuleName('reversal')).toBe(false);
    expect(isRuleName('toString')).toBe(false);
  });
});

describe('applyBps', () => {
  it.each([
    [10_000n, 60, 60n],
    [1n, 5_000, 1n],
    [1n, 4_999, 0n],
    [3n, 5_000, 2n],
    [5n, 5_000, 3n],
    [5_000n, 1, 1n],
    [4_999n, 1, 0n],
    [15_000n, 1, 2n],
    [25_000n, 1, 3n],
    [1n, 1, 0n],
    [0n, 10_000, 0n],
    [123_456_789n, 10_000, 123_456_789n],
    [123_456_789n, 0, 0n],
    [AMOUNT_MINOR_MAX, 9_999, 999_900_000_000_000n],
  ])('%s minor at %i bps is %s (half up)', (amount, bps, fee) => {
    expect(applyBps(amount, bps)).toBe(fee);
  });

  it('equals amount × bps / 10 000 rounded half up, within [0, amount]', () => {
    fc.assert(
      fc.property(amountArb, bpsArb, (amount, bps) => {
        const fee = applyBps(amount, bps);
        const exactTimes2 = amount * BigInt(bps) * 2n;
        // |fee − exact| ≤ ½, and exactly ½ rounds up.
        expect(fee * 20_000n - exactTimes2).toBeLessThanOrEqual(10_000n);
        expect(exactTimes2 - fee * 20_000n).toBeLessThan(10_000n);
        expect(fee >= 0n && fee <= amount).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses rates that are not whole basis points between 0 and 10 000', () => {
    for (const bps of [-1, 10_001, 1.5, Number.NaN]) expect(() => applyBps(100n, bps)).toThrow(RangeError);
  });
});

// "__proto__" has a test of its own below.
const keyArb = fc.string({ maxLength: 12 }).filter((k) => k !== '__proto__');

const entryArb = fc.record({
  seq: fc.bigInt(1n, 1n << 62n),
  id: fc.string({ minLength: 1, maxLength: 30 }),
  kind: fc.constantFrom('topup', 'transfer', 'payment', 'refund', 'reversal' as const),
  occurredAt: fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }),
  decisionId: fc.string({ minLength: 1, maxLength: 30 }),
  reversesId: fc.option(fc.string({ minLength: 1, maxLength: 30 }), { nil: null }),
  holdId: fc.option(fc.string({ minLength: 1, maxLength: 30 }), { nil: null }),
  rule: fc.constantFrom('topup', 'transfer', 'payment', 'reversal'),
  amountMinor: amountArb,
  currency: fc.constantFrom('CNY', 'USD', 'JPY' as const),
  params: fc.dictionary(keyArb, fc.string({ maxLength: 20 }), { maxKeys: 6 }),
  metadata: fc.dictionary(keyArb, fc.string({ maxLength: 20 }), { maxKeys: 6 }),
  postings: fc.array(
    fc.record({
      accountId: fc.string({ minLength: 1, maxLength: 20 }),
      amountMinor: fc.bigInt(-AMOUNT_MINOR_MAX, AMOUNT_MINOR_MAX),
      balanceAfterMinor: fc.bigInt(-AMOUNT_MINOR_MAX, AMOUNT_MINOR_MAX),
    }),
    { minLength: 2, maxLength: 5 },
  ),
});

type EntryDraft = Omit<Entry, 'hash' | 'prevHash'>;

function toDraft(e: {
  seq: bigint;
  id: string;
  kind: Entry['kind'];
  occurredAt: Date;
  decisionId: string;
  reversesId: string | null;
  holdId: string | null;
  rule: string;
  amountMinor: bigint;
  currency: Entry['currency'];
  params: Record<string, string>;
  metadata: Record<string, string>;
  postings: Array<{ accountId: string; amountMinor: bigint; balanceAfterMinor: bigint }>;
}): EntryDraft {
  return {
    ...e,
    // Plain objects, as JSON.parse gives them back from the database.
    params: { ...e.params },
    metadata: { ...e.metadata },
    postings: e.postings.map((p, idx) => ({ ...p, idx })),
  };
}

/** The same record with its own keys inserted in reverse order. */
function reversedKeys(obj: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(obj).reverse()) {
    const value = obj[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** Every way one field of an entry can be changed; the hash must notice each. */
const MUTATIONS: Array<[string, (e: EntryDraft) => EntryDraft]> = [
  ['seq', (e) => ({ ...e, seq: e.seq + 1n })],
  ['id', (e) => ({ ...e, id: `${e.id}x` })],
  ['kind', (e) => ({ ...e, kind: e.kind === 'refund' ? 'payment' : 'refund' })],
  ['occurredAt', (e) => ({ ...e, occurredAt: new Date(e.occurredAt.getTime() + 1) })],
  ['decisionId', (e) => ({ ...e, decisionId: `${e.decisionId}x` })],
  ['reversesId', (e) => ({ ...e, reversesId: e.reversesId === null ? 'txn_x' : null })],
  ['holdId', (e) => ({ ...e, holdId: e.holdId === null ? 'null' : null })],
  ['rule', (e) => ({ ...e, rule: `${e.rule}x` })],
  ['amountMinor', (e) => ({ ...e, amountMinor: e.amountMinor + 1n })],
  ['currency', (e) => ({ ...e, currency: e.currency === 'EUR' ? 'USD' : 'EUR' })],
  ['params (value)', (e) => ({ ...e, params: { ...e.params, feeBps: `${e.params.feeBps ?? ''}1` } })],
  ['params (new key)', (e) => ({ ...e, params: { ...e.params, 'extra-param-key': '' } })],
  ['metadata (value)', (e) => ({ ...e, metadata: { ...e.metadata, memo: `${e.metadata.memo ?? ''}!` } })],
  ['metadata (new key)', (e) => ({ ...e, metadata: { ...e.metadata, 'extra-metadata-key': '' } })],
  [
    'posting amount',
    (e) => ({
      ...e,
      postings: e.postings.map((p, i) => (i === 0 ? { ...p, amountMinor: p.amountMinor + 1n } : p)),
    }),
  ],
  [
    'posting balance after',
    (e) => ({
      ...e,
      postings: e.postings.map((p, i) =>
        i === 1 ? { ...p, balanceAfterMinor: p.balanceAfterMinor - 1n } : p,
      ),
    }),
  ],
  [
    'posting account',
    (e) => ({
      ...e,
      postings: e.postings.map((p, i) => (i === 0 ? { ...p, accountId: `${p.accountId}x` } : p)),
    }),
  ],
  ['posting index', (e) => ({ ...e, postings: e.postings.map((p, i) => (i === 0 ? { ...p, idx: 99 } : p)) })],
  ['posting dropped', (e) => ({ ...e, postings: e.postings.slice(1) })],
  [
    'posting added',
    (e) => ({
      ...e,
      postings: [
        ...e.postings,
        { idx: e.postings.length, accountId: 'a', amountMinor: 0n, balanceAfterMinor: 0n },
      ],
    }),
  ],
];

describe('canonical form and chain hash', () => {
  it('does not depend on the key order of metadata and params', () => {
    fc.assert(
      fc.property(entryArb, (raw) => {
        const e = toDraft(raw);
        const shuffled = { ...e, params: reversedKeys(e.params), metadata: reversedKeys(e.metadata) };
        expect(canonicalEntry(shuffled)).toBe(canonicalEntry(e));
        const parsed: unknown = JSON.parse(canonicalEntry(e));
        if (!isRecord(parsed) || !isRecord(parsed.metadata) || !isRecord(parsed.params)) {
          throw new Error('canonical form is not an object with metadata and params');
        }
        expect(Object.keys(parsed)).toEqual(Object.keys(parsed).sort());
        expect(Object.keys(parsed.metadata).sort()).toEqual(Object.keys(e.metadata).sort());
        expect(Object.keys(parsed.params).sort()).toEqual(Object.keys(e.params).sort());
      }),
      { numRuns: 300 },
    );
  });

  it('changes the hash when any single field changes, and when the previous hash changes', () => {
    fc.assert(
      fc.property(entryArb, fc.constantFrom(...MUTATIONS), (raw, [, mutate]) => {
        const e = toDraft(raw);
        const hash = chainHash(GENESIS_HASH, canonicalEntry(e));
        expect(hash).toMatch(/^[0-9a-f]{64}$/);
        expect(chainHash(GENESIS_HASH, canonicalEntry(mutate(e)))).not.toBe(hash);
        expect(chainHash(`1${GENESIS_HASH.slice(1)}`, canonicalEntry(e))).not.toBe(hash);
      }),
      { numRuns: 600 },
    );
    // And each mutation explicitly, on one fixed entry.
    const base = toDraft({
      seq: 7n,
      id: 'txn_1',
      kind: 'payment',
      occurredAt: new Date('2025-01-02T03:04:05.678Z'),
      decisionId: 'dec_1',
      reversesId: null,
      holdId: null,
      rule: 'payment',
      amountMinor: 1000n,
      currency: 'CNY',
      params: { feeBps: '60', wallet: 'acct_w' },
      metadata: { memo: 'lunch', payerId: 'cus_1' },
      postings: [
        { accountId: 'acct_w', amountMinor: 1000n, balanceAfterMinor: 0n },
        { accountId: 'acct_c', amountMinor: -1000n, balanceAfterMinor: 5000n },
      ],
    });
    const hash = chainHash(GENESIS_HASH, canonicalEntry(base));
    for (const [name, mutate] of MUTATIONS) {
      expect(chainHash(GENESIS_HASH, canonicalEntry(mutate(base))), name).not.toBe(hash);
    }
  });

  it('sorts metadata and params keys by UTF-16 code units as docs/ledger-hash-chain.md says, integer-like keys included', () => {
    const e = toDraft({
      seq: 1n,
      id: 'txn_1',
      kind: 'transfer',
      occurredAt: new Date('2025-01-02T03:04:05.678Z'),
      decisionId: 'dec_1',
      reversesId: null,
      holdId: null,
      rule: 'transfer',
      amountMinor: 5n,
      currency: 'CNY',
      params: { to: 'b', from: 'a' },
      metadata: { b: '1', '10': '2', '9': '3', A: '4' },
      postings: [
        { accountId: 'a', amountMinor: 5n, balanceAfterMinor: 0n },
        { accountId: 'b', amountMinor: -5n, balanceAfterMinor: 5n },
      ],
    });
    // "10" < "9" < "A" < "b" by code units: an outside auditor following the document writes them so.
    expect(
      canonicalEntry(e),
      'canonicalEntry must sort keys by code unit; a plain object puts integer-like keys first',
    ).toContain('"metadata":{"10":"2","9":"3","A":"4","b":"1"}');
    expect(canonicalEntry(e)).toContain('"params":{"from":"a","to":"b"}');
  });

  it('covers every own key of metadata, including one named __proto__ (as JSON.parse returns it)', () => {
    const base = toDraft({
      seq: 1n,
      id: 'txn_1',
      kind: 'transfer',
      occurredAt: new Date('2025-01-02T03:04:05.678Z'),
      decisionId: 'dec_1',
      reversesId: null,
      holdId: null,
      rule: 'transfer',
      amountMinor: 5n,
      currency: 'CNY',
      params: { from: 'a', to: 'b' },
      metadata: { memo: 'x' },
      postings: [
        { accountId: 'a', amountMinor: 5n, balanceAfterMinor: 0n },
        { accountId: 'b', amountMinor: -5n, balanceAfterMinor: 5n },
      ],
    });
    // A jsonb value read back from the database is JSON.parse output: "__proto__" is an ordinary own key.
    const edited: Record<string, string> = JSON.parse('{"memo":"x","__proto__":"forged"}');
    expect(Object.keys(edited)).toEqual(['memo', '__proto__']);
    expect(
      canonicalEntry({ ...base, metadata: edited }),
      'canonicalEntry dropped the "__proto__" key, so the hash does not cover it',
    ).not.toBe(canonicalEntry(base));
  });
});
