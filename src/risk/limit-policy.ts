import { sql } from 'kysely';
import type { Db } from '../platform/db.ts';
import { newId } from '../platform/ids.ts';
import { riskDecisions } from '../platform/metrics.ts';
import { CURRENCIES, type Currency, formatMinor } from '../platform/money.ts';
import type { RiskDecision, RiskEvent, RiskEventType, RiskGate, RiskOutcome } from './gate.ts';

export interface CurrencyLimits {
  /** Largest single outgoing movement. */
  singleMinor: bigint;
  /** Largest sum of outgoing movements per customer per day. */
  dailyMinor: bigint;
  /** Outgoing movements from this amount up are held for review. */
  reviewFromMinor: bigint;
}

export interface LimitPolicyConfig {
  limits: Record<Currency, CurrencyLimits>;
  /** The day for daily limits starts at midnight in this offset from UTC (China: +480). */
  dayOffsetMinutes: number;
}

const major = (units: number, currency: Currency) => BigInt(units) * 10n ** BigInt(CURRENCIES[currency]);

function limitsFor(currency: Currency, single: number, daily: number, review: number): CurrencyLimits {
  return {
    singleMinor: major(single, currency),
    dailyMinor: major(daily, currency),
    reviewFromMinor: major(review, currency),
  };
}

/** Default limits; KYC tiers replace them per customer when the identity module lands. */
export const DEFAULT_LIMIT_POLICY: LimitPolicyConfig = {
  dayOffsetMinutes: 480,
  limits: {
    CNY: limitsFor('CNY', 50_000, 200_000, 20_000),
    HKD: limitsFor('HKD', 50_000, 200_000, 20_000),
    USD: limitsFor('USD', 7_000, 28_000, 3_000),
    EUR: limitsFor('EUR', 6_500, 26_000, 2_800),
    GBP: limitsFor('GBP', 5_500, 22_000, 2_400),
    SGD: limitsFor('SGD', 9_000, 36_000, 4_000),
    JPY: limitsFor('JPY', 1_000_000, 4_000_000, 450_000),
  },
};

const OUTGOING: ReadonlySet<RiskEventType> = new Set(['withdrawal', 'transfer', 'payment']);
const USAGE_CACHE_MAX = 200_000;

/**
 * The built-in policy behind the RiskGate until the risk engine lands: per-customer
 * single and daily limits on outgoing money, and review from a threshold. Daily usage
 * is reserved when a movement is allowed and released when it fails, so parallel
 * requests cannot together pass the limit within this process.
 */
export class LimitPolicyGate implements RiskGate {
  private readonly usage = new Map<string, bigint>();
  private readonly loading = new Map<string, Promise<bigint>>();

  constructor(
    private readonly db: Db,
    private readonly config: LimitPolicyConfig = DEFAULT_LIMIT_POLICY,
  ) {}

  async decide(event: RiskEvent): Promise<RiskDecision> {
    const started = process.hrtime.bigint();
    const limits = this.config.limits[event.currency];
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
    const amountText = `${formatMinor(event.amountMinor, event.currency)} ${event.currency}`;

    if (event.type === 'topup' && event.amountMinor > limits.singleMinor) {
      outcome = 'BLOCK';
      reasons.push('SINGLE_LIMIT');
      message = `A single top-up may not exceed ${formatMinor(limits.singleMinor, event.currency)} ${event.currency}.`;
    } else if (OUTGOING.has(event.type)) {
      const key = this.usageKey(event.customerId, event.currency, event.at);
      const used = await this.usedToday(key, event);
      input.dailyUsedMinor = used.toString();
      if (event.amountMinor > limits.singleMinor) {
        outcome = 'BLOCK';
        reasons.push('SINGLE_LIMIT');
        message = `${amountText} is above your single-transaction limit of ${formatMinor(limits.singleMinor, event.currency)} ${event.currency}.`;
      } else if (used + event.amountMinor > limits.dailyMinor) {
        outcome = 'BLOCK';
        reasons.push('DAILY_LIMIT');
        const left = limits.dailyMinor - used;
        message = `This would pass your daily limit of ${formatMinor(limits.dailyMinor, event.currency)} ${event.currency}; ${formatMinor(left > 0n ? left : 0n, event.currency)} ${event.currency} remains today.`;
      } else {
        if (event.amountMinor >= limits.reviewFromMinor) {
          outcome = 'REVIEW';
          reasons.push('LARGE_AMOUNT');
          message = `${amountText} is held for a security review because it is a large amount. The money stays reserved in your wallet; we expect to finish within 2 hours.`;
        }
        this.usage.set(key, used + event.amountMinor);
      }
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
      policy: 'builtin-limits/1',
      input,
      latencyUs: Number((process.hrtime.bigint() - started) / 1000n),
      createdAt: event.at,
    };
    riskDecisions.inc({ event_type: event.type, outcome });
    return decision;
  }

  recordCommitted(): void {}

  /** Gives back the daily usage reserved by an allowed decision whose movement did not happen. */
  release(decision: RiskDecision): void {
    if (!OUTGOING.has(decision.eventType) || decision.outcome === 'BLOCK') return;
    const key = this.usageKey(decision.subjectId, decision.currency, decision.createdAt);
    const used = this.usage.get(key);
    if (used !== undefined)
      this.usage.set(key, used >= decision.amountMinor ? used - decision.amountMinor : 0n);
  }

  private usageKey(customerId: string, currency: Currency, at: Date): string {
    const day = new Date(at.getTime() + this.config.dayOffsetMinutes * 60_000).toISOString().slice(0, 10);
    return `${customerId}|${currency}|${day}`;
  }

  private async usedToday(key: string, event: RiskEvent): Promise<bigint> {
    const cached = this.usage.get(key);
    if (cached !== undefined) return cached;
    let pending = this.loading.get(key);
    if (!pending) {
      pending = this.loadUsage(event).finally(() => this.loading.delete(key));
      this.loading.set(key, pending);
    }
    const loaded = await pending;
    const raced = this.usage.get(key);
    if (raced !== undefined) return raced;
    if (this.usage.size >= USAGE_CACHE_MAX) this.usage.clear();
    this.usage.set(key, loaded);
    return loaded;
  }

  private async loadUsage(event: RiskEvent): Promise<bigint> {
    const offsetMs = this.config.dayOffsetMinutes * 60_000;
    const local = event.at.getTime() + offsetMs;
    const dayStart = new Date(local - (local % 86_400_000) - offsetMs);
    // Allowed or held outgoing decisions of the day whose movement happened (entry or hold).
    const row = await sql<{ total: bigint | null }>`
      select sum(d.amount_minor)::int8 as total from risk_decisions d
      where d.subject_id = ${event.customerId} and d.currency = ${event.currency}
        and d.created_at >= ${dayStart.toISOString()}::timestamptz
        and d.event_type in ('withdrawal', 'transfer', 'payment') and d.outcome in ('ALLOW', 'REVIEW')
        and (exists (select 1 from ledger_entries e where e.decision_id = d.id)
          or exists (select 1 from ledger_holds h where h.decision_id = d.id))`.execute(this.db);
    return BigInt(row.rows[0]?.total ?? 0n);
  }
}
