import { AppError } from './errors.ts';

/** ISO 4217 currencies Bulwark accepts, with the exponent of their minor unit. */
export const CURRENCIES = {
  CNY: 2,
  USD: 2,
  EUR: 2,
  HKD: 2,
  JPY: 0,
  GBP: 2,
  SGD: 2,
} as const;

export type Currency = keyof typeof CURRENCIES;

export const CURRENCY_CODES = Object.keys(CURRENCIES) as Currency[];

/** The largest amount any single operation may carry, in minor units (10^15: ten trillion yuan). */
export const AMOUNT_MINOR_MAX = 1_000_000_000_000_000n;

export function isCurrency(value: string): value is Currency {
  return Object.hasOwn(CURRENCIES, value);
}

export function parseCurrency(value: string): Currency {
  if (!isCurrency(value)) throw new AppError('CURRENCY_UNKNOWN', `Currency "${value}" is not supported.`);
  return value;
}

const AMOUNT_PATTERN = /^[1-9][0-9]{0,17}$/;

/** Parses a positive integer string of minor units into a bigint, refusing anything else. */
export function parseAmountMinor(value: string, field = 'amountMinor'): bigint {
  if (!AMOUNT_PATTERN.test(value)) {
    throw new AppError(
      'AMOUNT_INVALID',
      `${field} must be a positive integer number of minor units, as a string.`,
    );
  }
  const amount = BigInt(value);
  if (amount > AMOUNT_MINOR_MAX) {
    throw new AppError('AMOUNT_TOO_LARGE', `${field} must not exceed ${AMOUNT_MINOR_MAX} minor units.`);
  }
  return amount;
}

/**
 * amount × bps / 10 000, rounded half up (half away from zero for positive amounts).
 * Fees use this rounding; the statement shows each fee so it can be re-derived.
 */
export function applyBps(amountMinor: bigint, bps: number): bigint {
  if (!Number.isInteger(bps) || bps < 0 || bps > 10_000) throw new RangeError(`bps out of range: ${bps}`);
  return (amountMinor * BigInt(bps) * 2n + 10_000n) / 20_000n;
}

/** Formats minor units as a decimal string in major units, for humans (e.g. "1234.50"). */
export function formatMinor(amountMinor: bigint, currency: Currency): string {
  const exponent = CURRENCIES[currency];
  const negative = amountMinor < 0n;
  const digits = (negative ? -amountMinor : amountMinor).toString().padStart(exponent + 1, '0');
  const whole = exponent === 0 ? digits : digits.slice(0, -exponent);
  const fraction = exponent === 0 ? '' : `.${digits.slice(-exponent)}`;
  return `${negative ? '-' : ''}${whole}${fraction}`;
}
