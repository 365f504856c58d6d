import { sql } from 'kysely';
import { asKycTier, type KycTier, type TierLimits, type TierTable, tierTable } from '../identity/tiers.ts';
import type { Db } from '../platform/db.ts';
import { newId } from '../platform/ids.ts';
import { riskDecisions } from '../platform/metrics.ts';
import { CURRENCIES, type Currency, formatMinor } from '../platform/money.ts';
import type { RiskDecision, RiskEvent, RiskEventType, RiskGate, RiskOutcome } from './gate.ts';

export interface LimitPolicyConfig {
  /** Outgoing movements from this amount up are held for review, whatever the customer's tier. */
  reviewFromMinor: Record<Currency, bigint>;
  /** Days (daily limits) and months (monthly limits) start at midnight in this offset from UTC (China: +480). */
  dayOffsetMinutes: number;
}

export interface LimitPolicyOptions {
  /** How long a customer's tier and overrides are trusted before they are read again. */
  profileTtlMs: number;
}

const major = (units: number, currency: Currency) => BigInt(units) * 10n ** BigInt(CURRENCIES[currency]);

/** Default review thresholds; the per-customer limits come from the KYC tier table. */
export const DEFAULT_LIMIT_POLICY: LimitPolicyConfig = {
  dayOffsetMinutes: 480,
  reviewFromMinor: {
    CNY: major(20_000, 'CNY'),
    HKD: major(20_000, 'HKD'),
    USD: major(3_000, 'USD'),
    EUR: major(2_800, 'EUR'),
    GBP: major(2_400, 'GBP'),
    SGD: major(4_000, 'SGD'),
    JPY: major(450_000, 'JPY'),
  },
};

/** The limits one customer has in one currency, and where they come from. */
export interface EffectiveLimits {
  tier: KycTier;
  source: 'tier' | 'override';
  /** Undefined when the customer's tier does not allow the currency at all. */
  limits: TierLimits | undefined;
}

/** What the gate knows about a customer: the verified tier and any approved overrides. */
interface Profile {
  tier: KycTier;
  overrides: Map<Currency, TierLimits>;
  loadedAt: number;
}

/** A money movement: the events limits apply to. */
type MoneyEvent = RiskEvent & { currency: Currency };

interface Refusal {
  code: string;
  message: string;
}

const OUTGOING: ReadonlySet<RiskEventType> = new Set(['withdrawal', 'transfer', 'payment']);
const USAGE_CACHE_MAX = 200_000;
const PROFILE_CACHE_MAX = 100_000;
const PROFILE_TTL_MS = 10_000;
const DAY_MS = 86_400_000;
export const LIMIT_POLICY_NAME = 'builtin-limits/2';

/**
 * The built-in policy behind the RiskGate until the risk engine lands. Each customer's
 * limits are those of their KYC tier (or an approved override for the currency): single,
 * daily and monthly limits on outgoing money, a single limit on top-ups and a balance cap
 * on money arriving (top-ups and transfers in); outgoing movements from a threshold are
 * held for review.
 *
 * Daily and monthly usage is reserved when a movement is allowed and released when it
 * fails, so parallel requests cannot together pass a limit within this process. The
 * balance cap is checked against the receiving wallet's posted balance when the decision
 * is made; money still in flight to the wallet (a pending top-up) is not counted.
 */
export class LimitPolicyGate implements RiskGate {
  private readonly usage = new Map<string, bigint>();
  private readonly loading = new Map<string, Promise<{ day: bigint; month: bigint }>>();
  private readonly profiles = new Map<string, Profile>();
  private readonly profileLoading = new Map<string, Promise<Profile>>();
  /** Bumped by every invalidation, so a read that started before one is not cached after it. */
  private profileEpoch = 0;

  constructor(
    private readonly db: Db,
    readonly config: LimitPolicyConfig = DEFAULT_LIMIT_POLICY,
    readonly tiers: TierTable = tierTable(),
    private readonly options: LimitPolicyOptions = { profileTtlMs: PROFILE_TTL_MS },
  ) {}

  async decide(raw: RiskEvent): Promise<RiskDecision> {
    const started = process.hrtime.bigint();
    const decision = await this.check(raw, started);
    riskDecisions.inc({ event_type: raw.type, outcome: decision.outcome });
    return decision;
  }

  /**
   * The limit checks of an event without counting it in the metrics (the risk engine
   * combines them with its rules and counts the final decision). Events that move no
   * money pass.
   */
  async check(raw: RiskEvent, started: bigint = process.hrtime.bigint()): Promise<RiskDecision> {
    if (raw.currency === null) {
      return passed(raw, LIMIT_POLICY_NAME, { type: raw.type, customerId: raw.customerId }, started);
    }
    const event = raw as MoneyEvent;
    let outcome: RiskOutcome = 'ALLOW';
    const reasons: string[] = [];
    let message: string | null = null;
    const input: Record<string, unknown> = {
      type: event.type,
      customerId: event.customerId,
      counterpartyId: event.counterpartyId ?? null,
      amountMinor: event.amountMinor.toString(),
      currency: event.currency,
      channel: event.channel ?? null,
    };

    let refusal: Refusal | undefined;
    if (event.type === 'topup') {
      const own = await this.limitsOf(event.customerId, event.currency);
      input.tier = own.tier;
      input.limitSource = own.source;
      refusal =
        this.singleCheck(event, own) ?? (await this.capCheck(event, event.customerId, own, input, 'own'));
    } else if (OUTGOING.has(event.type)) {
      const own = await this.limitsOf(event.customerId, event.currency);
      input.tier = own.tier;
      input.limitSource = own.source;
      refusal = this.singleCheck(event, own);
      if (!refusal && event.type === 'transfer' && event.counterpartyId) {
        const theirs = await this.limitsOf(event.counterpartyId, event.currency);
        input.counterpartyTier = theirs.tier;
        refusal = await this.capCheck(event, event.counterpartyId, theirs, input, 'counterparty');
      }
      if (!refusal && own.limits) {
        const keys = this.usageKeys(event.customerId, event.currency, event.at);
        const loaded = await this.loadUsage(keys, event);
        // No await from here on: checking and reserving are one step within this process.
        const day = this.usage.get(keys.day) ?? loaded.day;
        const month = this.usage.get(keys.month) ?? loaded.month;
        input.dailyUsedMinor = day.toString();
        input.monthlyUsedMinor = month.toString();
        refusal = this.periodCheck(event, own, day, month);
        if (!refusal) {
          if (event.amountMinor >= this.config.reviewFromMinor[event.currency]) {
            outcome = 'REVIEW';
            reasons.push('LARGE_AMOUNT');
            message = `${amountText(event.amountMinor, event.currency)} is held for a security review because it is a large amount. The money stays reserved in your wallet; we expect to finish within 2 hours.`;
          }
          if (this.usage.size >= USAGE_CACHE_MAX) this.usage.clear();
          this.usage.set(keys.day, day + event.amountMinor);
          this.usage.set(keys.month, month + event.amountMinor);
        }
      }
    }
    if (refusal) {
      outcome = 'BLOCK';
      reasons.push(refusal.code);
      message = refusal.message;
    }
    const decision: RiskDecision = {
      id: newId('dec'),
      eventType: event.type,
      subjectId: event.customerId,
      currency: event.currency,
      amountMinor: event.amountMinor,
      outcome,
      reasonCodes: reasons,
      customerMessage: message,
      policy: LIMIT_POLICY_NAME,
      input,
      latencyUs: Number((process.hrtime.bigint() - started) / 1000n),
      createdAt: event.at,
    };
    return decision;
  }

  recordCommitted(): void {}

  /** Gives back the daily and monthly usage reserved by an allowed decision whose movement did not happen. */
  release(decision: RiskDecision): void {
    if (!OUTGOING.has(decision.eventType) || decision.currency === null) return;
    if (decision.outcome !== 'ALLOW' && decision.outcome !== 'REVIEW' && decision.outcome !== 'CHALLENGE')
      return;
    const keys = this.usageKeys(decision.subjectId, decision.currency, decision.createdAt);
    for (const key of [keys.day, keys.month]) {
      const used = this.usage.get(key);
      if (used !== undefined)
        this.usage.set(key, used >= decision.amountMinor ? used - decision.amountMinor : 0n);
    }
  }

  /**
   * Drops what this process remembers about a customer's tier and overrides; call it after
   * a KYC level or a limit override changes. Other processes see the change within the TTL.
   */
  forgetCustomer(customerId: string): void {
    this.profileEpoch++;
    this.profiles.delete(customerId);
    this.profileLoading.delete(customerId);
  }

  /** The limits that apply to a customer in a currency now (tier table, or the approved override). */
  async limitsOf(customerId: string, currency: Currency): Promise<EffectiveLimits> {
    const profile = await this.profile(customerId);
    return effectiveLimits(this.tiers, profile.tier, profile.overrides, currency);
  }

  private singleCheck(event: MoneyEvent, own: EffectiveLimits): Refusal | undefined {
    const limits = own.limits;
    if (!limits) {
      return {
        code: 'TIER_CURRENCY_NOT_ALLOWED',
        message: `${event.currency} is not available at your verification level.${hint(own)}`,
      };
    }
    if (event.amountMinor <= limits.singleMinor) return undefined;
    const limit = amountText(limits.singleMinor, event.currency);
    return {
      code: 'TIER_SINGLE_LIMIT',
      message:
        event.type === 'topup'
          ? `A single top-up may not exceed ${limit}.${hint(own)}`
          : `${amountText(event.amountMinor, event.currency)} is above your single-transaction limit of ${limit}.${hint(own)}`,
    };
  }

  private periodCheck(
    event: MoneyEvent,
    own: EffectiveLimits,
    day: bigint,
    month: bigint,
  ): Refusal | undefined {
    const limits = own.limits;
    if (!limits) return undefined;
    const left = (limit: bigint, used: bigint) =>
      amountText(limit > used ? limit - used : 0n, event.currency);
    if (day + event.amountMinor > limits.dailyMinor) {
      return {
        code: 'TIER_DAILY_LIMIT',
        message: `This would pass your daily limit of ${amountText(limits.dailyMinor, event.currency)}; ${left(limits.dailyMinor, day)} remains today.${hint(own)}`,
      };
    }
    if (month + event.amountMinor > limits.monthlyMinor) {
      return {
        code: 'TIER_MONTHLY_LIMIT',
        message: `This would pass your monthly limit of ${amountText(limits.monthlyMinor, event.currency)}; ${left(limits.monthlyMinor, month)} remains this month.${hint(own)}`,
      };
    }
    return undefined;
  }

  /**
   * Money arriving in a customer wallet must not take its posted balance past the owner's
   * cap. The payer of a transfer learns that the recipient cannot receive it, never the
   * recipient's balance, tier or cap.
   */
  private async capCheck(
    event: MoneyEvent,
    ownerId: string,
    eff: EffectiveLimits,
    input: Record<string, unknown>,
    whose: 'own' | 'counterparty',
  ): Promise<Refusal | undefined> {
    const refusedIn = (): Refusal => ({
      code: 'TIER_BALANCE_CAP',
      message: `The recipient's wallet cannot receive ${amountText(event.amountMinor, event.currency)} now: it would pass the recipient's balance limit.`,
    });
    // A tier without the currency: the payer's own case was refused by singleCheck already.
    if (!eff.limits) return whose === 'own' ? undefined : refusedIn();
    const balance = await this.postedBalance(ownerId, event.currency);
    // No wallet in this currency: the movement itself fails on the missing account.
    if (balance === undefined) return undefined;
    input[whose === 'own' ? 'balanceMinor' : 'counterpartyBalanceMinor'] = balance.toString();
    const cap = eff.limits.balanceCapMinor;
    if (balance + event.amountMinor <= cap) return undefined;
    if (whose === 'counterparty') return refusedIn();
    return {
      code: 'TIER_BALANCE_CAP',
      message: `This top-up would take your wallet above its balance limit of ${amountText(cap, event.currency)}; you can add up to ${amountText(cap > balance ? cap - balance : 0n, event.currency)} now.${hint(eff)}`,
    };
  }

  private async postedBalance(ownerId: string, currency: Currency): Promise<bigint | undefined> {
    const row = await this.db
      .selectFrom('ledger_accounts')
      .select('posted_minor')
      .where('kind', '=', 'customer_wallet')
      .where('owner_id', '=', ownerId)
      .where('currency', '=', currency)
      .executeTakeFirst();
    return row ? BigInt(row.posted_minor) : undefined;
  }

  private async profile(customerId: string): Promise<Profile> {
    const cached = this.profiles.get(customerId);
    if (cached && Date.now() - cached.loadedAt < this.options.profileTtlMs) return cached;
    const pending = this.profileLoading.get(customerId);
    if (pending) return pending;
    const epoch = this.profileEpoch;
    const load: Promise<Profile> = this.loadProfile(customerId)
      .then((p) => {
        if (epoch === this.profileEpoch) {
          if (this.profiles.size >= PROFILE_CACHE_MAX) this.profiles.clear();
          this.profiles.set(customerId, p);
        }
        return p;
      })
      .finally(() => {
        if (this.profileLoading.get(customerId) === load) this.profileLoading.delete(customerId);
      });
    this.profileLoading.set(customerId, load);
    return load;
  }

  /** The tier and every override of a customer in one query; an unknown customer is unverified. */
  private async loadProfile(customerId: string): Promise<Profile> {
    const rows = await this.db
      .selectFrom('customers as c')
      .leftJoin('customer_limit_overrides as o', 'o.customer_id', 'c.id')
      .select([
        'c.kyc_tier',
        'o.currency',
        'o.single_minor',
        'o.daily_minor',
        'o.monthly_minor',
        'o.balance_cap_minor',
      ])
      .where('c.id', '=', customerId)
      .execute();
    const overrides = new Map<Currency, TierLimits>();
    for (const r of rows) {
      if (
        r.currency === null ||
        r.single_minor === null ||
        r.daily_minor === null ||
        r.monthly_minor === null ||
        r.balance_cap_minor === null
      )
        continue;
      const entry = overrideLimits({
        currency: r.currency,
        single_minor: r.single_minor,
        daily_minor: r.daily_minor,
        monthly_minor: r.monthly_minor,
        balance_cap_minor: r.balance_cap_minor,
      });
      if (entry) overrides.set(...entry);
    }
    return { tier: asKycTier(rows[0]?.kyc_tier ?? 0), overrides, loadedAt: Date.now() };
  }

  /** The local day and the local calendar month of a movement, in the policy's offset. */
  private usageKeys(customerId: string, currency: Currency, at: Date): { day: string; month: string } {
    const local = new Date(at.getTime() + this.config.dayOffsetMinutes * 60_000).toISOString();
    return {
      day: `${customerId}|${currency}|${local.slice(0, 10)}`,
      month: `${customerId}|${currency}|${local.slice(0, 7)}`,
    };
  }

  /** Makes sure the day's and the month's usage are in memory; loads both in one query when either is missing. */
  private async loadUsage(
    keys: { day: string; month: string },
    event: MoneyEvent,
  ): Promise<{ day: bigint; month: bigint }> {
    const day = this.usage.get(keys.day);
    const month = this.usage.get(keys.month);
    if (day !== undefined && month !== undefined) return { day, month };
    let pending = this.loading.get(keys.day);
    if (!pending) {
      pending = this.queryUsage(event).finally(() => this.loading.delete(keys.day));
      this.loading.set(keys.day, pending);
    }
    const loaded = await pending;
    // A decision that loaded first may already have reserved usage: its value wins.
    if (this.usage.size >= USAGE_CACHE_MAX) this.usage.clear();
    if (!this.usage.has(keys.day)) this.usage.set(keys.day, loaded.day);
    if (!this.usage.has(keys.month)) this.usage.set(keys.month, loaded.month);
    return loaded;
  }

  private async queryUsage(event: MoneyEvent): Promise<{ day: bigint; month: bigint }> {
    const offsetMs = this.config.dayOffsetMinutes * 60_000;
    const local = event.at.getTime() + offsetMs;
    const dayStart = new Date(local - (((local % DAY_MS) + DAY_MS) % DAY_MS) - offsetMs);
    const localDate = new Date(local);
    const monthStart = new Date(Date.UTC(localDate.getUTCFullYear(), localDate.getUTCMonth(), 1) - offsetMs);
    // Allowed or held outgoing decisions of the month whose movement happened (entry or hold).
    const row = await sql<{ day: bigint | null; month: bigint | null }>`
      select sum(d.amount_minor) filter (where d.created_at >= ${dayStart.toISOString()}::timestamptz)::int8 as day,
        sum(d.amount_minor)::int8 as month
      from risk_decisions d
      where d.subject_id = ${event.customerId} and d.currency = ${event.currency}
        and d.created_at >= ${monthStart.toISOString()}::timestamptz
        and d.event_type in ('withdrawal', 'transfer', 'payment') and d.outcome in ('ALLOW', 'REVIEW')
        and (exists (select 1 from ledger_entries e where e.decision_id = d.id)
          or exists (select 1 from ledger_holds h where h.decision_id = d.id))`.execute(this.db);
    return { day: BigInt(row.rows[0]?.day ?? 0n), month: BigInt(row.rows[0]?.month ?? 0n) };
  }
}

/** A customer's limits in a currency: the approved override when there is one, else the tier's. */
export function effectiveLimits(
  tiers: TierTable,
  tier: KycTier,
  overrides: ReadonlyMap<Currency, TierLimits>,
  currency: Currency,
): EffectiveLimits {
  const override = overrides.get(currency);
  if (override) return { tier, source: 'override', limits: override };
  return { tier, source: 'tier', limits: tiers[tier][currency] };
}

/** A decision in which the limits did not act (an event that moves no money, or no limits at all). */
export function passed(
  event: RiskEvent,
  policy: string,
  input: Record<string, unknown>,
  started: bigint = process.hrtime.bigint(),
): RiskDecision {
  return {
    id: newId('dec'),
    eventType: event.type,
    subjectId: event.customerId,
    currency: event.currency,
    amountMinor: event.amountMinor,
    outcome: 'ALLOW',
    reasonCodes: [],
    customerMessage: null,
    policy,
    input,
    latencyUs: Number((process.hrtime.bigint() - started) / 1000n),
    createdAt: event.at,
  };
}

/** An override row as limits, or undefined for a currency Bulwark does not know. */
export function overrideLimits(row: {
  currency: string;
  single_minor: bigint;
  daily_minor: bigint;
  monthly_minor: bigint;
  balance_cap_minor: bigint;
}): [Currency, TierLimits] | undefined {
  if (!Object.hasOwn(CURRENCIES, row.currency)) return undefined;
  return [
    row.currency as Currency,
    {
      singleMinor: BigInt(row.single_minor),
      dailyMinor: BigInt(row.daily_minor),
      monthlyMinor: BigInt(row.monthly_minor),
      balanceCapMinor: BigInt(row.balance_cap_minor),
    },
  ];
}

function amountText(minor: bigint, currency: Currency): string {
  return `${formatMinor(minor, currency)} ${currency}`;
}

/** What raises a limit, told with the refusal: the next verification level, if there is one. */
function hint(own: EffectiveLimits): string {
  if (own.source === 'override') return '';
  if (own.tier === 0) return ' Verifying your real name raises this limit.';
  if (own.tier === 1) return ' Completing full identity verification raises this limit.';
  return '';
}
