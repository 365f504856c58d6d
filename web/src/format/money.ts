import { CURRENCIES, isCurrency } from '../../../src/platform/money.ts';

/**
 * Money on screen. Amounts arrive as strings of integer minor units with a currency
 * code; they are split into whole and fractional parts with BigInt and handed to
 * Intl.NumberFormat as an exact decimal string, so no amount ever passes through a
 * float.
 */

const MINOR_PATTERN = /^-?[0-9]{1,30}$/;

/** Digits after the decimal point for a currency: the ledger's table first, then the locale data. */
export function currencyExponent(currency: string): number {
  if (isCurrency(currency)) return CURRENCIES[currency];
  try {
    return (
      new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ??
      2
    );
  } catch {
    return 2;
  }
}

type DecimalString = `${number}`;

/** "123456" with exponent 2 → "1234.56"; exact for any length. Returns undefined for anything else. */
export function minorToDecimal(minor: string, exponent: number): DecimalString | undefined {
  if (!MINOR_PATTERN.test(minor) || !Number.isInteger(exponent) || exponent < 0 || exponent > 6) {
    return undefined;
  }
  const value = BigInt(minor);
  const negative = value < 0n;
  const magnitude = negative ? -value : value;
  const scale = 10n ** BigInt(exponent);
  const whole = (magnitude / scale).toString();
  const fraction = (magnitude % scale).toString().padStart(exponent, '0');
  const text = `${negative ? '-' : ''}${whole}${exponent > 0 ? `.${fraction}` : ''}`;
  return text as DecimalString;
}

const formatters = new Map<string, Intl.NumberFormat>();

function formatterFor(locale: string, currency: string, exponent: number): Intl.NumberFormat {
  const key = `${locale}|${currency}|${exponent}`;
  let f = formatters.get(key);
  if (!f) {
    try {
      f = new Intl.NumberFormat(locale, {
        style: 'currency',
        currency,
        minimumFractionDigits: exponent,
        maximumFractionDigits: exponent,
      });
    } catch {
      f = new Intl.NumberFormat(locale, { minimumFractionDigits: exponent, maximumFractionDigits: exponent });
    }
    formatters.set(key, f);
  }
  return f;
}

/**
 * Formats an amount of minor units for a locale: formatMoney('123450', 'CNY', 'zh-CN') → "¥1,234.50",
 * formatMoney('1235', 'JPY', 'en') → "¥1,235". A value that is not an integer string shows as "—".
 */
export function formatMoney(minor: string | null | undefined, currency: string, locale: string): string {
  if (minor === null || minor === undefined) return '—';
  const exponent = currencyExponent(currency);
  const decimal = minorToDecimal(minor, exponent);
  if (decimal === undefined) return '—';
  return formatterFor(locale, currency, exponent).format(decimal);
}

/**
 * Reads an amount typed in major units ("1,234.5") into minor units ("123450") for the
 * currency, with string arithmetic only. Returns null when it is not a positive amount
 * with at most the currency's number of decimals.
 */
export function parseMajorToMinor(typed: string, currency: string): string | null {
  const exponent = currencyExponent(currency);
  const clean = typed.replace(/[\s,_]/g, '');
  const m = /^([0-9]{1,18})(?:\.([0-9]*))?$/.exec(clean);
  if (!m) return null;
  const whole = m[1] ?? '';
  const fraction = m[2] ?? '';
  if (fraction.length > exponent) return null;
  const value = BigInt(whole) * 10n ** BigInt(exponent) + BigInt(fraction.padEnd(exponent, '0') || '0');
  return value > 0n ? value.toString() : null;
}
