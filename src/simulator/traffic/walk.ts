import { DEFAULT_TIERS_MAJOR, type KycTier } from '../../identity/tiers.ts';
import {
  CATEGORIES,
  CATEGORY_PROFILES,
  FAMILY_MEMOS,
  FUNDING_HOURS,
  REFUND_REASONS,
  TRANSFER_HOURS,
  TRANSFER_MEMOS_EN,
  TRANSFER_MEMOS_ZH,
  transferAmountMinor,
} from '../demo-population.ts';
import type { Random } from '../random.ts';
import {
  isSalaryDay,
  type LocalDay,
  paymentFactor,
  paymentHours,
  redPacketShare,
  transferFactor,
  transferHours,
} from './calendar.ts';
import type { SimIds, TrafficSimulation } from './generate.ts';
import { entry, HOUR_MS, LEGIT, MINUTE_MS, must, type SimEvent } from './model.ts';
import { deviceId, type Presence, paymentMinor, type SimCustomer, usualPresence } from './population.ts';
import {
  bankSafe,
  ctx,
  DAY_HOURS,
  type Intent,
  orderRef,
  type ScheduledEvent,
  type Scheduler,
  share,
} from './scenarios.ts';

/**
 * Turns each ordinary customer's day into events: salary, shopping, transfers, sign-ins
 * and the scenario intents they are part of, in time order against a model of their
 * balance and KYC limits, so that spending is preceded by a top-up when the wallet runs
 * short. Credits from others count from the next day (a safe under-estimate).
 */

interface Limits {
  single: bigint;
  daily: bigint;
  monthly: bigint;
  cap: bigint;
}

const LIMITS: Record<KycTier, Limits> = {
  0: cnyLimits(0),
  1: cnyLimits(1),
  2: cnyLimits(2),
};

function cnyLimits(tier: KycTier): Limits {
  const m = must(DEFAULT_TIERS_MAJOR[tier].CNY, 'CNY tier limits');
  return {
    single: BigInt(m.single) * 100n,
    daily: BigInt(m.daily) * 100n,
    monthly: BigInt(m.monthly) * 100n,
    cap: BigInt(m.balanceCap) * 100n,
  };
}

/** Lucky red-packet (红包) amounts in fen: 6.66, 8.88, 16.80, 66, 88, 168, 188, 520, 666, 888, 1,688 CNY. */
const RED_PACKETS = [666, 888, 1_680, 6_600, 8_800, 16_800, 18_800, 52_000, 66_600, 88_800, 168_800];
const RED_PACKET_MEMOS = ['红包', '新年快乐', '恭喜发财', '压岁钱', 'Happy New Year'];
const SALARY_HOURS = [
  0, 0, 0, 0, 0, 0, 0, 0.3, 1, 1.4, 1.2, 0.8, 0.4, 0.2, 0.2, 0.2, 0.2, 0.2, 0, 0, 0, 0, 0, 0,
];
const REFUND_HOURS = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0.5, 1, 1, 1, 1, 1, 1, 1, 1, 0.8, 0.6, 0.4, 0.2, 0, 0];
/** Payees remembered per customer, at most. */
const PAYEES_MAX = 40;

interface WalletState {
  balance: bigint;
  /** Credits received today, usable from tomorrow in the model. */
  incoming: bigint;
  dayOut: bigint;
  monthOut: bigint;
  month: number;
  devices: string[];
  payees: number[] | null;
  lastAt: number;
  refunds: Map<number, Intent[]> | null;
}

export class DayWalker implements Scheduler {
  private readonly state: WalletState[];
  private readonly ids: SimIds;
  private readonly later = new Map<number, SimEvent[]>();
  private readonly setups = new Map<number, SimEvent[]>();
  private out: SimEvent[] = [];

  constructor(
    private readonly sim: TrafficSimulation,
    private readonly random: Random,
  ) {
    this.ids = sim.planIds.clone();
    this.state = sim.customers.slice(0, sim.ordinaryCount).map((c) => ({
      balance: 0n,
      incoming: 0n,
      dayOut: 0n,
      monthOut: 0n,
      month: -1,
      devices: c.devices,
      payees: null,
      lastAt: sim.start,
      refunds: null,
    }));
    this.planSetups();
  }

  /** Everything that happens on one local day, sorted by time (stable: ties keep generation order). */
  day(day: LocalDay): SimEvent[] {
    this.out = [...(this.setups.get(day.index) ?? [])];
    for (const st of this.state) {
      st.balance += st.incoming;
      st.incoming = 0n;
      st.dayOut = 0n;
      if (st.month !== day.month) {
        st.month = day.month;
        st.monthOut = 0n;
      }
    }
    for (let i = 0; i < this.sim.ordinaryCount; i++) {
      this.walk(must(this.sim.customers[i], 'customer'), must(this.state[i], 'wallet state'), day);
    }
    this.out.push(...this.sim.plannedOn(day.index), ...(this.later.get(day.index) ?? []));
    this.later.delete(day.index);
    this.ids.forget(day.index);
    const events = this.out;
    this.out = [];
    return events.sort((a, b) => a.at - b.at);
  }

  /** Follow-ups decided during the walk (a scammer cashing out what a drain brought). */
  schedule(event: ScheduledEvent): string | null {
    if (event.at > this.sim.end) return null;
    const day = this.sim.dayIndexOf(event.at);
    const simId = this.ids.next(day, event.customer);
    entry(this.later, day, (): SimEvent[] => []).push({ ...event, simId });
    return simId;
  }

  /** Opening events: at the stream start for accounts opened before it, else when opened. */
  private planSetups(): void {
    const { sim } = this;
    const add = (event: SimEvent) => {
      const day = sim.dayIndexOf(event.at);
      entry(this.setups, day, (): SimEvent[] => []).push(event);
    };
    for (const m of sim.merchants) {
      const at = Math.max(sim.start, m.openedAt);
      add({
        type: 'open_merchant',
        simId: `open.${m.simId}`,
        at,
        truth: sim.setupTruth.get(m.simId) ?? LEGIT,
        merchant: m.simId,
        name: m.name,
        feeBps: m.feeBps,
        openedAt: new Date(m.openedAt).toISOString(),
      });
    }
    for (const c of sim.customers) {
      const at = Math.max(sim.start, c.openedAt);
      add({
        type: 'open_customer',
        simId: `open.${c.simId}`,
        at,
        truth: sim.setupTruth.get(c.simId) ?? LEGIT,
        customer: c.simId,
        displayName: c.displayName,
        openedAt: new Date(c.openedAt).toISOString(),
        kycTier: c.kycTier,
        identity: { name: c.legalName, documentNumber: c.documentNumber },
      });
    }
  }

  private walk(c: SimCustomer, st: WalletState, day: LocalDay): void {
    const r = this.random.fork(`${c.index}:${day.index}`);
    const intents: Intent[] = [];
    this.ordinaryIntents(r, c, st, day, intents);
    intents.push(...this.sim.intentsOn(day.index, c.index));
    const refunds = st.refunds?.get(day.index);
    if (refunds) {
      intents.push(...refunds);
      st.refunds?.delete(day.index);
    }
    intents.sort((a, b) => a.at - b.at);
    const region = travelling(c, day) ? c.hometown : c.region;
    const usual = () => usualPresence(r, c, st.devices, region);
    for (const it of intents) this.materialize(r, c, st, day, it, usual);
  }

  private ordinaryIntents(
    r: Random,
    c: SimCustomer,
    st: WalletState,
    day: LocalDay,
    intents: Intent[],
  ): void {
    const previous = this.sim.days[day.index - 1];
    const salary = isSalaryDay(day, c.salaryDay);
    // Payday: the salary arrives in the morning and spending picks up that day and the next.
    const boost = salary ? 1.5 : previous !== undefined && isSalaryDay(previous, c.salaryDay) ? 1.2 : 1;
    const at = (hours: readonly number[], shift = c.hourShift) => timeIn(r, day, hours, shift);
    if (salary) {
      const t = at(SALARY_HOURS, 0);
      if (t !== null) intents.push({ kind: 'topup', at: t, amountMinor: c.salaryMinor, truth: LEGIT });
    }
    CATEGORIES.forEach((category, ci) => {
      const rate = c.paymentsPerDay * (c.categoryShares[ci] ?? 0) * paymentFactor(day, category) * boost;
      const n = r.poisson(rate);
      for (let k = 0; k < n; k++) {
        const t = at(paymentHours(day, category));
        const favourite = c.favourites[ci];
        const merchant =
          favourite !== undefined && r.chance(0.65) ? favourite : this.sim.merchantTables.draw(r, category);
        if (t === null || merchant === undefined) continue;
        let amount = paymentMinor(r, c, category);
        if (category === 'ecommerce' && day.singlesOffset === 0) amount = Math.round(amount * 1.6);
        if (day.springOffset !== null && day.springOffset < 0 && category === 'grocery') amount *= 2;
        const profile = CATEGORY_PROFILES[category];
        intents.push({
          kind: 'payment',
          at: t,
          merchant,
          amountMinor: BigInt(amount),
          refundChance: profile.refundChance,
          refundDaysMax: Math.max(1, profile.refundDaysMax),
        });
      }
    });
    const transfers = r.poisson(c.transfersPerDay * transferFactor(day));
    const red = redPacketShare(day);
    for (let k = 0; k < transfers; k++) {
      const t = at(transferHours(day));
      const to = this.payee(r, c, st);
      if (t === null || to === undefined) continue;
      const family = c.family.includes(to.index);
      const isRed = r.chance(red);
      const amount = isRed ? r.pick(RED_PACKETS) : transferAmountMinor(r, family && r.chance(0.5));
      const memo = isRed
        ? r.pick(RED_PACKET_MEMOS)
        : r.chance(0.4)
          ? null
          : r.pick(family ? FAMILY_MEMOS : r.chance(0.7) ? TRANSFER_MEMOS_ZH : TRANSFER_MEMOS_EN);
      intents.push({
        kind: 'transfer',
        at: t,
        to,
        amountMinor: BigInt(amount),
        memo,
        truth: LEGIT,
        force: false,
      });
    }
    const head = c.family.length > 0 && c.family.every((m) => m > c.index);
    if (salary && head && c.kycTier >= 1) {
      for (const m of c.family) {
        const member = must(this.sim.customers[m], 'family member');
        const t = at(TRANSFER_HOURS, 0);
        if (t === null || member.kycTier === 0 || !r.chance(0.7)) continue;
        const amount = BigInt(r.int(2, 20)) * 10_000n;
        intents.push({
          kind: 'transfer',
          at: t,
          to: member,
          amountMinor: amount,
          memo: r.pick(FAMILY_MEMOS),
          truth: LEGIT,
          force: false,
        });
      }
    }
    if (r.chance(c.saver ? 0.04 : 0.006)) {
      const t = at(FUNDING_HOURS, 0);
      if (t !== null) intents.push({ kind: 'withdrawal', at: t, share: 0.3 + r.next() * 0.3 });
    }
    const logins = r.poisson(c.loginsPerDay);
    for (let k = 0; k < logins; k++) {
      const t = at(TRANSFER_HOURS);
      if (t === null) continue;
      if (r.chance(0.03)) intents.push(accountIntent(t - r.int(1, 3) * MINUTE_MS, 'login', 'failed'));
      intents.push(accountIntent(t, 'login', 'attempt'));
    }
    for (const special of this.sim.specials.get(day.index)?.get(c.index) ?? []) {
      const t = at(DAY_HOURS, 0);
      if (t === null) continue;
      switch (special) {
        case 'device_change': {
          // A new phone: it signs in, reports the change, and is the main phone from then on.
          const phone = deviceId(r);
          intents.push({ ...accountIntent(t - MINUTE_MS, 'login', 'attempt'), newDevice: phone });
          intents.push({ ...accountIntent(t, 'device_change', 'attempt'), newDevice: phone });
          break;
        }
        case 'card_binding':
          if (r.chance(0.15)) intents.push(accountIntent(t - 2 * MINUTE_MS, 'card_binding', 'failed'));
          intents.push(accountIntent(t, 'card_binding', 'attempt'));
          break;
        case 'password_change':
        case 'bank_account_binding':
          intents.push(accountIntent(t, special, 'attempt'));
          break;
        case 'new_payee_large': {
          // Rent and deposits: a legitimate large first transfer to someone new, in the daytime.
          const to = this.stranger(r, c);
          const amount = BigInt(
            Math.min(2_000_000, Math.max(300_000, Math.round(r.lognormal(6_000, 0.5)) * 100)),
          );
          if (to)
            intents.push({
              kind: 'transfer',
              at: t,
              to,
              amountMinor: amount,
              memo: r.pick(['房租', '押金', 'deposit', null]),
              truth: LEGIT,
              force: false,
            });
          break;
        }
        default: {
          const exhaustive: never = special;
          throw new Error(`unknown special ${String(exhaustive)}`);
        }
      }
    }
  }

  private materialize(
    r: Random,
    c: SimCustomer,
    st: WalletState,
    day: LocalDay,
    it: Intent,
    usual: () => Presence,
  ): void {
    const limits = LIMITS[c.kycTier];
    const t = Math.max(it.at, st.lastAt + 1_000, day.from);
    if (t >= day.to) return;
    switch (it.kind) {
      case 'topup': {
        const amount = floorTo(min(it.amountMinor, limits.single, room(st, limits)), 10_000n);
        if (amount < 10_000n) return;
        this.emit(c, st, day, {
          type: 'topup',
          at: t,
          truth: it.truth,
          customer: c.simId,
          amountMinor: amount,
          currency: 'CNY',
          context: ctx(usual(), t),
        });
        st.balance += amount;
        return;
      }
      case 'payment': {
        const amount = min(it.amountMinor, limits.single);
        if (!withinLimits(st, limits, amount)) return;
        const payAt = this.fund(r, c, st, day, t, amount, usual);
        if (payAt === null) return;
        const refund = r.chance(it.refundChance) ? this.refundSlot(r, day, it.refundDaysMax, payAt) : null;
        const payment = this.emit(c, st, day, {
          type: 'payment',
          at: payAt,
          truth: LEGIT,
          customer: c.simId,
          merchant: must(this.sim.merchants[it.merchant], 'merchant').simId,
          amountMinor: amount,
          currency: 'CNY',
          orderRef: orderRef(r),
          refundable: refund !== null,
          context: ctx(usual(), payAt),
        });
        debit(st, amount);
        if (refund) {
          const partial = r.chance(0.3);
          const refundMinor = partial ? max(1n, share(amount, 0.3 + r.next() * 0.5)) : amount;
          st.refunds ??= new Map();
          const list = st.refunds.get(refund.day) ?? [];
          list.push({
            kind: 'refund',
            at: refund.at,
            payment,
            merchant: it.merchant,
            amountMinor: refundMinor,
            reason: r.pick(REFUND_REASONS),
          });
          st.refunds.set(refund.day, list);
        }
        return;
      }
      case 'transfer': {
        const amount = it.force ? it.amountMinor : min(it.amountMinor, limits.single);
        const payee = it.to.role === 'ordinary' ? this.state[it.to.index] : undefined;
        if (!it.force) {
          if (!withinLimits(st, limits, amount)) return;
          if (payee && payee.balance + payee.incoming + amount > (LIMITS[it.to.kycTier].cap * 9n) / 10n)
            return;
        }
        const sendAt = this.fund(r, c, st, day, t, amount, usual) ?? (it.force ? t : null);
        if (sendAt === null) return;
        this.emit(c, st, day, {
          type: 'transfer',
          at: sendAt,
          truth: it.truth,
          customer: c.simId,
          to: it.to.simId,
          amountMinor: amount,
          currency: 'CNY',
          memo: it.memo,
          context: ctx(usual(), sendAt),
        });
        debit(st, amount);
        if (payee) payee.incoming += amount;
        return;
      }
      case 'withdrawal': {
        let amount = floorTo(share(st.balance, it.share), 10_000n);
        amount = min(amount, limits.single, limits.daily - st.dayOut, limits.monthly - st.monthOut);
        if (amount < 10_000n) return;
        this.emit(c, st, day, {
          type: 'withdrawal',
          at: t,
          truth: LEGIT,
          customer: c.simId,
          amountMinor: bankSafe(amount),
          currency: 'CNY',
          bankAccount: { accountNumber: c.bankAccountNumber, holderName: c.displayName },
          context: ctx(usual(), t),
        });
        debit(st, amount);
        return;
      }
      case 'account': {
        let presence = it.presence ?? usual();
        if (it.newDevice !== undefined) {
          presence = { ...presence, deviceId: it.newDevice };
          if (it.event === 'device_change') st.devices = [it.newDevice, ...st.devices].slice(0, 2);
        }
        this.emit(c, st, day, {
          type: 'account',
          at: t,
          truth: it.truth,
          customer: c.simId,
          event: it.event,
          result: it.result,
          context: ctx(presence, t),
        });
        return;
      }
      case 'refund': {
        const merchant = must(this.sim.merchants[it.merchant], 'merchant');
        this.emit(c, st, day, {
          type: 'refund',
          at: t,
          truth: LEGIT,
          customer: c.simId,
          merchant: merchant.simId,
          payment: it.payment,
          amountMinor: it.amountMinor,
          currency: 'CNY',
          reason: it.reason,
          context: ctx({ ...merchant.presence, channel: 'api' }, t),
        });
        st.incoming += it.amountMinor;
        return;
      }
      case 'drain': {
        this.drain(r, c, st, day, t, it);
        return;
      }
      default: {
        const exhaustive: never = it;
        throw new Error(`unknown intent ${String(exhaustive)}`);
      }
    }
  }

  /** Takes most of the balance from the attacker's phone, in pieces under the single and daily limits. */
  private drain(
    r: Random,
    c: SimCustomer,
    st: WalletState,
    day: LocalDay,
    t: number,
    it: Extract<Intent, { kind: 'drain' }>,
  ): void {
    const limits = LIMITS[c.kycTier];
    const total = max(100n, min(share(st.balance, it.share), limits.daily - st.dayOut));
    const pieces = min(4n, (total + limits.single - 1n) / limits.single);
    let left = total;
    let at = t;
    let lastAt = t;
    let drained = 0n;
    for (let i = 0n; i < pieces && at < day.to; i++) {
      const piece = i === pieces - 1n ? left : total / pieces;
      left -= piece;
      const base = {
        at,
        truth: it.truth,
        customer: c.simId,
        currency: 'CNY' as const,
        context: ctx(it.presence, at),
      };
      if (it.via.kind === 'withdrawal') {
        this.emit(c, st, day, {
          ...base,
          type: 'withdrawal',
          amountMinor: bankSafe(piece),
          bankAccount: { accountNumber: it.via.accountNumber, holderName: c.displayName },
        });
      } else {
        this.emit(c, st, day, {
          ...base,
          type: 'transfer',
          amountMinor: piece,
          to: it.via.to.simId,
          memo: null,
        });
      }
      drained += piece;
      lastAt = at;
      at += r.int(2, 10) * MINUTE_MS;
    }
    debit(st, drained);
    it.onDrained?.(this, drained, lastAt);
  }

  /**
   * Makes sure the wallet holds `amount` at `t`: if not, a top-up of what is missing and a
   * little more goes first, a few minutes earlier. Returns when the debit can follow, or
   * null when the limits do not allow the top-up.
   */
  private fund(
    r: Random,
    c: SimCustomer,
    st: WalletState,
    day: LocalDay,
    t: number,
    amount: bigint,
    usual: () => Presence,
  ): number | null {
    if (st.balance >= amount) return t;
    const limits = LIMITS[c.kycTier];
    const short = amount - st.balance;
    const buffer = BigInt(Math.max(20_000, c.typicalMinor * 8));
    const topup = min(ceilTo(short + buffer, 10_000n), limits.single, floorTo(room(st, limits), 10_000n));
    if (topup < short) return null;
    const topupAt = Math.max(st.lastAt + 1_000, day.from, t - r.int(2, 25) * MINUTE_MS);
    const debitAt = Math.max(t, topupAt + 30_000);
    if (debitAt >= day.to) return null;
    this.emit(c, st, day, {
      type: 'topup',
      at: topupAt,
      truth: LEGIT,
      customer: c.simId,
      amountMinor: topup,
      currency: 'CNY',
      context: ctx(usual(), topupAt),
    });
    st.balance += topup;
    return debitAt;
  }

  private refundSlot(
    r: Random,
    day: LocalDay,
    daysMax: number,
    paidAt: number,
  ): { day: number; at: number } | null {
    const target = this.sim.days[day.index + r.int(1, daysMax)];
    if (!target) return null;
    const at = timeIn(r, target, REFUND_HOURS, 0);
    return at === null || at <= paidAt ? null : { day: target.index, at };
  }

  private emit(c: SimCustomer, st: WalletState, day: LocalDay, event: ScheduledEvent): string {
    const simId = this.ids.next(day.index, c.simId);
    this.out.push({ ...event, simId });
    st.lastAt = event.at;
    return simId;
  }

  /** Someone the customer sends money to: family, a friend, now and then someone new. */
  private payee(r: Random, c: SimCustomer, st: WalletState): SimCustomer | undefined {
    st.payees ??= [...c.family, ...c.friends];
    if (st.payees.length === 0 || r.chance(0.06)) {
      const someone = this.stranger(r, c);
      if (someone && st.payees.length < PAYEES_MAX) st.payees.push(someone.index);
      return someone;
    }
    const pool = c.family.length > 0 && r.chance(0.45) ? c.family : st.payees;
    const to = this.sim.customers[r.pick(pool)];
    return to && to.kycTier >= 1 ? to : undefined;
  }

  private stranger(r: Random, c: SimCustomer): SimCustomer | undefined {
    for (let tries = 0; tries < 5; tries++) {
      const other = this.sim.customers[r.int(0, this.sim.ordinaryCount - 1)];
      if (other && other.index !== c.index && other.kycTier >= 1) return other;
    }
    return undefined;
  }
}

function accountIntent(
  at: number,
  event: 'login' | 'device_change' | 'card_binding' | 'password_change' | 'bank_account_binding',
  result: 'attempt' | 'failed',
): Extract<Intent, { kind: 'account' }> {
  return { kind: 'account', at, event, result, truth: LEGIT };
}

/** Home for the Spring Festival: from a few days before New Year's Day to a few after. */
function travelling(c: SimCustomer, day: LocalDay): boolean {
  return (
    c.hometown !== c.region && day.springOffset !== null && day.springOffset >= -3 && day.springOffset <= 4
  );
}

/** A time on `day` in an hour drawn from `hours` (shifted), or null when it falls outside the stream. */
function timeIn(r: Random, day: LocalDay, hours: readonly number[], shift: number): number | null {
  const hour = (r.weighted(hours) + shift + 24) % 24;
  const at = day.midnight + hour * HOUR_MS + r.int(0, HOUR_MS - 1);
  return at < day.from || at >= day.to ? null : at;
}

function withinLimits(st: WalletState, limits: Limits, amount: bigint): boolean {
  return st.dayOut + amount <= limits.daily && st.monthOut + amount <= limits.monthly;
}

function room(st: WalletState, limits: Limits): bigint {
  return (limits.cap * 9n) / 10n - st.balance - st.incoming;
}

function debit(st: WalletState, amount: bigint): void {
  st.balance = st.balance > amount ? st.balance - amount : 0n;
  st.dayOut += amount;
  st.monthOut += amount;
}

function min(...xs: bigint[]): bigint {
  return xs.reduce((a, b) => (b < a ? b : a));
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

function floorTo(x: bigint, unit: bigint): bigint {
  return x <= 0n ? 0n : (x / unit) * unit;
}

function ceilTo(x: bigint, unit: bigint): bigint {
  return ((x + unit - 1n) / unit) * unit;
}
