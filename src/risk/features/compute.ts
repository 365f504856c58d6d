import { distanceKm } from '../geo.ts';
import { ANSWER_SIZE, answerSum, MemoryVelocityStore } from '../velocity/memory-store.ts';
import type {
  EntityKey,
  VelocityEvent,
  VelocityQuery,
  VelocityResult,
  VelocityStore,
  VelocityWindow,
} from '../velocity/store.ts';
import { MemoryProfileSource, type ProfileFacts, type ProfileSource } from './profile.ts';
import {
  declineEventsOf,
  entityKey,
  type FeatureEvent,
  labelEventsOf,
  merchantAmountKey,
  merchantDeviceKey,
  merchantIpKey,
  newPayeeEventsOf,
  velocityEventsOf,
} from './velocity-events.ts';

/**
 * Feature computation: one code path for live decisions and back-tests. For each event it
 * reads the velocity counters and the profile facts concurrently, each bounded by the
 * deadline, and derives every feature of the registry (`src/risk/rules/features.ts`).
 * A source that does not answer in time leaves its features absent and is named in
 * `degraded`, so the engine can apply its fail-safe policy instead of waiting.
 */

export type FeatureValue = number | bigint | boolean | string;
/** Where a feature comes from; a degraded source leaves all its features missing. */
export type FeatureSource = 'velocity' | 'profile' | 'model';

export interface FeatureResult {
  features: Record<string, FeatureValue>;
  /** Registry features this event should have had but a slow or failing source did not give. */
  missing: string[];
  /** Sources that did not answer within the deadline (or failed). */
  degraded: FeatureSource[];
}

export interface ComputeOptions {
  /** Milliseconds the sources get; unlimited when absent. */
  deadlineMs?: number | undefined;
  /** The deadline of the whole decision, shared with its other sources (wins over `deadlineMs`). */
  deadline?: Deadline | undefined;
}

/** Hours reported for a password or phone that never changed (ten years). */
export const NEVER_CHANGED_HOURS = 87_600;
/** Model features until the model is wired in: the lowest band, so no rule fires on the model alone. */
export const MODEL_DEFAULTS = { 'model.score': 0, 'model.level': 'low' } as const;
/** Percentile of an amount when the customer has no history to compare it with: the middle. */
export const NO_HISTORY_PERCENTILE = 0.5;

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** Which of the event's entities a velocity read is about: its position in `keysOf`. */
type Role = number;
const CUSTOMER: Role = 0;
const PAYEE: Role = 1;
const DEVICE: Role = 2;
const IP: Role = 3;
const MERCHANT_AMOUNT: Role = 4;
const MERCHANT: Role = 5;
const MERCHANT_DEVICE: Role = 6;
const MERCHANT_IP: Role = 7;

/** Velocity features: name → the entity, counter, window and value they read. */
interface VelocitySpec {
  role: Role;
  metric: string;
  window: VelocityWindow;
  value: 'count' | 'sum' | 'distinct';
}

const isTransfer = (e: FeatureEvent) => e.type === 'transfer';
const isMerchantEvent = (e: FeatureEvent) => e.type === 'payment' || e.type === 'refund';

/**
 * The event's entities by role, made once per event (every read of an entity then uses
 * the same key string). A role that does not apply to the event, or whose id cannot be a
 * key, is undefined.
 */
function keysOf(e: FeatureEvent): Array<EntityKey | undefined> {
  const other = e.counterpartyId;
  const payment = e.type === 'payment' && other !== undefined;
  return [
    entityKey('customer', e.customerId),
    isTransfer(e) ? entityKey('payee', other) : undefined,
    entityKey('device', e.deviceId),
    entityKey('ip', e.ip),
    payment ? merchantAmountKey(other, e.amountMinor ?? 0n) : undefined,
    isMerchantEvent(e) ? entityKey('merchant', other) : undefined,
    payment ? merchantDeviceKey(other, e.deviceId) : undefined,
    payment ? merchantIpKey(other, e.ip) : undefined,
  ];
}

function spec(
  role: Role,
  metric: string,
  window: VelocityWindow,
  value: VelocitySpec['value'],
): VelocitySpec {
  return { role, metric, window, value };
}

export const VELOCITY_FEATURES: Readonly<Record<string, VelocitySpec>> = {
  'customer.distinctDevices_30d': spec(CUSTOMER, 'devices', '30d', 'distinct'),
  'customer.failedLogins_24h': spec(CUSTOMER, 'login_fail', '24h', 'count'),
  'customer.newPayees_24h': spec(CUSTOMER, 'new_payee', '24h', 'count'),
  'customer.out.count_1h': spec(CUSTOMER, 'out', '1h', 'count'),
  'customer.out.count_24h': spec(CUSTOMER, 'out', '24h', 'count'),
  'customer.out.sum_1h': spec(CUSTOMER, 'out', '1h', 'sum'),
  'customer.out.sum_24h': spec(CUSTOMER, 'out', '24h', 'sum'),
  'customer.out.count_7d': spec(CUSTOMER, 'out', '7d', 'count'),
  'customer.out.sum_7d': spec(CUSTOMER, 'out', '7d', 'sum'),
  'customer.out.count_30d': spec(CUSTOMER, 'out', '30d', 'count'),
  'customer.out.sum_30d': spec(CUSTOMER, 'out', '30d', 'sum'),
  'customer.fraudLabels_30d': spec(CUSTOMER, 'fraud', '30d', 'count'),
  'customer.received.count_24h': spec(CUSTOMER, 'received', '24h', 'count'),
  'customer.received.sum_24h': spec(CUSTOMER, 'received', '24h', 'sum'),
  'customer.topup.count_1h': spec(CUSTOMER, 'topup', '1h', 'count'),
  'customer.topup.smallCount_1h': spec(CUSTOMER, 'topup_small', '1h', 'count'),
  'customer.failedBindings_1h': spec(CUSTOMER, 'binding_fail', '1h', 'count'),
  'payee.distinctPayers_24h': spec(PAYEE, 'received', '24h', 'distinct'),
  'payee.received.sum_24h': spec(PAYEE, 'received', '24h', 'sum'),
  'device.accountsSeen_30d': spec(DEVICE, 'customers', '30d', 'distinct'),
  'ip.failedLogins_1h': spec(IP, 'login_fail', '1h', 'count'),
  'ip.accountsSeen_24h': spec(IP, 'customers', '24h', 'distinct'),
  'merchant.sameAmountPayments_1h': spec(MERCHANT_AMOUNT, 'payment', '1h', 'count'),
  'merchant.payments.count_24h': spec(MERCHANT, 'payment', '24h', 'count'),
  'merchant.payments.count_7d': spec(MERCHANT, 'payment', '7d', 'count'),
  'merchant.payments.count_30d': spec(MERCHANT, 'payment', '30d', 'count'),
  'merchant.fraudLabels_7d': spec(MERCHANT, 'fraud', '7d', 'count'),
  'merchant.fraudLabels_30d': spec(MERCHANT, 'fraud', '30d', 'count'),
};

/**
 * Features computed from other velocity features of the same event (means and ratios),
 * so that a rule or the model reads them without doing the arithmetic itself.
 */
function derivedVelocity(features: Record<string, FeatureValue>, amount: bigint | undefined): void {
  for (const w of ['24h', '7d', '30d'] as const) {
    const count = features[`customer.out.count_${w}`];
    const sum = features[`customer.out.sum_${w}`];
    if (typeof count === 'number' && typeof sum === 'bigint') {
      features[`customer.out.avg_${w}`] = count > 0 ? sum / BigInt(count) : 0n;
    }
  }
  const avg = features['customer.out.avg_30d'];
  if (typeof avg === 'bigint' && avg > 0n && amount !== undefined) {
    // Two decimals are plenty for a ratio a rule compares with a threshold like 5.0.
    features['customer.amountToAvg_30d'] = Math.round((Number(amount) / Number(avg)) * 100) / 100;
  }
  const frauds = features['merchant.fraudLabels_30d'];
  const payments = features['merchant.payments.count_30d'];
  if (typeof frauds === 'number' && typeof payments === 'number') {
    // Labels of payments older than the window can outnumber its payments: the rate stays within 0–1.
    const base = Math.max(frauds, payments);
    features['merchant.fraudRate_30d'] = base > 0 ? Math.round((frauds / base) * 10_000) / 10_000 : 0;
  }
}

/** Reads of the refund rate and linked payers, combined from several counters. */
const MERCHANT_READS = {
  payments: { metric: 'payment', window: '30d' },
  refunds: { metric: 'refund', window: '30d' },
} as const;

/** Profile features, each derived from the facts (undefined when the facts do not tell). */
export const PROFILE_FEATURES: Readonly<
  Record<string, (f: ProfileFacts, e: FeatureEvent, at: number) => FeatureValue | undefined>
> = {
  'customer.accountAgeDays': (f, _e, at) => daysSince(f.customer.createdAt, at),
  'customer.kycTier': (f) => f.customer.kycTier,
  'customer.typicalAmount': (f) =>
    f.outAmountsSorted ? sortedMedian(f.outAmountsSorted) : median(f.outAmounts),
  'customer.amountPercentile': (f, e) =>
    f.outAmountsSorted
      ? sortedPercentile(f.outAmountsSorted, e.amountMinor ?? 0n)
      : percentile(f.outAmounts, e.amountMinor ?? 0n),
  'customer.hoursSincePasswordChange': (f, _e, at) => hoursSinceChange(f.customer.passwordChangedAt, at),
  'customer.hoursSincePhoneChange': (f, _e, at) => hoursSinceChange(f.customer.phoneChangedAt, at),
  'payee.isNew': (f) => (f.payee ? !f.payee.known : undefined),
  'payee.accountAgeDays': (f, _e, at) => daysSince(f.payee?.createdAt, at),
  'payee.kycTier': (f) => f.payee?.kycTier,
  'device.isNew': (f, e) => (e.deviceId === undefined ? undefined : !f.deviceFirstSeenAt),
  'device.ageHours': (f, e, at) =>
    e.deviceId === undefined
      ? undefined
      : f.deviceFirstSeenAt
        ? Math.max(0, Math.floor((at - f.deviceFirstSeenAt.getTime()) / HOUR_MS))
        : 0,
  'ip.countryMismatch': (f, e) => {
    if (e.ip === undefined) return undefined;
    const here = e.geo?.country;
    const usual = f.customer.usualCountry;
    // Unknown on either side is no evidence of a mismatch.
    return here !== undefined && usual !== undefined && here !== usual;
  },
  'merchant.accountAgeDays': (f, _e, at) => daysSince(f.merchant?.createdAt, at),
  'customer.daysDormant': (f, _e, at) => {
    const last = f.customer.lastOutAt;
    if (last === undefined) return undefined;
    // Never paid out: dormant since the account opened.
    return daysSince(last !== null && last.getTime() < at ? last : f.customer.createdAt, at);
  },
  'customer.amountZScore': (f, e) => zScore(f.outAmounts, e.amountMinor ?? 0n),
  'customer.distanceFromLastKm': (f, e, at) => {
    const m = movement(f, e, at);
    return m === undefined ? undefined : Math.round(m.km * 10) / 10;
  },
  'customer.travelKmh': (f, e, at) => {
    const m = movement(f, e, at);
    return m === undefined ? undefined : Math.round(m.kmh);
  },
};

const PROFILE_LIST = Object.entries(PROFILE_FEATURES);

/** What a velocity read gives: a feature of its own, or one part of a combined feature. */
type Use = 'feature' | 'payments' | 'refunds' | 'byDevice' | 'byIp';

/**
 * The velocity reads of one event type, made once per type: the features whose entity can
 * apply to it, in registry order, then the reads of the merchant combinations. For the
 * memory store the lists are passed as they are; the event only fills in the entities.
 */
interface Plan {
  roles: Role[];
  metrics: string[];
  windows: VelocityWindow[];
  uses: Use[];
  /** The feature of each read that gives one (`feature`), else ''. */
  names: string[];
  values: Array<VelocitySpec['value']>;
  /** Payments and refunds: the refund rate. */
  merchant: boolean;
  /** Payments: the linked payers. */
  linked: boolean;
}

const ROLE_TYPES: Partial<Record<Role, readonly string[]>> = {
  [PAYEE]: ['transfer'],
  [MERCHANT_AMOUNT]: ['payment'],
};

const plans = new Map<string, Plan>();

function planOf(type: string): Plan {
  let plan = plans.get(type);
  if (plan) return plan;
  const p: Plan = {
    roles: [],
    metrics: [],
    windows: [],
    uses: [],
    names: [],
    values: [],
    merchant: type === 'payment' || type === 'refund',
    linked: type === 'payment',
  };
  const add = (
    role: Role,
    metric: string,
    window: VelocityWindow,
    use: Use,
    name = '',
    value: VelocitySpec['value'] = 'count',
  ) => {
    p.roles.push(role);
    p.metrics.push(metric);
    p.windows.push(window);
    p.uses.push(use);
    p.names.push(name);
    p.values.push(value);
  };
  for (const [name, spec] of Object.entries(VELOCITY_FEATURES)) {
    const only = ROLE_TYPES[spec.role];
    if (only && !only.includes(type)) continue;
    add(spec.role, spec.metric, spec.window, 'feature', name, spec.value);
  }
  if (p.merchant) {
    add(MERCHANT, MERCHANT_READS.payments.metric, MERCHANT_READS.payments.window, 'payments');
    add(MERCHANT, MERCHANT_READS.refunds.metric, MERCHANT_READS.refunds.window, 'refunds');
  }
  if (p.linked) {
    add(MERCHANT_DEVICE, 'payers', '1h', 'byDevice');
    add(MERCHANT_IP, 'payers', '1h', 'byIp');
  }
  plan = p;
  plans.set(type, plan);
  return plan;
}

/** The answers of a plan's reads, by position in the plan (only reads whose entity is known). */
interface Answers {
  has(i: number): boolean;
  count(i: number): number;
  sum(i: number): bigint;
  distinct(i: number): number;
}

/** Answers of the memory store, as numbers in a scratch array. */
class NumberAnswers implements Answers {
  constructor(private readonly out: Float64Array) {}
  has(): boolean {
    return true;
  }
  count(i: number): number {
    return this.out[i * ANSWER_SIZE] ?? 0;
  }
  sum(i: number): bigint {
    return answerSum(this.out, i);
  }
  distinct(i: number): number {
    return this.out[i * ANSWER_SIZE + 3] ?? 0;
  }
}

/** Answers of a store's `readAndRecord`: `slots` maps a plan position to its query. */
class ResultAnswers implements Answers {
  constructor(
    private readonly results: readonly VelocityResult[],
    private readonly slots: readonly number[],
  ) {}
  private at(i: number): VelocityResult | undefined {
    const slot = this.slots[i] ?? -1;
    return slot < 0 ? undefined : this.results[slot];
  }
  has(i: number): boolean {
    return this.at(i) !== undefined;
  }
  count(i: number): number {
    return this.at(i)?.count ?? 0;
  }
  sum(i: number): bigint {
    return this.at(i)?.sum ?? 0n;
  }
  distinct(i: number): number {
    return this.at(i)?.distinct ?? 0;
  }
}

/** Every feature name this module produces, with its source (the tests check it against the registry). */
export function producedFeatures(): Map<string, FeatureSource> {
  const m = new Map<string, FeatureSource>();
  for (const n of Object.keys(VELOCITY_FEATURES)) m.set(n, 'velocity');
  for (const n of Object.keys(PROFILE_FEATURES)) m.set(n, 'profile');
  m.set('merchant.refundRate_30d', 'velocity');
  m.set('merchant.linkedPayers_1h', 'velocity');
  for (const w of ['24h', '7d', '30d']) m.set(`customer.out.avg_${w}`, 'velocity');
  m.set('customer.amountToAvg_30d', 'velocity');
  m.set('merchant.fraudRate_30d', 'velocity');
  m.set('ip.isProxy', 'profile');
  for (const n of Object.keys(MODEL_DEFAULTS)) m.set(n, 'model');
  return m;
}

/** Whether an address is a known proxy, VPN exit or hosting range. */
export type ProxyCheck = (ip: string) => boolean;

export interface FeatureComputerOptions {
  velocity: VelocityStore;
  profile: ProfileSource;
  /** Without IP intelligence every address reads as not a proxy. */
  isProxy?: ProxyCheck | undefined;
}

/** What a source gives when it failed or did not answer by the deadline. */
export const LATE: unique symbol = Symbol('late');
export type Late = typeof LATE;

/**
 * The moment the sources of one decision must have answered by, shared by them all (the
 * velocity store, the profile, the model). A source that has answered by the time the
 * microtasks already queued have run (an in-process source, a cached value) costs no
 * timer; the first one still pending arms the decision's one timer, and the last answer
 * clears it.
 */
export class Deadline {
  private timer: NodeJS.Timeout | undefined;
  /** How to give up on each source still waited for. */
  private waiting: Array<() => void> = [];

  /** `atMs` is on the `performance.now()` clock; infinite for no deadline. */
  constructor(readonly atMs: number) {}

  /** A deadline `ms` from now; none when `ms` is undefined. */
  static in(ms: number | undefined): Deadline {
    return new Deadline(ms === undefined ? Number.POSITIVE_INFINITY : performance.now() + ms);
  }

  /** The value, or LATE when it fails or has not settled by the deadline. */
  race<T>(value: PromiseLike<T>): Promise<T | Late> {
    return new Promise((resolve) => {
      let settled = false;
      const expire = () => {
        if (settled) return;
        settled = true;
        resolve(LATE);
      };
      const settle = (answer: T | Late) => {
        if (settled) return;
        settled = true;
        this.answered(expire);
        resolve(answer);
      };
      value.then(settle, () => settle(LATE));
      if (this.atMs === Number.POSITIVE_INFINITY) return;
      // An answer already there settles in the microtask queued just above, before this check.
      queueMicrotask(() => {
        if (!settled) this.wait(expire);
      });
    });
  }

  private wait(expire: () => void): void {
    this.waiting.push(expire);
    if (this.timer) return;
    // Past the deadline the timer still waits for the timers already due, as one of its own would.
    this.timer = setTimeout(() => this.fire(), Math.max(0, this.atMs - performance.now()));
  }

  private answered(expire: () => void): void {
    const i = this.waiting.indexOf(expire);
    if (i < 0) return;
    this.waiting.splice(i, 1);
    if (this.waiting.length === 0 && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private fire(): void {
    this.timer = undefined;
    const late = this.waiting;
    this.waiting = [];
    for (const expire of late) expire();
  }
}

export class FeatureComputer {
  private readonly velocity: VelocityStore;
  private readonly profile: ProfileSource;
  private readonly isProxy: ProxyCheck;
  /** The stores of this process answer without a promise, so there is nothing to wait for. */
  private readonly velocityHere: MemoryVelocityStore | undefined;
  private readonly profileHere: MemoryProfileSource | undefined;
  /** Scratch of the in-process reads: entities by plan position, and the answers. */
  private entities: Array<EntityKey | undefined> = [];
  private answers = new Float64Array(32 * ANSWER_SIZE);

  constructor(options: FeatureComputerOptions) {
    this.velocity = options.velocity;
    this.profile = options.profile;
    this.isProxy = options.isProxy ?? (() => false);
    this.velocityHere = options.velocity instanceof MemoryVelocityStore ? options.velocity : undefined;
    this.profileHere = options.profile instanceof MemoryProfileSource ? options.profile : undefined;
  }

  /**
   * The features of an event at `at` (its decision time; the event's own `at` wins when
   * given). Records the event's velocity counters after reading them, in the same call.
   * The one counter that needs the profile (a transfer to a new payee) is written once the
   * profile has answered, in a second write only for such transfers; when the profile is
   * degraded that count is lost, so `customer.newPayees_24h` may read low afterwards.
   */
  async compute(event: FeatureEvent, at: Date, options: ComputeOptions = {}): Promise<FeatureResult> {
    const eventAt = event.at ?? at;
    const when = eventAt.getTime();
    const deadline = options.deadline ?? Deadline.in(options.deadlineMs);
    const features: Record<string, FeatureValue> = {};
    const missing: string[] = [];
    const degraded: FeatureSource[] = [];
    const plan = planOf(event.type);
    const keys = keysOf(event);
    const counted = velocityEventsOf(event, when);

    // Velocity first, then the profile, as the sources are asked; the memory store answers here and now.
    let velocityOk: boolean;
    let pendingVelocity: Promise<VelocityResult[] | Late> | undefined;
    let slots: number[] = [];
    const here = this.velocityHere;
    if (here) {
      velocityOk = this.readHere(here, plan, keys, when, counted);
      this.velocityFeatures(
        plan,
        keys,
        velocityOk ? new NumberAnswers(this.answers) : undefined,
        features,
        missing,
        event.amountMinor,
      );
    } else {
      const queries: VelocityQuery[] = [];
      slots = plan.roles.map((role, i) => {
        const entity = keys[role];
        if (!entity) return -1;
        queries.push({ entity, metric: plan.metrics[i] ?? '', window: plan.windows[i] ?? '1h', at: when });
        return queries.length - 1;
      });
      pendingVelocity = deadline.race(this.velocity.readAndRecord(queries, counted));
      velocityOk = false;
    }
    const facts = this.profileHere
      ? this.factsHere(this.profileHere, event, eventAt)
      : deadline.race(this.profile.facts(event, new Date(when)));

    if (pendingVelocity) {
      const results = await pendingVelocity;
      velocityOk = results !== LATE;
      const answers = results === LATE ? undefined : new ResultAnswers(results, slots);
      this.velocityFeatures(plan, keys, answers, features, missing, event.amountMinor);
    }
    if (!velocityOk) degraded.push('velocity');

    const f = facts instanceof Promise ? await facts : facts;
    if (f === LATE) {
      degraded.push('profile');
      for (const [name] of PROFILE_LIST) if (applies(name, event)) missing.push(name);
    } else {
      for (const [name, derive] of PROFILE_LIST) {
        const v = derive(f, event, when);
        if (v !== undefined) features[name] = v;
      }
      // Counted after the read, like every other counter: this transfer is not one of its own new payees.
      if (f.payee && !f.payee.known && velocityOk) {
        const newPayee = newPayeeEventsOf(event, when);
        if (here) {
          try {
            here.recordSync(newPayee);
          } catch {
            // A refused write only loses this one count, as a late one does.
          }
        } else {
          // Bounded by what is left of the deadline: a late write only loses this one count.
          await deadline.race(this.velocity.record(newPayee));
        }
      }
    }
    if (event.ip !== undefined) features['ip.isProxy'] = this.isProxy(event.ip);

    features['model.score'] = MODEL_DEFAULTS['model.score'];
    features['model.level'] = MODEL_DEFAULTS['model.level'];
    return { features, missing, degraded };
  }

  /** The event went through: profile sources learn it (known payee, device, amount history). */
  async committed(event: FeatureEvent, at: Date): Promise<void> {
    if (this.profileHere) this.profileHere.observeSync(event, event.at ?? at);
    else await this.profile.observe(event, event.at ?? at);
  }

  /**
   * A label arrived at `at` for an event decided earlier: fraud counts for the event's
   * customer and merchant from then on (`customer.fraudLabels_30d`, `merchant.fraudLabels_*`).
   * The label's arrival time, not the event's, is what counts, so a replay that feeds labels
   * when they became known reads exactly what the live engine read.
   */
  async labelled(event: FeatureEvent, label: 'fraud' | 'legit', at: Date): Promise<void> {
    const counters = labelEventsOf(event, label, at.getTime());
    if (counters.length === 0) return;
    if (this.velocityHere) this.velocityHere.recordSync(counters);
    else await this.velocity.record(counters);
  }

  /** The engine declined the event: decline counters of the customer, device and address. */
  async declined(event: FeatureEvent, at: Date): Promise<void> {
    await this.velocity.record(declineEventsOf(event, (event.at ?? at).getTime()));
  }

  /** The memory store's reads and records, into the scratch answers; false when it refused them. */
  private readHere(
    store: MemoryVelocityStore,
    plan: Plan,
    keys: ReadonlyArray<EntityKey | undefined>,
    when: number,
    counted: VelocityEvent[],
  ): boolean {
    const n = plan.roles.length;
    const entities = this.entities;
    entities.length = n;
    for (let i = 0; i < n; i++) entities[i] = keys[plan.roles[i] ?? 0];
    if (this.answers.length < n * ANSWER_SIZE) this.answers = new Float64Array(n * ANSWER_SIZE);
    try {
      store.readAndRecordInto(entities, plan.metrics, plan.windows, when, counted, this.answers);
      return true;
    } catch {
      // A refused batch (a malformed event) is as unusable as a late one.
      return false;
    } finally {
      entities.fill(undefined);
    }
  }

  private factsHere(source: MemoryProfileSource, event: FeatureEvent, at: Date): ProfileFacts | Late {
    try {
      return source.factsSync(event, at);
    } catch {
      return LATE;
    }
  }

  /** The velocity features from the answers, or all of them missing when there are none. */
  private velocityFeatures(
    plan: Plan,
    keys: ReadonlyArray<EntityKey | undefined>,
    answers: Answers | undefined,
    features: Record<string, FeatureValue>,
    missing: string[],
    amount: bigint | undefined,
  ): void {
    let payments = -1;
    let refunds = -1;
    let byDevice = -1;
    let byIp = -1;
    for (let i = 0; i < plan.roles.length; i++) {
      if (keys[plan.roles[i] ?? 0] === undefined) continue;
      switch (plan.uses[i]) {
        case 'feature': {
          const name = plan.names[i] ?? '';
          if (!answers?.has(i)) {
            missing.push(name);
            break;
          }
          const value = plan.values[i];
          features[name] =
            value === 'sum' ? answers.sum(i) : value === 'count' ? answers.count(i) : answers.distinct(i);
          break;
        }
        case 'payments':
          payments = i;
          break;
        case 'refunds':
          refunds = i;
          break;
        case 'byDevice':
          byDevice = i;
          break;
        case 'byIp':
          byIp = i;
          break;
        default:
          break;
      }
    }
    if (payments >= 0) {
      if (answers?.has(payments) && answers.has(refunds)) {
        features['merchant.refundRate_30d'] = refundRate(answers.sum(payments), answers.sum(refunds));
      } else missing.push('merchant.refundRate_30d');
    }
    if (answers) derivedVelocity(features, amount);
    if (plan.linked) {
      if (!answers) missing.push('merchant.linkedPayers_1h');
      else {
        const d = byDevice >= 0 && answers.has(byDevice) ? answers.distinct(byDevice) : undefined;
        const p = byIp >= 0 && answers.has(byIp) ? answers.distinct(byIp) : undefined;
        features['merchant.linkedPayers_1h'] = linkedPayers(d, p);
      }
    }
  }
}

/** Profile features that an event of this shape should have (for reporting what is missing). */
function applies(name: string, e: FeatureEvent): boolean {
  if (name.startsWith('payee.')) return isTransfer(e) && e.counterpartyId !== undefined;
  if (name.startsWith('merchant.')) return isMerchantEvent(e) && e.counterpartyId !== undefined;
  if (name.startsWith('device.')) return e.deviceId !== undefined;
  if (name.startsWith('ip.')) return e.ip !== undefined;
  return true;
}

/** The typical value sits for rules as the lower median: an amount that actually occurred. */
export function median(amounts: readonly bigint[]): bigint {
  if (amounts.length === 0) return 0n;
  const sorted = [...amounts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0n;
}

/** Share of the history strictly below the amount: 1.0 above all of it, 0.0 at or below the smallest. */
export function percentile(amounts: readonly bigint[], amount: bigint): number {
  if (amounts.length === 0) return NO_HISTORY_PERCENTILE;
  let below = 0;
  for (const a of amounts) if (a < amount) below += 1;
  return below / amounts.length;
}

/** `median` of amounts already in ascending order. */
export function sortedMedian(sorted: readonly bigint[]): bigint {
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0n;
}

/** `percentile` of amounts already in ascending order (a binary search for the first not below). */
export function sortedPercentile(sorted: readonly bigint[], amount: bigint): number {
  if (sorted.length === 0) return NO_HISTORY_PERCENTILE;
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] ?? 0n) < amount) lo = mid + 1;
    else hi = mid;
  }
  return lo / sorted.length;
}

/** Standard scores need a few amounts: below this many, an amount is not unusual (0). */
const Z_MIN_HISTORY = 3;

/** How many standard deviations the amount lies above the customer's mean (0 without history). */
function zScore(amounts: readonly bigint[], amount: bigint): number {
  if (amounts.length < Z_MIN_HISTORY) return 0;
  let sum = 0;
  for (const a of amounts) sum += Number(a);
  const mean = sum / amounts.length;
  let sq = 0;
  for (const a of amounts) sq += (Number(a) - mean) ** 2;
  const sd = Math.sqrt(sq / amounts.length);
  if (sd === 0) return Number(amount) === mean ? 0 : Number(amount) > mean ? 99 : -99;
  return Math.round(((Number(amount) - mean) / sd) * 100) / 100;
}

/**
 * From the customer's last known position to this event's: distance and the speed it
 * implies. Undefined when either position is unknown. Under a minute apart counts as a
 * minute, so two places at once read as a very high speed, not an infinite one.
 */
function movement(f: ProfileFacts, e: FeatureEvent, at: number): { km: number; kmh: number } | undefined {
  const last = f.customer.lastLocation;
  const lat = e.geo?.lat;
  const lon = e.geo?.lon;
  if (!last || lat === undefined || lon === undefined || last.at.getTime() > at) return undefined;
  const km = distanceKm(last, { lat, lon });
  const hours = Math.max((at - last.at.getTime()) / HOUR_MS, 1 / 60);
  return { km, kmh: km / hours };
}

function daysSince(d: Date | undefined, at: number): number | undefined {
  return d === undefined ? undefined : Math.max(0, Math.floor((at - d.getTime()) / DAY_MS));
}

function hoursSinceChange(d: Date | null | undefined, at: number): number | undefined {
  if (d === undefined) return undefined;
  if (d === null) return NEVER_CHANGED_HOURS;
  return Math.min(NEVER_CHANGED_HOURS, Math.max(0, Math.floor((at - d.getTime()) / HOUR_MS)));
}

/** Refunded share of the payment amount, capped at 1 (refunds of older payments can exceed it). */
function refundRate(payments: bigint, refunds: bigint): number {
  if (payments === 0n) return refunds > 0n ? 1 : 0;
  if (refunds >= payments) return 1;
  return Number((refunds * 1_000_000n) / payments) / 1_000_000;
}

/**
 * Payers of the merchant in the hour that share this payment's device or address (the
 * largest group of the two). Only this event's device and address are looked at, which
 * keeps it to two reads; a group counts when it has at least two payers.
 */
function linkedPayers(byDevice: number | undefined, byIp: number | undefined): number {
  const n = Math.max(byDevice ?? 0, byIp ?? 0);
  return n >= 2 ? n : 0;
}
