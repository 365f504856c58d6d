import type { KycTier } from '../../identity/tiers.ts';
import { hashString, Random } from '../random.ts';
import { type LocalDay, localDays, localMidnight } from './calendar.ts';
import {
  DAY_MS,
  entry,
  HOUR_MS,
  must,
  SCENARIOS,
  type SimEvent,
  type TrafficOptions,
  type Truth,
  truthOf,
} from './model.ts';
import {
  buildSimCustomers,
  buildSimMerchants,
  DocumentNumbers,
  deviceId,
  geoOf,
  MerchantTables,
  netIn,
  newPerson,
  pickRegion,
  type Role,
  type SimCustomer,
  type SimMerchant,
} from './population.ts';
import {
  INCIDENT_PREFIX,
  type IncidentInfo,
  type Intent,
  PLANNERS,
  type ScenarioPlanner,
  type ScheduledEvent,
} from './scenarios.ts';
import { DayWalker } from './walk.ts';

/**
 * The traffic generator. Construction draws the population and plans every incident;
 * `events()` then walks the stream one local day at a time, so only a day's events (and
 * per-customer balances) are in memory, and yields them in event-time order. The same
 * options always give the same stream: all randomness comes from streams forked off the
 * seed by label, and nothing reads the clock.
 */
export class TrafficSimulation {
  readonly start: number;
  readonly end: number;
  /** Fingerprint of the options: part of idempotency keys and document numbers, so two different runs never collide. */
  readonly runTag: string;
  readonly days: readonly LocalDay[];
  /** Ordinary customers first (`ordinaryCount` of them), then the scenario accounts. */
  readonly customers: SimCustomer[];
  readonly ordinaryCount: number;
  readonly merchants: SimMerchant[];
  readonly ordinaryMerchantCount: number;
  readonly incidents: IncidentInfo[] = [];
  /** Roughly how many events `events()` yields (for a progress bar). */
  readonly estimatedEvents: number;
  /** Truth of the setup events of scenario accounts and merchants, by sim id. */
  readonly setupTruth = new Map<string, Truth>();
  /** Window-level habits of ordinary customers: a new phone, a password change… by day index. */
  readonly specials = new Map<number, Map<number, Special[]>>();
  readonly merchantTables: MerchantTables;

  private readonly random: Random;
  private readonly documents: DocumentNumbers;
  private readonly involved = new Set<number>();
  private readonly planned = new Map<number, SimEvent[]>();
  private readonly intents = new Map<number, Map<number, Intent[]>>();
  readonly planIds = new SimIds();

  constructor(readonly options: TrafficOptions) {
    this.end = options.end.getTime();
    this.start = this.end - options.days * DAY_MS;
    this.runTag = runTagOf(options);
    this.random = new Random(options.seed);
    this.days = localDays(this.start, this.end);
    this.documents = new DocumentNumbers(this.runTag);
    this.merchants = buildSimMerchants(this.random.fork('merchants'), options.merchants, this.start);
    this.ordinaryMerchantCount = this.merchants.length;
    this.merchantTables = new MerchantTables(this.merchants);
    this.customers = buildSimCustomers(
      this.random.fork('customers'),
      options.customers,
      this.start,
      this.documents,
      this.merchantTables,
    );
    this.ordinaryCount = this.customers.length;
    this.planSpecials();
    this.planIncidents();
    this.estimatedEvents = this.estimate();
  }

  /** The stream, day by day in event-time order; each call starts afresh and yields the same events. */
  *events(): Generator<SimEvent> {
    const walker = new DayWalker(this, this.random.fork('walk'));
    for (const day of this.days) yield* walker.day(day);
  }

  /** Events the plan fixed for a day (scenario accounts), in planning order. */
  plannedOn(dayIndex: number): readonly SimEvent[] {
    return this.planned.get(dayIndex) ?? [];
  }

  /** Scenario intents of an ordinary customer on a day. */
  intentsOn(dayIndex: number, customer: number): readonly Intent[] {
    return this.intents.get(dayIndex)?.get(customer) ?? [];
  }

  /** The day index (0 = the stream's first local day) holding `t`. */
  dayIndexOf(t: number): number {
    return Math.round((localMidnight(t) - localMidnight(this.start)) / DAY_MS);
  }

  private planSpecials(): void {
    const kinds: Array<[Special, number]> = [
      ['device_change', 0.02],
      ['password_change', 0.01],
      ['card_binding', 0.03],
      ['bank_account_binding', 0.01],
      ['new_payee_large', 0.006],
    ];
    for (let i = 0; i < this.ordinaryCount; i++) {
      const r = this.random.fork(`special:${i}`);
      for (const [kind, chance] of kinds) {
        if (!r.chance(chance)) continue;
        const day = r.int(0, this.days.length - 1);
        entry(
          entry(this.specials, day, () => new Map<number, Special[]>()),
          i,
          (): Special[] => [],
        ).push(kind);
      }
    }
  }

  private planIncidents(): void {
    const planner = this.planner();
    for (const scenario of SCENARIOS) {
      const count = Math.round((this.options.scenarios[scenario] * this.options.customers) / 1_000);
      for (let n = 0; n < count; n++) {
        const id = `${INCIDENT_PREFIX[scenario]}${String(n).padStart(4, '0')}`;
        const r = this.random.fork(`incident:${id}`);
        const parties = PLANNERS[scenario](planner, r, truthOf(scenario, id));
        this.incidents.push({ id, scenario, at: this.firstAt(id), parties });
      }
    }
  }

  private firstAt(incident: string): number {
    let first = Number.POSITIVE_INFINITY;
    for (const list of this.planned.values()) {
      for (const e of list) if (e.truth.incident === incident && e.at < first) first = e.at;
    }
    for (const byCustomer of this.intents.values()) {
      for (const list of byCustomer.values()) {
        for (const it of list)
          if ('truth' in it && it.truth.incident === incident && it.at < first) first = it.at;
      }
    }
    return Number.isFinite(first) ? first : this.start;
  }

  private planner(): ScenarioPlanner {
    const sim = this;
    return {
      start: this.start,
      end: this.end,
      structuringThresholdMinor: this.options.structuringThresholdMinor,
      mulePayersMin: this.options.mulePayersMin,
      schedule(event: ScheduledEvent): string | null {
        if (event.at < sim.start || event.at > sim.end) return null;
        const day = sim.dayIndexOf(event.at);
        const simId = sim.planIds.next(day, event.customer);
        entry(sim.planned, day, (): SimEvent[] => []).push({ ...event, simId });
        return simId;
      },
      victim: (r, test) => this.victim(r, test),
      account: (r, role, openedAt, kycTier, truth) => this.account(r, role, openedAt, kycTier, truth),
      merchant: (r, openedAt, truth) => this.merchant(r, openedAt, truth),
      shop: (r) => must(this.merchants[this.merchantTables.draw(r, 'ecommerce') ?? 0], 'shop'),
      intent(customer: SimCustomer, intent: Intent): void {
        if (intent.at <= sim.start || intent.at > sim.end) return;
        const day = sim.dayIndexOf(intent.at);
        entry(
          entry(sim.intents, day, () => new Map<number, Intent[]>()),
          customer.index,
          (): Intent[] => [],
        ).push(intent);
      },
      time: (r, spanMs, hours) => this.incidentTime(r, spanMs, hours),
    };
  }

  private victim(r: Random, test: (c: SimCustomer) => boolean): SimCustomer {
    const n = this.ordinaryCount;
    for (let i = 0; i < 200; i++) {
      const c = must(this.customers[r.int(0, n - 1)], 'customer');
      if (!this.involved.has(c.index) && test(c)) {
        this.involved.add(c.index);
        return c;
      }
    }
    // A small population: someone already involved will do.
    for (let i = 0; i < 200; i++) {
      const c = must(this.customers[r.int(0, n - 1)], 'customer');
      if (test(c)) return c;
    }
    return must(this.customers[r.int(0, n - 1)], 'customer');
  }

  private account(r: Random, role: Role, openedAt: number, kycTier: KycTier, truth: Truth): SimCustomer {
    const index = this.customers.length;
    const person = newPerson(
      r.fork(`account:${index}`),
      index,
      { role, openedAt: Math.min(openedAt, this.end), kycTier },
      this.documents,
      this.merchantTables,
    );
    this.customers.push(person);
    this.setupTruth.set(person.simId, truth);
    return person;
  }

  private merchant(r: Random, openedAt: number, truth: Truth): SimMerchant {
    const index = this.merchants.length;
    const region = pickRegion(r);
    const merchant: SimMerchant = {
      index,
      simId: `m${String(index).padStart(5, '0')}`,
      name: `${r.pick(['优品', '好物', '潮流', '精选', '尚品', '悦享'])}${r.pick(['小铺', '旗舰店', '专营店', '生活馆'])}${r.int(1, 99)}号`,
      category: 'ecommerce',
      feeBps: r.int(50, 80),
      openedAt,
      popularity: 0,
      presence: { deviceId: deviceId(r), ip: `${netIn(r, region)}.${r.int(2, 254)}`, geo: geoOf(r, region) },
    };
    this.merchants.push(merchant);
    this.setupTruth.set(merchant.simId, truth);
    return merchant;
  }

  private incidentTime(r: Random, spanMs: number, hours: readonly number[]): number {
    let lo = this.start + 6 * HOUR_MS;
    let hi = this.end - spanMs;
    if (hi <= lo) {
      lo = this.start + HOUR_MS;
      hi = Math.max(lo, this.end - HOUR_MS);
    }
    const base = lo + Math.floor(r.next() * (hi - lo));
    let t = localMidnight(base) + r.weighted(hours) * HOUR_MS + r.int(0, HOUR_MS - 1);
    if (t < lo) t += DAY_MS;
    if (t > hi) t -= DAY_MS;
    return t < lo || t > hi ? base : t;
  }

  private estimate(): number {
    let perDay = 0;
    for (let i = 0; i < this.ordinaryCount; i++) {
      const c = must(this.customers[i], 'customer');
      perDay += c.paymentsPerDay * 1.05 + c.transfersPerDay * 1.4 + c.loginsPerDay * 1.03 + 0.06;
    }
    let fixed = 0;
    for (const list of this.planned.values()) fixed += list.length;
    for (const byCustomer of this.intents.values())
      for (const list of byCustomer.values()) fixed += list.length;
    // Funding top-ups before spending and incident events add about a sixth.
    return (
      Math.round(perDay * this.options.days * 1.17) + this.customers.length + this.merchants.length + fixed
    );
  }
}

export type Special =
  | 'device_change'
  | 'password_change'
  | 'card_binding'
  | 'bank_account_binding'
  | 'new_payee_large';

/** Sim ids `d<day>.<party>.<n>`: readable, unique, and the same in every generation. */
export class SimIds {
  private readonly byDay = new Map<number, Map<string, number>>();

  next(day: number, party: string): string {
    const counters = entry(this.byDay, day, () => new Map<string, number>());
    const n = (counters.get(party) ?? 0) + 1;
    counters.set(party, n);
    return `d${String(day).padStart(3, '0')}.${party}.${n}`;
  }

  forget(day: number): void {
    this.byDay.delete(day);
  }

  clone(): SimIds {
    const copy = new SimIds();
    for (const [day, counters] of this.byDay) copy.byDay.set(day, new Map(counters));
    return copy;
  }
}

/** The stream from options: `new TrafficSimulation(options).events()`. */
export function generateTraffic(options: TrafficOptions): Generator<SimEvent> {
  return new TrafficSimulation(options).events();
}

function runTagOf(o: TrafficOptions): string {
  const text = [
    o.seed,
    o.customers,
    o.merchants,
    o.days,
    o.end.toISOString(),
    o.mulePayersMin,
    o.structuringThresholdMinor.toString(),
    ...SCENARIOS.map((s) => o.scenarios[s]),
  ].join('|');
  return (hashString(text) >>> 0).toString(16).padStart(8, '0');
}
