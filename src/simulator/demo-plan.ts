import { type TierLimits, type TierTable, tierTable } from '../identity/tiers.ts';
import type { Currency } from '../platform/money.ts';
import { DEFAULT_LIMIT_POLICY } from '../risk/limit-policy.ts';
import type { DemoOptions } from './demo.ts';
import {
  ALLOWANCE_MINOR,
  buildCustomers,
  buildMerchants,
  CATEGORIES,
  CATEGORY_PROFILES,
  type Category,
  type DemoCustomer,
  type DemoMerchant,
  FAMILY_MEMOS,
  FUNDING_HOURS,
  isFamilyHead,
  ordinaryMinor,
  paymentAmountMinor,
  REFUND_REASONS,
  TRANSFER_HOURS,
  TRANSFER_MEMOS_EN,
  TRANSFER_MEMOS_ZH,
  TRANSFER_WEEKEND,
  transferAmountMinor,
} from './demo-population.ts';
import { Random, WeightedTable } from './random.ts';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
/** Movements of one simulated hour go to the services concurrently, at most this many at a time. */
export const CHUNK_MAX = 128;
/** How many customers the planner asks before giving up on a special case (a review, a failure). */
export const FIND_PAYER_TRIES = 500;
/** Customers and merchants are registered this many at a time. */
export const SETUP_CHUNK = 64;
/** Days, local hours and the daily and monthly limits all follow the limit policy's time zone (China: UTC+8). */
export const LOCAL_OFFSET_MS = DEFAULT_LIMIT_POLICY.dayOffsetMinutes * 60_000;
/** Outgoing amounts from these are held for review, whatever the customer's tier. */
export const REVIEW_FROM = DEFAULT_LIMIT_POLICY.reviewFromMinor;
/** Planned balances stay this share of a balance cap below it, so a little money can still arrive after the demo. */
const CAP_MARGIN_DIVISOR = 5n;
/** Held reviews younger than this at the end of history stay pending, for the review queue. */
export const PENDING_REVIEW_HOURS = 48;
export const CHANNEL = 'simbank';
/** About how often the services read the clock per movement (risk decision, records, commits). */
export const CLOCK_READS_PER_STEP = 2;
/** Rough exchange rates from a CNY ticket to the foreign wallets' currencies. */
const FROM_CNY: Partial<Record<Currency, number>> = { HKD: 1.09, USD: 0.139 };

// ---------------------------------------------------------------------------------------
// The plan: every movement decided in advance, hour by hour, against an in-memory model
// of balances and each customer's tier limits (single, daily, monthly, balance cap). A
// movement planned to succeed stays affordable whatever the order of the hour's concurrent
// requests, because it is checked against the hour's opening balance less every debit of
// that hour, and credits count only from the next hour; money arriving is checked against
// the highest the posted balance can be in that hour. That is what makes a seed
// reproducible on any database.
// ---------------------------------------------------------------------------------------

export interface StepBase {
  at: number;
  /** Position in the plan; the idempotency key is derived from it. */
  n: number;
}
export interface TopupStep extends StepBase {
  type: 'topup';
  customer: number;
  currency: Currency;
  amountMinor: bigint;
}
export interface WithdrawalStep extends StepBase {
  type: 'withdrawal';
  customer: number;
  currency: Currency;
  amountMinor: bigint;
}
export interface PaymentStep extends StepBase {
  type: 'payment';
  customer: number;
  merchant: number;
  currency: Currency;
  amountMinor: bigint;
  orderRef?: string;
}
export interface TransferStep extends StepBase {
  type: 'transfer';
  from: number;
  to: number;
  currency: Currency;
  amountMinor: bigint;
  memo: string;
}
export interface RefundStep extends StepBase {
  type: 'refund';
  payment: PaymentStep;
  /** Absent for a full refund. */
  amountMinor?: bigint;
  reason: string;
}
/** A reviewer approves (posts) or rejects (voids) a held movement. */
export interface ResolveStep extends StepBase {
  type: 'resolve';
  review: PaymentStep | TransferStep;
  approve: boolean;
}
/** The withdrawal sweeper releases payouts the channel never answered. */
export interface SweepStep extends StepBase {
  type: 'sweep';
}
export type Step =
  | TopupStep
  | WithdrawalStep
  | PaymentStep
  | TransferStep
  | RefundStep
  | ResolveStep
  | SweepStep;

export interface Plan {
  customers: DemoCustomer[];
  merchants: DemoMerchant[];
  start: number;
  end: number;
  /** Steps per simulated hour, in time order. */
  hours: Step[][];
  movements: number;
}

export interface PlanTiming {
  withdrawalTimeoutMs: number;
  reviewHoldTtlMs: number;
}

export type Candidate =
  | { kind: 'topup'; at: number; customer: number; currency: Currency; amountMinor: bigint }
  | {
      kind: 'payment';
      at: number;
      customer: number;
      merchant: number;
      currency: Currency;
      amountMinor: bigint;
      orderRef?: string;
    }
  | { kind: 'transfer'; at: number; from: number; to: number; amountMinor: bigint; memo: string }
  | { kind: 'withdrawal'; at: number; customer: number }
  | { kind: 'failingWithdrawal'; at: number; amountMinor: bigint }
  | { kind: 'review'; at: number; amountMinor: bigint; asTransfer: boolean; resolvable: boolean }
  | { kind: 'block'; at: number; customer: number; amountMinor: bigint; asTransfer: boolean }
  | { kind: 'refund'; at: number; step: RefundStep; wallet: string; creditMinor: bigint }
  | { kind: 'resolve'; at: number; step: ResolveStep; wallet: string | undefined; creditMinor: bigint }
  | { kind: 'sweep'; at: number; wallet: string; creditMinor: bigint };

const walletKey = (customer: number, currency: Currency) => `${customer}:${currency}`;
const localHour = (t: number) => Math.floor(((t + LOCAL_OFFSET_MS) % DAY_MS) / HOUR_MS);
const localDay = (t: number) => Math.floor((t + LOCAL_OFFSET_MS) / DAY_MS);
const localMonth = (t: number) => new Date(t + LOCAL_OFFSET_MS).toISOString().slice(0, 7);
/** 1970-01-01 was a Thursday; Saturday and Sunday are the weekend. */
const isWeekend = (t: number) => {
  const weekday = (localDay(t) + 4) % 7;
  return weekday === 0 || weekday === 6;
};
const hundredsOfYuan = (minor: bigint) => (minor / 10_000n) * 10_000n;

/** Plans the whole history; pure, so the same options (and tier table) always give the same plan. */
export function planDemo(options: DemoOptions, timing: PlanTiming, tiers: TierTable = tierTable()): Plan {
  return new Planner(options, timing, tiers).plan();
}

export class Planner {
  private readonly random: Random;
  private readonly customers: DemoCustomer[];
  private readonly merchants: DemoMerchant[];
  private readonly start: number;
  private readonly end: number;
  private readonly hourCount: number;
  private readonly scheduled = new Map<number, Candidate[]>();
  private readonly avail = new Map<string, bigint>();
  private readonly used = new Map<string, bigint>();
  /** Debits of the current hour per wallet, to recover its opening balance. */
  private debits = new Map<string, bigint>();
  private credits: Array<[string, bigint]> = [];
  /** Credits of the current hour per wallet: the posted balance may include them at any moment of it. */
  private hourCredits = new Map<string, bigint>();
  /** Money held on a wallet past the hour (reviews, unanswered payouts): still posted, not available. */
  private readonly outstanding = new Map<string, bigint>();
  private readonly payers: WeightedTable;
  private readonly senders: WeightedTable;
  private readonly savers: number[];
  private readonly affluent: number[];
  private readonly everyone: number[];
  private readonly byCategory = new Map<Category, { table: WeightedTable; merchants: DemoMerchant[] }>();
  private readonly byCurrency = new Map<Currency, { table: WeightedTable; merchants: DemoMerchant[] }>();
  private readonly paymentRhythm: (t: number) => number;
  private readonly transferRhythm: (t: number) => number;
  private readonly fundingRhythm: (t: number) => number;
  private readonly sweepLagHours: number;
  private readonly resolveHoursMax: number;
  /** The hour being planned; follow-ups never land in it or before it. */
  private plannedHour = -1;

  constructor(
    options: DemoOptions,
    timing: PlanTiming,
    private readonly tiers: TierTable = tierTable(),
  ) {
    const root = new Random(options.seed);
    this.random = root.fork('plan');
    this.merchants = buildMerchants(root.fork('merchants'), options.merchants);
    this.customers = buildCustomers(root.fork('customers'), options.customers, this.merchants);
    const endAt = (options.endAt ?? new Date()).getTime();
    this.end = endAt - (endAt % HOUR_MS);
    this.hourCount = options.days * 24;
    this.start = this.end - this.hourCount * HOUR_MS;
    this.payers = new WeightedTable(this.customers.map((c) => c.paymentsPerDay));
    this.senders = new WeightedTable(
      this.customers.map((c) => (c.family.length + c.friends.length > 0 ? c.transfersPerDay : 0)),
    );
    this.savers = this.customers.filter((c) => c.saver).map((c) => c.index);
    this.affluent = this.customers.filter((c) => c.affluent).map((c) => c.index);
    this.everyone = this.customers.map((c) => c.index);
    for (const category of CATEGORIES) {
      const list = this.merchants.filter((m) => m.category === category);
      if (list.length > 0)
        this.byCategory.set(category, {
          table: new WeightedTable(list.map((m) => m.popularity)),
          merchants: list,
        });
    }
    for (const currency of ['HKD', 'USD'] as const) {
      const list = this.merchants.filter((m) => m.currencies.includes(currency));
      if (list.length > 0)
        this.byCurrency.set(currency, {
          table: new WeightedTable(list.map((m) => m.popularity)),
          merchants: list,
        });
    }
    this.paymentRhythm = rhythm((t) => CATEGORIES.reduce((sum, c) => sum + this.categoryWeight(c, t), 0));
    this.transferRhythm = rhythm(
      (t) => (TRANSFER_HOURS[localHour(t)] ?? 0) * (isWeekend(t) ? TRANSFER_WEEKEND : 1),
    );
    this.fundingRhythm = rhythm((t) => FUNDING_HOURS[localHour(t)] ?? 0);
    this.sweepLagHours = Math.ceil(timing.withdrawalTimeoutMs / HOUR_MS) + 1;
    this.resolveHoursMax = Math.max(1, Math.min(6, Math.floor(timing.reviewHoldTtlMs / HOUR_MS / 2)));
  }

  plan(): Plan {
    this.scheduleFunding();
    this.scheduleAllowances();
    this.scheduleRiskCases();
    const hours: Step[][] = [];
    for (let h = 0; h < this.hourCount; h++) {
      const candidates = [...(this.scheduled.get(h) ?? []), ...this.spawn(this.start + h * HOUR_MS)];
      this.scheduled.delete(h);
      this.plannedHour = h;
      hours.push(this.planHour(candidates));
    }
    let n = 0;
    let movements = 0;
    for (const steps of hours) {
      for (const step of steps) {
        step.n = ++n;
        if (step.type !== 'resolve' && step.type !== 'sweep') movements++;
      }
    }
    return {
      customers: this.customers,
      merchants: this.merchants,
      start: this.start,
      end: this.end,
      hours,
      movements,
    };
  }

  private schedule(at: number, candidate: Candidate): void {
    if (at < this.start || at >= this.end) return;
    let h = Math.floor((at - this.start) / HOUR_MS);
    let item = candidate;
    if (h <= this.plannedHour) {
      // The hour being planned is closed: a follow-up moves to the next one, keeping time order.
      h = this.plannedHour + 1;
      if (h >= this.hourCount) return;
      item = { ...candidate, at: this.start + h * HOUR_MS + (at % HOUR_MS) };
    }
    const list = this.scheduled.get(h);
    if (list) list.push(item);
    else this.scheduled.set(h, [item]);
  }

  /** A time on local day `day` at a local hour drawn from `hours` weights. */
  private localTime(day: number, hours: readonly number[]): number {
    const hour = this.random.weighted(hours);
    return day * DAY_MS - LOCAL_OFFSET_MS + hour * HOUR_MS + this.random.int(0, 3599) * 1000;
  }

  /** Salary-like top-ups every 2–4 weeks, an opening top-up for whoever is paid later, foreign wallets monthly. */
  private scheduleFunding(): void {
    const firstDay = localDay(this.start);
    const lastDay = localDay(this.end);
    const payday = FUNDING_HOURS.map((w, hour) => (hour >= 9 && hour <= 11 ? w : 0));
    for (const c of this.customers) {
      // Whoever is first paid within a week starts from that; the others (and the affluent,
      // whose large movements the review cases need) bring an opening balance.
      if (c.topupPhaseDays > 7 || c.affluent) {
        const share = c.affluent ? 1 : 0.3 + 0.7 * this.random.next();
        const amount = hundredsOfYuan(BigInt(Math.round(Number(c.topupMinor) * share)));
        const at =
          this.start +
          this.random.weighted(this.hourWeights(FUNDING_HOURS)) * HOUR_MS +
          this.random.int(0, 3599) * 1000;
        this.schedule(at, {
          kind: 'topup',
          at,
          customer: c.index,
          currency: 'CNY',
          amountMinor: amount > 0n ? amount : 10_000n,
        });
      }
      for (let day = firstDay + c.topupPhaseDays; day <= lastDay; day += c.topupEveryDays) {
        const jitter = day === firstDay + c.topupPhaseDays ? 0 : this.random.int(-1, 1);
        const at = this.localTime(day + jitter, payday);
        this.schedule(at, {
          kind: 'topup',
          at,
          customer: c.index,
          currency: 'CNY',
          amountMinor: c.topupMinor,
        });
      }
      for (const currency of c.currencies) {
        if (currency === 'CNY') continue;
        const phase = this.random.int(0, 29);
        const amount =
          (currency === 'USD' ? BigInt(this.random.int(3, 24) * 50) : BigInt(this.random.int(5, 60) * 100)) *
          100n;
        if (phase > 7) {
          const at =
            this.start +
            this.random.weighted(this.hourWeights(FUNDING_HOURS)) * HOUR_MS +
            this.random.int(0, 3599) * 1000;
          this.schedule(at, { kind: 'topup', at, customer: c.index, currency, amountMinor: amount });
        }
        for (let day = firstDay + phase; day <= lastDay; day += 30) {
          const at = this.localTime(day, FUNDING_HOURS);
          this.schedule(at, { kind: 'topup', at, customer: c.index, currency, amountMinor: amount });
        }
      }
    }
  }

  /** Family heads send every other member a monthly allowance (生活费). */
  private scheduleAllowances(): void {
    const firstDay = localDay(this.start);
    for (const c of this.customers) {
      if (!isFamilyHead(c)) continue;
      const phase = this.random.int(0, 29);
      for (let day = firstDay + phase; day <= localDay(this.end); day += 30) {
        const at = this.localTime(day, TRANSFER_HOURS);
        for (const member of c.family) {
          this.schedule(at, {
            kind: 'transfer',
            at,
            from: c.index,
            to: member,
            amountMinor: ALLOWANCE_MINOR,
            memo: this.random.pick(FAMILY_MEMOS),
          });
        }
      }
    }
  }

  /**
   * The few movements that show risk control and failure handling: large amounts held
   * for review (a third still pending at the end), over-limit attempts the gate blocks,
   * top-ups the bank declines, and withdrawals it declines or never answers.
   */
  private scheduleRiskCases(): void {
    const n = this.customers.length;
    const hours = this.hourCount;
    const reviews = clamp(Math.round(n / 250), 2, 20);
    for (let r = 0; r < reviews; r++) {
      const pending = r % 3 === 2 || hours <= PENDING_REVIEW_HOURS + 96;
      const h = pending
        ? this.random.int(Math.max(0, hours - PENDING_REVIEW_HOURS), hours - 1)
        : this.random.int(96, hours - PENDING_REVIEW_HOURS - 1);
      const at = this.daytime(h, FUNDING_HOURS);
      this.schedule(at, {
        kind: 'review',
        at,
        amountMinor: BigInt(this.random.int(200, 450)) * 10_000n,
        asTransfer: this.random.chance(0.3),
        resolvable: !pending,
      });
    }
    const blocks = clamp(Math.round(n / 400), 2, 12);
    for (let b = 0; b < blocks; b++) {
      const at = this.daytime(this.random.int(24, hours - 1), FUNDING_HOURS);
      this.schedule(at, {
        kind: 'block',
        at,
        customer: this.random.int(0, n - 1),
        amountMinor: BigInt(this.random.int(501, 1500)) * 10_000n,
        asTransfer: this.random.chance(0.4),
      });
    }
    // Amounts ending in 13 are declined by the simulated bank, 14 are never answered.
    for (let d = 0; d < clamp(Math.round(n / 300), 1, 10); d++) {
      const at = this.daytime(this.random.int(0, hours - 1), FUNDING_HOURS);
      const customer = this.random.int(0, n - 1);
      const amountMinor = BigInt(this.random.int(2, 30) * 10_000 + 13);
      this.schedule(at, { kind: 'topup', at, customer, currency: 'CNY', amountMinor });
    }
    // Night hours move up to 12 hours later (see daytime); the sweep that releases an
    // unanswered payout must still fall inside history.
    const latest = hours - this.sweepLagHours - 14;
    for (let d = 0; d < clamp(Math.round(n / 1000), 1, 4) && latest > 48; d++) {
      for (const ending of [13n, 14n]) {
        const at = this.daytime(this.random.int(48, latest), FUNDING_HOURS);
        this.schedule(at, {
          kind: 'failingWithdrawal',
          at,
          amountMinor: BigInt(this.random.int(2, 20)) * 10_000n + ending,
        });
      }
    }
  }

  /** A time inside hour `h`, or the next busy hour when `h` falls in the night (at most 12 later). */
  private daytime(h: number, weights: readonly number[]): number {
    const quiet = (hour: number) => (weights[localHour(this.start + hour * HOUR_MS)] ?? 0) < 0.5;
    let hour = h;
    for (let k = 0; k < 12 && quiet(hour) && hour + 1 < this.hourCount; k++) hour++;
    for (let k = 0; k < 12 && quiet(hour) && hour > 0; k++) hour--;
    return this.start + hour * HOUR_MS + this.random.int(0, 3599) * 1000;
  }

  private hourWeights(weights: readonly number[]): number[] {
    const list: number[] = [];
    for (let h = 0; h < Math.min(24, this.hourCount); h++) {
      list.push(weights[localHour(this.start + h * HOUR_MS)] ?? 0);
    }
    return list;
  }

  private categoryWeight(category: Category, t: number): number {
    if (!this.byCategory.has(category)) return 0;
    const p = CATEGORY_PROFILES[category];
    return p.share * (p.hours[localHour(t)] ?? 0) * (isWeekend(t) ? p.weekend : 1);
  }

  /**
   * Decides an hour's movements in time order against the model. Its credits (top-ups,
   * incoming transfers, refunds, released holds) count only from the next hour on.
   */
  private planHour(candidates: Candidate[]): Step[] {
    // A stable sort keeps equal times in creation order, which is itself deterministic.
    candidates.sort((a, b) => a.at - b.at);
    const incoming = new Set<string>();
    for (const c of candidates) {
      if (c.kind === 'topup') incoming.add(walletKey(c.customer, c.currency));
      else if (c.kind === 'transfer') incoming.add(walletKey(c.to, 'CNY'));
      else if (c.kind === 'refund' || c.kind === 'sweep') incoming.add(c.wallet);
      else if (c.kind === 'resolve' && c.wallet) incoming.add(c.wallet);
    }
    this.debits = new Map();
    this.hourCredits = new Map();
    const steps: Step[] = [];
    for (const c of candidates) {
      const step = this.evaluate(c, incoming);
      if (step) steps.push(step);
    }
    for (const [wallet, amount] of this.credits) this.avail.set(wallet, this.balance(wallet) + amount);
    this.credits = [];
    return steps;
  }

  /** The random traffic of one hour: payments, transfers and savers' withdrawals. */
  private spawn(t0: number): Candidate[] {
    const r = this.random;
    const list: Candidate[] = [];
    const payments = r.poisson((this.payers.total / 24) * this.paymentRhythm(t0));
    for (let i = 0; i < payments; i++) {
      const p = this.payment(t0 + r.int(0, 3599) * 1000);
      if (p) list.push(p);
    }
    const transfers = r.poisson((this.senders.total / 24) * this.transferRhythm(t0));
    for (let i = 0; i < transfers; i++) {
      const from = this.customers[this.senders.draw(r)];
      if (!from) continue;
      const family = from.family.length > 0 && (from.friends.length === 0 || r.chance(0.4));
      const to = family ? r.pick(from.family) : r.pick(from.friends);
      const english = /^[A-Za-z]/.test(from.displayName);
      list.push({
        kind: 'transfer',
        at: t0 + r.int(0, 3599) * 1000,
        from: from.index,
        to,
        amountMinor: BigInt(ordinaryMinor(transferAmountMinor(r, family))),
        memo: family ? r.pick(FAMILY_MEMOS) : r.pick(english ? TRANSFER_MEMOS_EN : TRANSFER_MEMOS_ZH),
      });
    }
    const withdrawals = r.poisson(((this.savers.length * 0.03) / 24) * this.fundingRhythm(t0));
    for (let i = 0; i < withdrawals && this.savers.length > 0; i++) {
      list.push({ kind: 'withdrawal', at: t0 + r.int(0, 3599) * 1000, customer: r.pick(this.savers) });
    }
    return list;
  }

  private payment(at: number): Candidate | undefined {
    const r = this.random;
    const customer = this.customers[this.payers.draw(r)];
    if (!customer) return undefined;
    const foreign = customer.currencies.find((c) => c !== 'CNY');
    const abroad = foreign ? this.byCurrency.get(foreign) : undefined;
    let merchant: DemoMerchant | undefined;
    let currency: Currency = 'CNY';
    if (foreign && abroad && r.chance(0.35)) {
      merchant = abroad.merchants[abroad.table.draw(r)];
      currency = foreign;
    } else {
      const category = CATEGORIES[r.weighted(CATEGORIES.map((c) => this.categoryWeight(c, at)))] ?? 'grocery';
      const favourite = customer.favourites.get(category);
      const pool = this.byCategory.get(category);
      merchant =
        favourite !== undefined && r.chance(0.6)
          ? this.merchants[favourite]
          : pool
            ? pool.merchants[pool.table.draw(r)]
            : undefined;
    }
    if (!merchant) return undefined;
    const cny = paymentAmountMinor(r, merchant.category);
    const amount = Math.max(100, Math.round(cny * (FROM_CNY[currency] ?? 1)));
    const orderRef =
      merchant.category === 'ecommerce'
        ? `ORD${new Date(at + LOCAL_OFFSET_MS).toISOString().slice(0, 10).replaceAll('-', '')}${r.int(100_000, 999_999)}`
        : undefined;
    return {
      kind: 'payment',
      at,
      customer: customer.index,
      merchant: merchant.index,
      currency,
      amountMinor: BigInt(ordinaryMinor(amount)),
      ...(orderRef ? { orderRef } : {}),
    };
  }

  private evaluate(c: Candidate, incoming: Set<string>): Step | undefined {
    const r = this.random;
    const h = Math.floor((c.at - this.start) / HOUR_MS);
    switch (c.kind) {
      case 'topup': {
        let amount = c.amountMinor;
        // The bank declines amounts ending in 13: no money arrives, whatever the limits.
        if (amount % 100n !== 13n) {
          // People top up what their verification level lets them: within the single
          // top-up limit and below the balance cap.
          const single = this.limitsOf(c.customer, c.currency)?.singleMinor ?? 0n;
          const room = this.room(c.customer, c.currency);
          const fits = single < room ? single : room;
          if (amount > fits) amount = hundredsOfYuan(fits);
          if (amount < 10_000n) return undefined;
          this.credit(walletKey(c.customer, c.currency), amount);
        }
        return {
          type: 'topup',
          n: 0,
          at: c.at,
          customer: c.customer,
          currency: c.currency,
          amountMinor: amount,
        };
      }
      case 'payment': {
        const wallet = walletKey(c.customer, c.currency);
        if (c.amountMinor >= REVIEW_FROM[c.currency]) return undefined;
        const step: PaymentStep = {
          type: 'payment',
          n: 0,
          at: c.at,
          customer: c.customer,
          merchant: c.merchant,
          currency: c.currency,
          amountMinor: c.amountMinor,
          ...(c.orderRef ? { orderRef: c.orderRef } : {}),
        };
        if (this.spend(c.customer, c.currency, c.at, c.amountMinor)) {
          this.maybeRefund(h, step);
          return step;
        }
        // Now and then a customer tries to pay more than they have; the ledger refuses it.
        // Only where no money can arrive this hour, so the refusal does not depend on order.
        const opening = this.balance(wallet) + (this.debits.get(wallet) ?? 0n);
        if (!incoming.has(wallet) && c.amountMinor > opening && r.chance(0.03)) {
          if (this.reserve(c.customer, c.currency, c.at, c.amountMinor)) return step;
        }
        return undefined;
      }
      case 'transfer': {
        // The receiver's balance cap is checked first: a refused transfer moves nothing.
        if (c.amountMinor > this.room(c.to, 'CNY')) return undefined;
        if (!this.spend(c.from, 'CNY', c.at, c.amountMinor)) return undefined;
        this.credit(walletKey(c.to, 'CNY'), c.amountMinor);
        return {
          type: 'transfer',
          n: 0,
          at: c.at,
          from: c.from,
          to: c.to,
          currency: 'CNY',
          amountMinor: c.amountMinor,
          memo: c.memo,
        };
      }
      case 'withdrawal': {
        const customer = this.customers[c.customer];
        if (!customer) return undefined;
        const wallet = walletKey(c.customer, 'CNY');
        const balance = this.balance(wallet);
        if (balance <= (customer.monthlySpendMinor * 3n) / 2n + 50_000n) return undefined;
        const share = BigInt(40 + r.int(0, 40));
        let amount = hundredsOfYuan(((balance - customer.monthlySpendMinor) * share) / 100n);
        // Withdrawals stay under the review threshold (large ones would wait for a reviewer)
        // and within the customer's single limit.
        const single = this.limitsOf(c.customer, 'CNY')?.singleMinor ?? 0n;
        const review = REVIEW_FROM.CNY - 10_000n;
        const cap = single < review ? hundredsOfYuan(single) : review;
        if (amount > cap) amount = cap;
        if (amount < 10_000n || !this.spend(c.customer, 'CNY', c.at, amount)) return undefined;
        return {
          type: 'withdrawal',
          n: 0,
          at: c.at,
          customer: c.customer,
          currency: 'CNY',
          amountMinor: amount,
        };
      }
      case 'failingWithdrawal': {
        const customer = this.findPayer(this.savers, c.at, c.amountMinor);
        if (customer === undefined) return undefined;
        const wallet = walletKey(customer, 'CNY');
        if (c.amountMinor % 100n === 13n) {
          this.credit(wallet, c.amountMinor);
        } else {
          // Never answered: held (and still posted) until the sweep releases it.
          this.adjustOutstanding(wallet, c.amountMinor);
          const at = this.start + (h + this.sweepLagHours) * HOUR_MS + r.int(0, 3599) * 1000;
          this.schedule(at, { kind: 'sweep', at, wallet, creditMinor: c.amountMinor });
        }
        return { type: 'withdrawal', n: 0, at: c.at, customer, currency: 'CNY', amountMinor: c.amountMinor };
      }
      case 'review':
        return this.review(h, c);
      case 'block': {
        const from = this.customers[c.customer];
        if (!from) return undefined;
        const to = [...from.family, ...from.friends][0];
        if (c.asTransfer && to !== undefined) {
          return {
            type: 'transfer',
            n: 0,
            at: c.at,
            from: c.customer,
            to,
            currency: 'CNY',
            amountMinor: c.amountMinor,
            memo: '购房款',
          };
        }
        const shop = this.byCategory.get('ecommerce')?.merchants[0] ?? this.merchants[0];
        if (!shop) return undefined;
        return {
          type: 'payment',
          n: 0,
          at: c.at,
          customer: c.customer,
          merchant: shop.index,
          currency: 'CNY',
          amountMinor: c.amountMinor,
        };
      }
      case 'refund':
        this.credit(c.wallet, c.creditMinor);
        c.step.at = c.at;
        return c.step;
      case 'resolve': {
        const review = c.step.review;
        const payer = review.type === 'transfer' ? review.from : review.customer;
        this.adjustOutstanding(walletKey(payer, 'CNY'), -c.creditMinor);
        if (c.wallet) this.credit(c.wallet, c.creditMinor);
        c.step.at = c.at;
        return c.step;
      }
      case 'sweep':
        this.adjustOutstanding(c.wallet, -c.creditMinor);
        this.credit(c.wallet, c.creditMinor);
        return { type: 'sweep', n: 0, at: c.at };
      default: {
        const exhaustive: never = c;
        throw new Error(`unknown candidate ${String(exhaustive)}`);
      }
    }
  }

  /** A large purchase or family transfer by an affluent customer: held for review. */
  private review(h: number, c: Extract<Candidate, { kind: 'review' }>): Step | undefined {
    const r = this.random;
    const customer =
      this.findPayer(this.affluent, c.at, c.amountMinor) ??
      this.findPayer(this.everyone, c.at, c.amountMinor);
    if (customer === undefined) return undefined;
    const payer = this.customers[customer];
    const to = payer ? [...payer.family, ...payer.friends][0] : undefined;
    let step: PaymentStep | TransferStep;
    // A transfer the receiver's balance cap would refuse becomes a large purchase instead.
    if (c.asTransfer && to !== undefined && c.amountMinor <= this.room(to, 'CNY')) {
      step = {
        type: 'transfer',
        n: 0,
        at: c.at,
        from: customer,
        to,
        currency: 'CNY',
        amountMinor: c.amountMinor,
        memo: r.pick(['购车款', '装修款', 'tuition', '首付']),
      };
    } else {
      const shops = this.byCategory.get('ecommerce') ?? this.byCategory.get(CATEGORIES[0] ?? 'cafe');
      const shop = shops?.merchants[shops.table.draw(r)];
      if (!shop) return undefined;
      step = {
        type: 'payment',
        n: 0,
        at: c.at,
        customer,
        merchant: shop.index,
        currency: 'CNY',
        amountMinor: c.amountMinor,
        orderRef: `ORD-BIG-${r.int(100_000, 999_999)}`,
      };
    }
    // Held (still posted) until a reviewer decides, if ever within the history.
    this.adjustOutstanding(walletKey(customer, 'CNY'), c.amountMinor);
    if (c.resolvable) {
      const approve = r.chance(0.7);
      const at = this.start + (h + r.int(1, this.resolveHoursMax)) * HOUR_MS + r.int(0, 3599) * 1000;
      // Approval moves the held money on (a transfer credits its receiver); rejection gives it back.
      const wallet = approve
        ? step.type === 'transfer'
          ? walletKey(step.to, 'CNY')
          : undefined
        : walletKey(customer, 'CNY');
      this.schedule(at, {
        kind: 'resolve',
        at,
        step: { type: 'resolve', n: 0, at, review: step, approve },
        wallet,
        creditMinor: c.amountMinor,
      });
    }
    return step;
  }

  private maybeRefund(h: number, payment: PaymentStep): void {
    const r = this.random;
    const merchant = this.merchants[payment.merchant];
    if (!merchant) return;
    const profile = CATEGORY_PROFILES[merchant.category];
    if (!r.chance(profile.refundChance)) return;
    const at = this.start + (h + r.int(1, profile.refundDaysMax * 24)) * HOUR_MS + r.int(0, 3599) * 1000;
    const partial = r.chance(0.35) && payment.amountMinor > 200n;
    const amountMinor = partial ? (payment.amountMinor * BigInt(r.int(20, 80))) / 100n : undefined;
    const step: RefundStep = {
      type: 'refund',
      n: 0,
      at,
      payment,
      reason: r.pick(REFUND_REASONS),
      ...(amountMinor !== undefined ? { amountMinor } : {}),
    };
    this.schedule(at, {
      kind: 'refund',
      at,
      step,
      wallet: walletKey(payment.customer, payment.currency),
      creditMinor: amountMinor ?? payment.amountMinor,
    });
  }

  /** The first of `candidates` (from a random start) who can spend `amount` now. */
  private findPayer(candidates: number[], at: number, amount: bigint): number | undefined {
    if (candidates.length === 0) return undefined;
    const offset = this.random.int(0, candidates.length - 1);
    for (let k = 0; k < Math.min(candidates.length, FIND_PAYER_TRIES); k++) {
      const customer = candidates[(offset + k) % candidates.length];
      if (customer === undefined) continue;
      if (this.spend(customer, 'CNY', at, amount)) return customer;
    }
    return undefined;
  }

  private balance(wallet: string): bigint {
    return this.avail.get(wallet) ?? 0n;
  }

  /** Debits the model if the wallet can pay and the customer's limits allow it. */
  private spend(customer: number, currency: Currency, at: number, amount: bigint): boolean {
    const wallet = walletKey(customer, currency);
    if (this.balance(wallet) < amount) return false;
    if (!this.reserve(customer, currency, at, amount)) return false;
    this.avail.set(wallet, this.balance(wallet) - amount);
    this.debits.set(wallet, (this.debits.get(wallet) ?? 0n) + amount);
    return true;
  }

  /** Counts an outgoing amount against the single, daily and monthly limits, as the risk gate will. */
  private reserve(customer: number, currency: Currency, at: number, amount: bigint): boolean {
    const limits = this.limitsOf(customer, currency);
    if (!limits || amount > limits.singleMinor) return false;
    const wallet = walletKey(customer, currency);
    const dayKey = `${wallet}:${localDay(at)}`;
    const monthKey = `${wallet}:${localMonth(at)}`;
    const day = this.used.get(dayKey) ?? 0n;
    const month = this.used.get(monthKey) ?? 0n;
    if (day + amount > limits.dailyMinor || month + amount > limits.monthlyMinor) return false;
    this.used.set(dayKey, day + amount);
    this.used.set(monthKey, month + amount);
    return true;
  }

  private limitsOf(customer: number, currency: Currency): TierLimits | undefined {
    const c = this.customers[customer];
    return c ? this.tiers[c.kycTier][currency] : undefined;
  }

  /**
   * How much more may arrive in a customer's wallet this hour: the planning ceiling (the
   * balance cap less a margin) minus the highest the posted balance can reach this hour,
   * that is the opening balance, money held past the hour, and every credit of the hour.
   */
  private room(customer: number, currency: Currency): bigint {
    const limits = this.limitsOf(customer, currency);
    if (!limits) return 0n;
    const wallet = walletKey(customer, currency);
    const ceiling = limits.balanceCapMinor - limits.balanceCapMinor / CAP_MARGIN_DIVISOR;
    const highest =
      this.balance(wallet) +
      (this.debits.get(wallet) ?? 0n) +
      (this.outstanding.get(wallet) ?? 0n) +
      (this.hourCredits.get(wallet) ?? 0n);
    return ceiling > highest ? ceiling - highest : 0n;
  }

  /** Money arriving: available from the next hour, possibly posted at any moment of this one. */
  private credit(wallet: string, amount: bigint): void {
    this.credits.push([wallet, amount]);
    this.hourCredits.set(wallet, (this.hourCredits.get(wallet) ?? 0n) + amount);
  }

  private adjustOutstanding(wallet: string, delta: bigint): void {
    const next = (this.outstanding.get(wallet) ?? 0n) + delta;
    if (next > 0n) this.outstanding.set(wallet, next);
    else this.outstanding.delete(wallet);
  }
}

/** Turns an hourly weight into a factor whose average over a week is 1. */
export function rhythm(weight: (t: number) => number): (t: number) => number {
  // Any Monday 00:00 local will do: the weekly pattern repeats.
  const monday = 4 * DAY_MS - LOCAL_OFFSET_MS;
  let total = 0;
  for (let h = 0; h < 168; h++) total += weight(monday + h * HOUR_MS);
  const mean = total / 168;
  return (t) => (mean > 0 ? weight(t) / mean : 0);
}

export function clamp(x: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, x));
}

// ---------------------------------------------------------------------------------------
// Running the plan through the real services, so every movement gets a risk decision,
// an idempotency key and a journal entry exactly as API traffic would.
// ---------------------------------------------------------------------------------------
