import { CURRENCIES, CURRENCY_CODES, type Currency } from '../platform/money.ts';

/**
 * KYC tiers (实名制 levels) and the limits each one grants. Limits are configuration:
 * the defaults below can be replaced by a JSON document (BULWARK_KYC_TIERS) without a
 * code change; amounts are in major units there and converted with the currency exponent.
 */
export type KycTier = 0 | 1 | 2;

export interface TierLimits {
  singleMinor: bigint;
  dailyMinor: bigint;
  monthlyMinor: bigint;
  /** Largest wallet balance; money arriving beyond it is refused. */
  balanceCapMinor: bigint;
}

export type TierTable = Record<KycTier, Partial<Record<Currency, TierLimits>>>;

export const KYC_TIERS: readonly KycTier[] = [0, 1, 2];

/** A stored tier (the column is checked to 0–2); anything else reads as unverified. */
export function asKycTier(value: number): KycTier {
  return value === 1 || value === 2 ? value : 0;
}

export interface MajorLimits {
  single: number;
  daily: number;
  monthly: number;
  balanceCap: number;
}

/** CNY defaults in major units: unverified wallets are small, fully verified ones large. */
const CNY_TIERS: Record<KycTier, MajorLimits> = {
  0: { single: 500, daily: 1_000, monthly: 2_000, balanceCap: 1_000 },
  1: { single: 5_000, daily: 20_000, monthly: 100_000, balanceCap: 100_000 },
  2: { single: 50_000, daily: 200_000, monthly: 1_000_000, balanceCap: 5_000_000 },
};

/**
 * Other currencies get the CNY amounts scaled by a rough, rounded rate (per mille of the
 * CNY amount), the same scaling the limit policy's review thresholds use.
 */
const PER_MILLE_OF_CNY: Record<Currency, number> = {
  CNY: 1_000,
  HKD: 1_000,
  USD: 140,
  EUR: 130,
  GBP: 110,
  SGD: 180,
  JPY: 20_000,
};

function scaled(limits: MajorLimits, perMille: number): MajorLimits {
  const scale = (units: number) => Math.round((units * perMille) / 1_000);
  return {
    single: scale(limits.single),
    daily: scale(limits.daily),
    monthly: scale(limits.monthly),
    balanceCap: scale(limits.balanceCap),
  };
}

function defaultTiers(): Record<KycTier, Partial<Record<Currency, MajorLimits>>> {
  const table: Record<KycTier, Partial<Record<Currency, MajorLimits>>> = { 0: {}, 1: {}, 2: {} };
  for (const tier of [0, 1, 2] as const) {
    for (const currency of CURRENCY_CODES) {
      table[tier][currency] = scaled(CNY_TIERS[tier], PER_MILLE_OF_CNY[currency]);
    }
  }
  return table;
}

/** Defaults in major units for every supported currency (CNY: tier 0 ¥500 a movement … tier 2 ¥50,000). */
export const DEFAULT_TIERS_MAJOR: Record<KycTier, Partial<Record<Currency, MajorLimits>>> = defaultTiers();

function toMinor(units: number, currency: Currency, field: string): bigint {
  if (!Number.isInteger(units) || units < 0) throw new Error(`${field} must be a whole, non-negative amount`);
  return BigInt(units) * 10n ** BigInt(CURRENCIES[currency]);
}

/** Builds the tier table from major-unit configuration, checking that higher tiers never grant less. */
export function tierTable(
  config: Record<KycTier, Partial<Record<Currency, MajorLimits>>> = DEFAULT_TIERS_MAJOR,
): TierTable {
  const table: TierTable = { 0: {}, 1: {}, 2: {} };
  for (const tier of [0, 1, 2] as const) {
    const byCurrency = config[tier];
    for (const [code, l] of Object.entries(byCurrency)) {
      if (!Object.hasOwn(CURRENCIES, code) || !l) throw new Error(`tier ${tier}: unknown currency ${code}`);
      const currency = code as Currency;
      const limits: TierLimits = {
        singleMinor: toMinor(l.single, currency, `tier ${tier} ${code} single`),
        dailyMinor: toMinor(l.daily, currency, `tier ${tier} ${code} daily`),
        monthlyMinor: toMinor(l.monthly, currency, `tier ${tier} ${code} monthly`),
        balanceCapMinor: toMinor(l.balanceCap, currency, `tier ${tier} ${code} balanceCap`),
      };
      if (limits.singleMinor > limits.dailyMinor || limits.dailyMinor > limits.monthlyMinor) {
        throw new Error(`tier ${tier} ${code}: single ≤ daily ≤ monthly is required`);
      }
      table[tier][currency] = limits;
    }
  }
  for (const tier of [1, 2] as const) {
    for (const [code, l] of Object.entries(table[tier])) {
      const lower = table[(tier - 1) as KycTier][code as Currency];
      if (l && lower && (l.singleMinor < lower.singleMinor || l.balanceCapMinor < lower.balanceCapMinor)) {
        throw new Error(`tier ${tier} ${code} grants less than tier ${tier - 1}`);
      }
    }
  }
  return table;
}

/** Parses BULWARK_KYC_TIERS: `{"0":{"CNY":{"single":500,"daily":1000,"monthly":2000,"balanceCap":1000}},…}`. */
export function tierTableFromJson(json: string): TierTable {
  const value: unknown = JSON.parse(json);
  if (typeof value !== 'object' || value === null) throw new Error('KYC tiers must be a JSON object');
  const config: Record<KycTier, Partial<Record<Currency, MajorLimits>>> = { 0: {}, 1: {}, 2: {} };
  for (const tier of [0, 1, 2] as const) {
    const entry: unknown = Reflect.get(value, String(tier));
    if (typeof entry !== 'object' || entry === null) throw new Error(`KYC tier ${tier} is missing`);
    for (const [code, limits] of Object.entries(entry)) {
      if (typeof limits !== 'object' || limits === null)
        throw new Error(`tier ${tier} ${code}: limits must be an object`);
      const get = (k: string) => {
        const v: unknown = Reflect.get(limits, k);
        if (typeof v !== 'number') throw new Error(`tier ${tier} ${code}: ${k} must be a number`);
        return v;
      };
      if (!Object.hasOwn(CURRENCIES, code)) throw new Error(`tier ${tier}: unknown currency ${code}`);
      config[tier][code as Currency] = {
        single: get('single'),
        daily: get('daily'),
        monthly: get('monthly'),
        balanceCap: get('balanceCap'),
      };
    }
  }
  return tierTable(config);
}
