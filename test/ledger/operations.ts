// The operations of the ledger property test: their shapes, random generators, and a script that takes every path.
import fc from 'fast-check';

export const CNY_WALLETS = 3;

export type LedgerOp =
  | { t: 'topup'; w: number; amount: bigint; keyed: boolean }
  | { t: 'transfer'; from: number; to: number; amount: bigint; keyed: boolean }
  | { t: 'pay'; w: number; amount: bigint; keyed: boolean }
  | {
      t: 'hold';
      w: number;
      to: number;
      rule: 'transfer' | 'payment';
      amount: bigint;
      expired: boolean;
      keyed: boolean;
    }
  | { t: 'postHold'; h: number; amount: bigint | null; keyed: boolean }
  | { t: 'voidHold'; h: number; keyed: boolean }
  | { t: 'refund'; e: number; anyEntry: boolean; amount: bigint | null; keyed: boolean }
  | { t: 'reverse'; e: number; amount: bigint | null; keyed: boolean }
  | { t: 'mismatch'; w: number; amount: bigint; keyed: boolean }
  | { t: 'replay'; k: number };

export type Op =
  | LedgerOp
  | { t: 'walletTransfer'; from: number; to: number; amount: bigint }
  | { t: 'walletPay'; w: number; amount: bigint }
  | { t: 'walletMismatch'; w: number; amount: bigint }
  | { t: 'status'; target: number; frozen: boolean }
  | { t: 'burst'; ops: LedgerOp[]; dupe: boolean };

const amountArb = fc.oneof(fc.bigInt(1n, 1_000n), fc.bigInt(1n, 150_000n));
const optionalAmountArb = fc.option(amountArb, { nil: null, freq: 3 });
const indexArb = fc.nat({ max: 1_000 });
const keyedArb = fc.boolean();
const rarely = fc.oneof(
  { weight: 4, arbitrary: fc.constant(false) },
  { weight: 1, arbitrary: fc.constant(true) },
);

const ledgerOpArb: fc.Arbitrary<LedgerOp> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      t: fc.constant('topup' as const),
      w: fc.nat({ max: CNY_WALLETS }),
      amount: fc.bigInt(1n, 300_000n),
      keyed: keyedArb,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('transfer' as const),
      from: fc.nat({ max: CNY_WALLETS - 1 }),
      to: fc.nat({ max: CNY_WALLETS - 2 }),
      amount: amountArb,
      keyed: keyedArb,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('pay' as const),
      w: fc.nat({ max: CNY_WALLETS - 1 }),
      amount: amountArb,
      keyed: keyedArb,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('hold' as const),
      w: fc.nat({ max: CNY_WALLETS - 1 }),
      to: fc.nat({ max: CNY_WALLETS - 2 }),
      rule: fc.constantFrom('transfer' as const, 'payment' as const),
      amount: amountArb,
      expired: rarely,
      keyed: keyedArb,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('postHold' as const),
      h: indexArb,
      amount: fc.option(fc.oneof(fc.bigInt(1n, 2_000n), amountArb), { nil: null, freq: 3 }),
      keyed: keyedArb,
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('voidHold' as const), h: indexArb, keyed: keyedArb }) },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('refund' as const),
      e: indexArb,
      anyEntry: rarely,
      amount: optionalAmountArb,
      keyed: keyedArb,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('reverse' as const),
      e: indexArb,
      amount: optionalAmountArb,
      keyed: keyedArb,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('mismatch' as const),
      w: fc.nat({ max: 5 }),
      amount: amountArb,
      keyed: keyedArb,
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('replay' as const), k: indexArb }) },
);

export const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 14, arbitrary: ledgerOpArb },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('walletTransfer' as const),
      from: fc.nat({ max: CNY_WALLETS - 1 }),
      to: fc.nat({ max: CNY_WALLETS - 2 }),
      amount: amountArb,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('walletPay' as const),
      w: fc.nat({ max: CNY_WALLETS - 1 }),
      amount: amountArb,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('walletMismatch' as const),
      w: fc.nat({ max: 5 }),
      amount: amountArb,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('status' as const),
      target: fc.nat({ max: 4 }),
      frozen: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('burst' as const),
      ops: fc.array(ledgerOpArb, { minLength: 2, maxLength: 5 }),
      dupe: fc.boolean(),
    }),
  },
);

/** Outcomes every database run must have produced at least once ("<type> ok", or a refusal code). */
export const REQUIRED_PATHS = [
  'topup ok',
  'transfer ok',
  'pay ok',
  'hold ok',
  'postHold ok',
  'postHold partial ok',
  'voidHold ok',
  'refund ok',
  'reverse ok',
  'walletTransfer ok',
  'walletPay ok',
  'LEDGER_INSUFFICIENT_FUNDS',
  'LEDGER_REVERSAL_EXCEEDS_ORIGINAL',
  'LEDGER_ENTRY_NOT_REVERSIBLE',
  'postHold of a voided hold refused',
  'postHold of a timed-out hold refused',
  'LEDGER_HOLD_EXCEEDS_AMOUNT',
  'LEDGER_ACCOUNT_FROZEN',
  'CURRENCY_MISMATCH',
  'replay',
  'dupe in batch',
];

/**
 * A hand-written sequence run before the random ones, so that every path above is taken on
 * every run (wallets start with 50 000; the comments give the expected outcome).
 */
export const SCRIPT: Op[] = [
  { t: 'topup', w: 0, amount: 100_000n, keyed: true }, // entry 3; keyed 0
  { t: 'transfer', from: 0, to: 0, amount: 60_000n, keyed: false }, // entry 4: wallet 0 → 1
  { t: 'transfer', from: 2, to: 0, amount: 999_999n, keyed: true }, // insufficient funds; keyed 1
  { t: 'pay', w: 1, amount: 10_000n, keyed: true }, // entry 5 = payment 0; keyed 2
  { t: 'refund', e: 0, anyEntry: false, amount: 4_000n, keyed: false }, // entry 6
  { t: 'refund', e: 0, anyEntry: false, amount: 7_000n, keyed: false }, // over-refund: 6 000 remain
  { t: 'refund', e: 0, anyEntry: false, amount: null, keyed: true }, // entry 7: the remaining 6 000
  { t: 'refund', e: 0, anyEntry: true, amount: null, keyed: false }, // a top-up is not a payment
  { t: 'reverse', e: 4, amount: 1_000n, keyed: false }, // entry 8: part of the transfer back
  { t: 'reverse', e: 8, amount: null, keyed: false }, // a reversal cannot be reversed
  { t: 'hold', w: 0, to: 0, rule: 'transfer', amount: 5_000n, expired: false, keyed: false }, // hold 0
  { t: 'voidHold', h: 0, keyed: false },
  { t: 'postHold', h: 0, amount: null, keyed: true }, // posting a voided hold
  { t: 'hold', w: 0, to: 1, rule: 'payment', amount: 8_000n, expired: false, keyed: true }, // hold 1
  { t: 'postHold', h: 1, amount: 3_000n, keyed: false }, // entry 9 = payment 1, partial
  { t: 'hold', w: 1, to: 0, rule: 'transfer', amount: 1_000n, expired: true, keyed: false }, // hold 2
  { t: 'postHold', h: 2, amount: null, keyed: false }, // timed out
  { t: 'hold', w: 2, to: 0, rule: 'transfer', amount: 500n, expired: false, keyed: false }, // hold 3
  { t: 'postHold', h: 3, amount: 600n, keyed: false }, // more than the hold
  { t: 'postHold', h: 3, amount: null, keyed: false }, // entry 10
  { t: 'status', target: 1, frozen: true },
  { t: 'transfer', from: 0, to: 0, amount: 100n, keyed: false }, // into a frozen wallet
  { t: 'walletPay', w: 1, amount: 100n }, // from a frozen wallet
  { t: 'status', target: 1, frozen: false },
  { t: 'mismatch', w: 0, amount: 100n, keyed: false }, // CNY into the USD wallet
  { t: 'walletMismatch', w: 1, amount: 100n }, // USD to a merchant without a USD account
  { t: 'walletTransfer', from: 0, to: 1, amount: 2_000n },
  { t: 'walletPay', w: 0, amount: 3_000n },
  { t: 'replay', k: 0 },
  { t: 'replay', k: 1 }, // a stored refusal replays as a refusal
  {
    t: 'burst',
    ops: [
      { t: 'topup', w: 2, amount: 1_000n, keyed: true },
      { t: 'transfer', from: 2, to: 0, amount: 999_999n, keyed: false },
      { t: 'voidHold', h: 1, keyed: false }, // already posted
      { t: 'replay', k: 2 },
    ],
    dupe: true,
  },
  { t: 'status', target: 4, frozen: true },
  { t: 'pay', w: 0, amount: 100n, keyed: false }, // to a frozen merchant
  { t: 'refund', e: 1, anyEntry: false, amount: 100n, keyed: false }, // from a frozen merchant
  { t: 'status', target: 4, frozen: false },
  { t: 'refund', e: 1, anyEntry: false, amount: 100n, keyed: false },
];
