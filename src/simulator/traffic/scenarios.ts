import type { KycTier } from '../../identity/tiers.ts';
import type { Random } from '../random.ts';
import {
  type AccountEventType,
  DAY_MS,
  HOUR_MS,
  LEGIT,
  MINUTE_MS,
  must,
  type Scenario,
  type SimContext,
  type SimEvent,
  type Truth,
} from './model.ts';
import {
  cardNumber,
  deviceId,
  netIn,
  type Presence,
  pickRegion,
  type Role,
  type SimCustomer,
  type SimMerchant,
  strangerPresence,
} from './population.ts';

/**
 * The injected attacks. Each planner draws one incident: the scenario accounts it needs
 * (mules, scammers, shills…), the events those accounts make (scheduled with fixed times
 * and amounts), and the intents it gives ordinary customers (a victim's transfer, a
 * drain from a taken-over wallet), which the generator fits into that customer's day so
 * that money is there. Every event of an incident carries the incident's truth.
 */

/** Something an ordinary customer is to do; the generator turns it into events against its balance model. */
export type Intent =
  | { kind: 'topup'; at: number; amountMinor: bigint; truth: Truth }
  | {
      kind: 'payment';
      at: number;
      merchant: number;
      amountMinor: bigint;
      refundChance: number;
      refundDaysMax: number;
    }
  | {
      kind: 'transfer';
      at: number;
      to: SimCustomer;
      amountMinor: bigint;
      memo: string | null;
      truth: Truth;
      /** Scenario transfers go ahead whatever the limits say (the victim insists). */
      force: boolean;
    }
  | { kind: 'withdrawal'; at: number; share: number }
  | {
      kind: 'account';
      at: number;
      event: AccountEventType;
      result: 'attempt' | 'failed';
      truth: Truth;
      presence?: Presence;
      /** A device_change switches the customer to this phone from now on. */
      newDevice?: string;
    }
  | { kind: 'refund'; at: number; payment: string; merchant: number; amountMinor: bigint; reason: string }
  | {
      kind: 'drain';
      at: number;
      truth: Truth;
      presence: Presence;
      /** Share of the balance taken. */
      share: number;
      via: { kind: 'withdrawal'; accountNumber: string } | { kind: 'transfer'; to: SimCustomer };
      /** Called with what was drained and when the last piece left, to schedule the cash-out. */
      onDrained?: (run: Scheduler, drainedMinor: bigint, lastAt: number) => void;
    };

type WithoutId<T> = T extends unknown ? Omit<T, 'simId'> : never;
/** An event of a customer's lane, before it gets its sim id (openings are made by the generator). */
export type ScheduledEvent = WithoutId<Exclude<SimEvent, { type: 'open_customer' | 'open_merchant' }>>;

export interface Scheduler {
  /** Schedules an event; returns its sim id, or null when it falls after the end of the stream. */
  schedule(event: ScheduledEvent): string | null;
}

export interface ScenarioPlanner extends Scheduler {
  readonly start: number;
  readonly end: number;
  readonly structuringThresholdMinor: bigint;
  readonly mulePayersMin: number;
  /** An ordinary customer passing the test, preferably one not yet in an incident; marked as involved. */
  victim(random: Random, test: (c: SimCustomer) => boolean): SimCustomer;
  /** A scenario account opened at `openedAt`, with its own phone and address. */
  account(random: Random, role: Role, openedAt: number, kycTier: KycTier, truth: Truth): SimCustomer;
  merchant(random: Random, openedAt: number, truth: Truth): SimMerchant;
  /** An ordinary online shop, where stolen money gets spent. */
  shop(random: Random): SimMerchant;
  intent(customer: SimCustomer, intent: Intent): void;
  /** A time for an incident lasting `spanMs`, in an hour drawn from `hours`, inside the stream. */
  time(random: Random, spanMs: number, hours: readonly number[]): number;
}

export interface IncidentInfo {
  id: string;
  scenario: Scenario;
  at: number;
  /** Sim ids of the customers and merchants taking part (victims included). */
  parties: string[];
}

export const NIGHT_HOURS: readonly number[] = [
  3, 3, 2.5, 2, 1.5, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3,
];
export const DAY_HOURS: readonly number[] = [
  0, 0, 0, 0, 0, 0, 0, 0.3, 0.8, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.8, 0.4, 0.1,
];
const BUSINESS_HOURS: readonly number[] = [
  0, 0, 0, 0, 0, 0, 0, 0, 0.4, 1, 1, 1, 0.6, 1, 1, 1, 1, 0.6, 0.2, 0, 0, 0, 0, 0,
];
const EVENING_HOURS: readonly number[] = [
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.3, 0.5, 0.7, 1, 1, 1.2, 1.3, 1.2, 0.6, 0.2,
];

/** Largest piece moved at once: below the fully verified single limit of 50,000 CNY. */
const PIECE_MAX_MINOR = 4_900_000n;

export const PLANNERS: Record<Scenario, (p: ScenarioPlanner, r: Random, truth: Truth) => string[]> = {
  account_takeover: accountTakeover,
  phishing_victim: phishingVictim,
  mule_ring: muleRing,
  card_testing: cardTesting,
  brushing_merchant: brushingMerchant,
  structuring,
  round_tripping: roundTripping,
};

export const INCIDENT_PREFIX: Record<Scenario, string> = {
  account_takeover: 'ato',
  phishing_victim: 'phish',
  mule_ring: 'mule',
  card_testing: 'card',
  brushing_merchant: 'brush',
  structuring: 'struct',
  round_tripping: 'round',
};

/**
 * Stolen credentials: failed sign-ins and a sign-in from a phone in another region, the
 * password (and often the phone number) changed, then within hours most of the balance
 * leaves from that phone, withdrawn to the attacker's card or sent to a fresh account.
 */
function accountTakeover(p: ScenarioPlanner, r: Random, truth: Truth): string[] {
  const victim = p.victim(r, (c) => c.kycTier >= 1);
  const attacker = strangerPresence(r, victim.region);
  const t0 = p.time(r, 7 * HOUR_MS, r.chance(0.55) ? NIGHT_HOURS : DAY_HOURS);
  // The savings the attacker is after: the victim's own top-up a few days earlier.
  const fundAt = t0 - r.int(1, 4) * DAY_MS - r.int(0, 6) * HOUR_MS;
  if (fundAt > p.start) {
    p.intent(victim, { kind: 'topup', at: fundAt, amountMinor: victim.salaryMinor, truth: LEGIT });
  }
  const failures = r.int(0, 3);
  for (let i = failures; i >= 1; i--) {
    p.intent(victim, account(t0 - i * r.int(1, 4) * MINUTE_MS, 'login', 'failed', truth, attacker));
  }
  p.intent(victim, account(t0, 'login', 'attempt', truth, attacker));
  const passwordAt = t0 + r.int(2, 15) * MINUTE_MS;
  p.intent(victim, account(passwordAt, 'password_change', 'attempt', truth, attacker));
  if (r.chance(0.5)) {
    p.intent(
      victim,
      account(passwordAt + r.int(1, 10) * MINUTE_MS, 'phone_change', 'attempt', truth, attacker),
    );
  }
  const drainAt = passwordAt + r.int(20, 240) * MINUTE_MS;
  const parties = [victim.simId];
  if (r.chance(0.65)) {
    p.intent(victim, {
      kind: 'drain',
      at: drainAt,
      truth,
      presence: attacker,
      share: 0.85 + r.next() * 0.12,
      via: { kind: 'withdrawal', accountNumber: cardNumber(r) },
    });
  } else {
    const sink = p.account(r, 'sink', drainAt - r.int(1, 5) * DAY_MS - r.int(0, 20) * HOUR_MS, 2, truth);
    parties.push(sink.simId);
    const cashOut = r.fork('cash-out');
    p.intent(victim, {
      kind: 'drain',
      at: drainAt,
      truth,
      presence: attacker,
      share: 0.85 + r.next() * 0.12,
      via: { kind: 'transfer', to: sink },
      onDrained: (run, drained, lastAt) => {
        const rr = cashOut.fork('run');
        withdrawInPieces(run, rr, sink, lastAt + rr.int(30, 120) * MINUTE_MS, share(drained, 0.95), truth);
      },
    });
  }
  return parties;
}

/**
 * A scam victim sends a large first transfer (5,000 CNY or more), often at night, to an
 * account opened days ago; sometimes a second "fee" follows. The scammer cashes out within hours.
 */
function phishingVictim(p: ScenarioPlanner, r: Random, truth: Truth): string[] {
  const victim = p.victim(r, (c) => c.kycTier === 2);
  const t0 = p.time(r, 5 * HOUR_MS, r.chance(0.7) ? NIGHT_HOURS : EVENING_HOURS);
  const scammer = p.account(r, 'scammer', t0 - r.int(1, 6) * DAY_MS - r.int(0, 20) * HOUR_MS, 2, truth);
  const memo = r.pick(['安全账户', '解冻保证金', '投资款', '刷单返佣', 'customs fee', null]);
  const first = clamp(round100(r.lognormal(1_200_000, 0.6)), 500_000n, PIECE_MAX_MINOR);
  p.intent(victim, { kind: 'transfer', at: t0, to: scammer, amountMinor: first, memo, truth, force: true });
  let total = first;
  let last = t0;
  if (r.chance(0.35)) {
    const second = clamp(round100(Number(first) * (0.3 + r.next() * 0.7)), 100_000n, PIECE_MAX_MINOR);
    last = t0 + r.int(8, 50) * MINUTE_MS;
    p.intent(victim, {
      kind: 'transfer',
      at: last,
      to: scammer,
      amountMinor: second,
      memo,
      truth,
      force: true,
    });
    total += second;
  }
  withdrawInPieces(
    p,
    r,
    scammer,
    last + r.int(40, 180) * MINUTE_MS,
    share(total, 0.9 + r.next() * 0.08),
    truth,
  );
  return [victim.simId, scammer.simId];
}

/**
 * Fan-in, fan-out: a few young mule accounts each collect from many different payers
 * within a day, then pass most of it on within hours (cash withdrawals and transfers to
 * the ring's collector, who cashes out in turn).
 */
function muleRing(p: ScenarioPlanner, r: Random, truth: Truth): string[] {
  const t0 = p.time(r, 34 * HOUR_MS, DAY_HOURS);
  const collector = p.account(r, 'collector', t0 - r.int(5, 30) * DAY_MS, 2, truth);
  const herderDevice = deviceId(r);
  const shared = r.chance(0.5);
  const parties = [collector.simId];
  let collected = 0n;
  let collectedLast = t0;
  const mules = r.int(3, 5);
  for (let m = 0; m < mules; m++) {
    const mule = p.account(r, 'mule', t0 - r.int(2, 14) * DAY_MS - r.int(0, 20) * HOUR_MS, 2, truth);
    if (shared) mule.devices = [herderDevice];
    parties.push(mule.simId);
    let received = 0n;
    let last = t0;
    const payers = p.mulePayersMin + r.int(0, 6);
    const memo = r.pick(['货款', '代购', '定金', '借款', 'order', null]);
    for (let k = 0; k < payers; k++) {
      const payer = p.victim(r, (c) => c.kycTier >= 1);
      parties.push(payer.simId);
      const at = t0 + r.int(0, 20 * 60) * MINUTE_MS + r.int(0, MINUTE_MS - 1);
      const amount = clamp(BigInt(Math.round(r.lognormal(150_000, 0.7) / 1_000) * 1_000), 20_000n, 800_000n);
      p.intent(payer, { kind: 'transfer', at, to: mule, amountMinor: amount, memo, truth, force: true });
      received += amount;
      last = Math.max(last, at);
    }
    const out = share(received, 0.85 + r.next() * 0.1);
    const pieces = Math.max(r.int(2, 4), Number((out + PIECE_MAX_MINOR - 1n) / PIECE_MAX_MINOR));
    let at = last + r.int(10, 120) * MINUTE_MS;
    let left = out;
    for (let i = 0; i < pieces; i++) {
      const amount = i === pieces - 1 ? left : out / BigInt(pieces);
      left -= amount;
      if (r.chance(0.6)) {
        p.schedule(withdrawal(mule, at, amount, truth));
      } else if (p.schedule(transfer(mule, collector, at, amount, truth, memo)) !== null) {
        collected += amount;
        collectedLast = Math.max(collectedLast, at);
      }
      at += r.int(5, 40) * MINUTE_MS;
    }
  }
  if (collected > 0n) {
    const cashOut = clamp(share(collected, 0.9 + r.next() * 0.08), 1n, 19_000_000n);
    withdrawInPieces(p, r, collector, collectedLast + r.int(60, 240) * MINUTE_MS, cashOut, truth);
  }
  return parties;
}

/**
 * Stolen cards tried out: within an hour, failed card bindings and a run of small
 * top-ups (under 10 CNY; some declined by the bank), sometimes spent on a shop at once.
 */
function cardTesting(p: ScenarioPlanner, r: Random, truth: Truth): string[] {
  const t0 = p.time(r, 2 * HOUR_MS, r.chance(0.4) ? NIGHT_HOURS : DAY_HOURS);
  const tester = p.account(
    r,
    'card_tester',
    t0 - r.int(10, 72 * 60) * MINUTE_MS,
    r.chance(0.5) ? 0 : 1,
    truth,
  );
  const presence = strangerPresence(r, tester.region);
  tester.devices = [presence.deviceId];
  const times: number[] = [];
  const failures = r.int(3, 6);
  const topups = r.int(6, 14);
  let credited = 0n;
  for (let i = 0; i < failures + topups + 1; i++) times.push(t0 + r.int(0, 55 * 60) * 1_000);
  times.sort((a, b) => a - b);
  const kinds: Array<'bind' | 'bound' | 'topup'> = [];
  for (let i = 0; i < failures; i++) kinds.push('bind');
  kinds.push('bound');
  for (let i = 0; i < topups; i++) kinds.push('topup');
  shuffle(r, kinds);
  kinds.forEach((kind, i) => {
    const at = times[i] ?? t0;
    if (kind === 'topup') {
      const declined = r.chance(0.2);
      const amount = declined ? BigInt(r.int(1, 9) * 100 + 13) : BigInt(r.int(100, 999));
      if (!declined && amount % 100n !== 13n && amount % 100n !== 14n) credited += amount;
      p.schedule({
        type: 'topup',
        at,
        truth,
        customer: tester.simId,
        amountMinor: amount,
        currency: 'CNY',
        context: ctx(presence, at),
      });
    } else {
      const result = kind === 'bind' ? 'failed' : 'attempt';
      p.schedule({
        type: 'account',
        at,
        truth,
        customer: tester.simId,
        event: 'card_binding',
        result,
        context: ctx(presence, at),
      });
    }
  });
  if (r.chance(0.4) && credited > 200n) {
    const at = t0 + r.int(58, 90) * MINUTE_MS;
    const merchant = p.shop(r);
    p.schedule({
      type: 'payment',
      at,
      truth,
      customer: tester.simId,
      merchant: merchant.simId,
      amountMinor: share(credited, 0.7),
      currency: 'CNY',
      orderRef: orderRef(r),
      refundable: false,
      context: ctx(presence, at),
    });
  }
  return [tester.simId];
}

/**
 * Fake sales: a young merchant receives payment after payment of one amount from a few
 * new accounts sharing a phone or an address, within the hour; most are refunded days later.
 */
function brushingMerchant(p: ScenarioPlanner, r: Random, truth: Truth): string[] {
  const t0 = p.time(r, 3 * HOUR_MS, EVENING_HOURS);
  const merchant = p.merchant(r, t0 - r.int(3, 20) * DAY_MS, truth);
  const devices = [deviceId(r)];
  if (r.chance(0.5)) devices.push(deviceId(r));
  const farmRegion = pickRegion(r);
  const farmNet = netIn(r, farmRegion);
  const farmHost = r.int(2, 254);
  const shills: SimCustomer[] = [];
  const count = r.int(4, 6);
  for (let i = 0; i < count; i++) {
    const shill = p.account(r, 'shill', t0 - r.int(1, 10) * DAY_MS - r.int(0, 20) * HOUR_MS, 1, truth);
    shill.devices = [devices[i % devices.length] ?? deviceId(r)];
    shill.region = farmRegion;
    shill.homeNet = farmNet;
    shill.homeHost = r.chance(0.7) ? farmHost : r.int(2, 254);
    shills.push(shill);
  }
  const amount = BigInt(r.pick([3_990, 5_800, 9_900, 12_800, 19_900, 29_900]));
  const rounds = r.chance(0.5) ? 2 : 1;
  let roundAt = t0;
  for (let round = 0; round < rounds; round++) {
    const payments = r.int(8, 16);
    const perShill = new Map<SimCustomer, number>();
    const order: SimCustomer[] = [];
    for (let i = 0; i < payments; i++) {
      const shill = shills[i < shills.length ? i : r.int(0, shills.length - 1)] ?? shills[0];
      if (!shill) break;
      order.push(shill);
      perShill.set(shill, (perShill.get(shill) ?? 0) + 1);
    }
    for (const [shill, n] of perShill) {
      const at = roundAt - r.int(5, 30) * MINUTE_MS;
      const topup = ((BigInt(n) * amount) / 10_000n + 1n) * 10_000n;
      p.schedule({
        type: 'topup',
        at,
        truth,
        customer: shill.simId,
        amountMinor: topup,
        currency: 'CNY',
        context: ctx(home(shill), at),
      });
    }
    const offsets = order.map(() => r.int(0, 50 * 60) * 1_000).sort((a, b) => a - b);
    order.forEach((shill, i) => {
      const at = roundAt + (offsets[i] ?? 0);
      const refundAt = at + r.int(20, 72) * HOUR_MS;
      const refunded = r.chance(0.8) && refundAt <= p.end;
      const payment = p.schedule({
        type: 'payment',
        at,
        truth,
        customer: shill.simId,
        merchant: merchant.simId,
        amountMinor: amount,
        currency: 'CNY',
        orderRef: orderRef(r),
        refundable: refunded,
        context: ctx(home(shill), at),
      });
      if (payment !== null && refunded) {
        p.schedule({
          type: 'refund',
          at: refundAt,
          truth,
          customer: shill.simId,
          merchant: merchant.simId,
          payment,
          amountMinor: amount,
          currency: 'CNY',
          reason: r.pick(['订单取消', '退货退款', 'order cancelled']),
          context: ctx({ ...merchant.presence, channel: 'api' }, refundAt),
        });
      }
    });
    roundAt += r.int(1, 3) * DAY_MS + r.int(-3, 3) * HOUR_MS;
  }
  return [merchant.simId, ...shills.map((s) => s.simId)];
}

/**
 * Cash kept under a reporting threshold: over several days, top-ups and withdrawals or
 * transfers each just below it (49,000–49,999.99 CNY against 50,000), the counterpart
 * withdrawing what it receives the same way.
 */
function structuring(p: ScenarioPlanner, r: Random, truth: Truth): string[] {
  const days = r.int(3, 5);
  const t0 = p.time(r, (days - 1) * DAY_MS + 10 * HOUR_MS, BUSINESS_HOURS);
  const launderer = p.account(r, 'launderer', p.start - r.int(60, 400) * DAY_MS, 2, truth);
  const counterpart = p.account(r, 'launderer', p.start - r.int(60, 400) * DAY_MS, 2, truth);
  const threshold = p.structuringThresholdMinor;
  const below = () => threshold - BigInt(r.int(1, 99_999));
  let balance = 0n;
  for (let d = 0; d < days; d++) {
    let at = t0 + d * DAY_MS + r.int(-60, 60) * MINUTE_MS;
    const ins = r.int(1, 2);
    for (let i = 0; i < ins; i++) {
      const amount = below();
      if (
        p.schedule({
          type: 'topup',
          at,
          truth,
          customer: launderer.simId,
          amountMinor: amount,
          currency: 'CNY',
          context: ctx(home(launderer), at),
        }) !== null
      ) {
        balance += amount;
      }
      at += r.int(30, 120) * MINUTE_MS;
    }
    const outs = r.int(1, ins);
    for (let i = 0; i < outs; i++) {
      at += r.int(60, 180) * MINUTE_MS;
      const want = below();
      const amount = want < balance ? want : balance;
      if (amount <= threshold - 100_000n) break;
      if (r.chance(0.5)) {
        if (p.schedule(withdrawal(launderer, at, amount, truth)) !== null) balance -= amount;
      } else if (
        p.schedule(transfer(launderer, counterpart, at, amount, truth, r.pick(['货款', '借款', null]))) !==
        null
      ) {
        balance -= amount;
        p.schedule(withdrawal(counterpart, at + r.int(60, 300) * MINUTE_MS, amount, truth));
      }
    }
  }
  return [launderer.simId, counterpart.simId];
}

/** Money going round: A → B → C → A within a few hours, a little kept at each hop. */
function roundTripping(p: ScenarioPlanner, r: Random, truth: Truth): string[] {
  const [a, b, c] = [0, 1, 2].map(() =>
    p.account(r, 'round_tripper', p.start - r.int(30, 300) * DAY_MS, 2, truth),
  );
  if (!a || !b || !c) return [];
  const cycles = r.int(1, 3);
  for (let k = 0; k < cycles; k++) {
    const t = p.time(r, 4 * HOUR_MS, BUSINESS_HOURS);
    const x = BigInt(r.int(80, 450)) * 10_000n;
    const memo = r.pick(['货款', '咨询费', '还款', 'consulting fee', null]);
    const fundAt = t - r.int(10, 60) * MINUTE_MS;
    p.schedule({
      type: 'topup',
      at: fundAt,
      truth,
      customer: a.simId,
      amountMinor: x,
      currency: 'CNY',
      context: ctx(home(a), fundAt),
    });
    const y = share(x, 0.97 + r.next() * 0.03);
    const z = share(y, 0.97 + r.next() * 0.03);
    const atB = t + r.int(5, 60) * MINUTE_MS;
    const atC = atB + r.int(5, 60) * MINUTE_MS;
    p.schedule(transfer(a, b, t, x, truth, memo));
    p.schedule(transfer(b, c, atB, y, truth, memo));
    p.schedule(transfer(c, a, atC, z, truth, memo));
    if (r.chance(0.5)) p.schedule(withdrawal(a, atC + r.int(10, 60) * MINUTE_MS, z, truth));
  }
  return [a.simId, b.simId, c.simId];
}

/** Withdraws `total` to the account's own card in pieces under the single limit, minutes apart. */
function withdrawInPieces(
  s: Scheduler,
  r: Random,
  c: SimCustomer,
  from: number,
  total: bigint,
  truth: Truth,
): void {
  let at = from;
  let left = total;
  while (left > 0n) {
    const piece = left > PIECE_MAX_MINOR ? PIECE_MAX_MINOR - BigInt(r.int(0, 500)) * 100n : left;
    s.schedule(withdrawal(c, at, piece, truth));
    left -= piece;
    at += r.int(3, 20) * MINUTE_MS;
  }
}

export function withdrawal(c: SimCustomer, at: number, amountMinor: bigint, truth: Truth): ScheduledEvent {
  return {
    type: 'withdrawal',
    at,
    truth,
    customer: c.simId,
    amountMinor: bankSafe(amountMinor),
    currency: 'CNY',
    bankAccount: { accountNumber: c.bankAccountNumber, holderName: c.displayName },
    context: ctx(home(c), at),
  };
}

function transfer(
  from: SimCustomer,
  to: SimCustomer,
  at: number,
  amountMinor: bigint,
  truth: Truth,
  memo: string | null,
): ScheduledEvent {
  return {
    type: 'transfer',
    at,
    truth,
    customer: from.simId,
    to: to.simId,
    amountMinor,
    currency: 'CNY',
    memo,
    context: ctx(home(from), at),
  };
}

/** A scenario account's own phone at its home address (deterministic: no draw needed). */
function home(c: SimCustomer): Presence {
  return {
    deviceId: c.devices[0] ?? 'dev-0000000000000000',
    ip: `${c.homeNet}.${c.homeHost}`,
    geo: { country: 'CN', region: c.region.name, lat: c.region.lat, lon: c.region.lon },
    channel: 'app',
  };
}

function account(
  at: number,
  event: AccountEventType,
  result: 'attempt' | 'failed',
  truth: Truth,
  presence: Presence,
): Intent {
  return { kind: 'account', at, event, result, truth, presence };
}

export function ctx(presence: Presence, at: number): SimContext {
  return {
    deviceId: presence.deviceId,
    ip: presence.ip,
    geo: presence.geo,
    channel: presence.channel,
    occurredAt: new Date(at).toISOString(),
  };
}

export function orderRef(r: Random): string {
  return `ORD${r.int(10_000_000, 99_999_999)}${r.int(100, 999)}`;
}

/** Moves an amount off the endings the simulated bank treats specially (…13 declined, …14 never answered). */
export function bankSafe(amountMinor: bigint): bigint {
  const end = amountMinor % 100n;
  return end === 13n || end === 14n ? amountMinor - 5n : amountMinor;
}

export function share(amount: bigint, fraction: number): bigint {
  return (amount * BigInt(Math.round(fraction * 10_000))) / 10_000n;
}

function round100(x: number): bigint {
  return BigInt(Math.round(x / 10_000) * 10_000);
}

function clamp(x: bigint, lo: bigint, hi: bigint): bigint {
  return x < lo ? lo : x > hi ? hi : x;
}

function shuffle<T>(r: Random, items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = r.int(0, i);
    const x = must(items[i], 'item');
    items[i] = must(items[j], 'item');
    items[j] = x;
  }
}
