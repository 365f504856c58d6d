// Money on screen: minor-unit strings become exact decimals by the currency's exponent (CNY 2, JPY 0) and are formatted per locale without floats.
import { describe, expect, it } from 'vitest';
import { currencyExponent, formatMoney, minorToDecimal, parseMajorToMinor } from './money.ts';

describe('currency exponents', () => {
  it('follows the ledger table and ISO 4217 for the rest', () => {
    expect(currencyExponent('CNY')).toBe(2);
    expect(currencyExponent('USD')).toBe(2);
    expect(currencyExponent('JPY')).toBe(0);
    expect(currencyExponent('KWD')).toBe(3);
  });
});

describe('minor units to decimal strings', () => {
  it('splits with the exponent, padding the fraction', () => {
    expect(minorToDecimal('123450', 2)).toBe('1234.50');
    expect(minorToDecimal('5', 2)).toBe('0.05');
    expect(minorToDecimal('0', 2)).toBe('0.00');
    expect(minorToDecimal('-2500', 2)).toBe('-25.00');
    expect(minorToDecimal('1235', 0)).toBe('1235');
    expect(minorToDecimal('1234', 3)).toBe('1.234');
  });

  it('stays exact beyond the range of a float', () => {
    // 2^53 + 1 minor units cannot be held by a double; the string keeps every digit.
    expect(minorToDecimal('9007199254740993', 2)).toBe('90071992547409.93');
    expect(minorToDecimal('123456789012345678', 2)).toBe('1234567890123456.78');
  });

  it('refuses what is not an integer string', () => {
    expect(minorToDecimal('12.5', 2)).toBeUndefined();
    expect(minorToDecimal('', 2)).toBeUndefined();
    expect(minorToDecimal('1e5', 2)).toBeUndefined();
    expect(minorToDecimal('abc', 0)).toBeUndefined();
  });
});

describe('formatMoney per locale', () => {
  it('formats CNY in English and Chinese', () => {
    expect(formatMoney('123450', 'CNY', 'en')).toBe('CN¥1,234.50');
    expect(formatMoney('123450', 'CNY', 'zh-CN')).toBe('¥1,234.50');
  });

  it('shows no fraction for JPY', () => {
    expect(formatMoney('1235', 'JPY', 'en')).toBe('¥1,235');
    expect(formatMoney('1235', 'JPY', 'zh-CN')).toBe('JP¥1,235');
  });

  it('uses the locale for grouping and sign', () => {
    expect(formatMoney('-2500', 'USD', 'en')).toBe('-$25.00');
    expect(formatMoney('123456789', 'EUR', 'de-DE')).toBe('1.234.567,89\u00a0€');
  });

  it('keeps every digit of a large amount', () => {
    expect(formatMoney('9007199254740993', 'CNY', 'en')).toBe('CN¥90,071,992,547,409.93');
    expect(formatMoney('123456789012345678', 'CNY', 'zh-CN')).toBe('¥1,234,567,890,123,456.78');
  });

  it('shows a dash, never "undefined" or "NaN", for a missing or malformed amount', () => {
    expect(formatMoney(undefined, 'CNY', 'en')).toBe('—');
    expect(formatMoney(null, 'CNY', 'en')).toBe('—');
    expect(formatMoney('12.50', 'CNY', 'en')).toBe('—');
  });
});

describe('typed amounts to minor units', () => {
  it('scales by the exponent with string arithmetic', () => {
    expect(parseMajorToMinor('1234.5', 'CNY')).toBe('123450');
    expect(parseMajorToMinor('1,234.56', 'CNY')).toBe('123456');
    expect(parseMajorToMinor('0.01', 'USD')).toBe('1');
    expect(parseMajorToMinor('1235', 'JPY')).toBe('1235');
    expect(parseMajorToMinor('90071992547409.93', 'CNY')).toBe('9007199254740993');
  });

  it('refuses more decimals than the currency has, zero, negatives and text', () => {
    expect(parseMajorToMinor('1.234', 'CNY')).toBeNull();
    expect(parseMajorToMinor('12.5', 'JPY')).toBeNull();
    expect(parseMajorToMinor('0', 'CNY')).toBeNull();
    expect(parseMajorToMinor('-5', 'CNY')).toBeNull();
    expect(parseMajorToMinor('ten', 'CNY')).toBeNull();
    expect(parseMajorToMinor('', 'CNY')).toBeNull();
  });
});
