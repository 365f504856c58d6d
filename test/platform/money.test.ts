// Proves amounts are parsed strictly from integer strings and formatted per currency exponent, with no float arithmetic.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/platform/errors.ts';
import {
  AMOUNT_MINOR_MAX,
  applyBps,
  formatMinor,
  parseAmountMinor,
  parseCurrency,
} from '../../src/platform/money.ts';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof AppError ? err.code : 'NOT_APP_ERROR';
  }
  return undefined;
}

describe('parseAmountMinor', () => {
  it('accepts positive integer strings and returns exact bigints', () => {
    expect(parseAmountMinor('1')).toBe(1n);
    expect(parseAmountMinor('999999999999999')).toBe(999_999_999_999_999n);
    expect(parseAmountMinor(AMOUNT_MINOR_MAX.toString())).toBe(AMOUNT_MINOR_MAX);
  });

  it.each(['0', '-5', '12.50', '0100', '1e3', ' 1', '', 'abc', '10000000000000000000'])(
    'refuses %j',
    (raw) => {
      expect(codeOf(() => parseAmountMinor(raw))).toBe('AMOUNT_INVALID');
    },
  );

  it('refuses amounts above the maximum', () => {
    expect(codeOf(() => parseAmountMinor((AMOUNT_MINOR_MAX + 1n).toString()))).toBe('AMOUNT_TOO_LARGE');
  });

  it('round-trips every valid amount', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: AMOUNT_MINOR_MAX }), (n) => {
        expect(parseAmountMinor(n.toString())).toBe(n);
      }),
    );
  });
});

describe('currencies', () => {
  it('knows the supported codes and refuses others', () => {
    expect(parseCurrency('CNY')).toBe('CNY');
    expect(codeOf(() => parseCurrency('XXX'))).toBe('CURRENCY_UNKNOWN');
    expect(codeOf(() => parseCurrency('cny'))).toBe('CURRENCY_UNKNOWN');
  });

  it('formats with the currency exponent', () => {
    expect(formatMinor(123456n, 'CNY')).toBe('1234.56');
    expect(formatMinor(5n, 'USD')).toBe('0.05');
    expect(formatMinor(-250n, 'EUR')).toBe('-2.50');
    expect(formatMinor(123456n, 'JPY')).toBe('123456');
    expect(formatMinor(0n, 'HKD')).toBe('0.00');
  });
});

describe('applyBps', () => {
  it('rounds half up', () => {
    expect(applyBps(10_000n, 60)).toBe(60n);
    expect(applyBps(1n, 5_000)).toBe(1n);
    expect(applyBps(1n, 4_999)).toBe(0n);
    expect(applyBps(12_345n, 60)).toBe(74n);
    expect(applyBps(999n, 0)).toBe(0n);
    expect(applyBps(999n, 10_000)).toBe(999n);
  });

  it('never exceeds the amount and is monotonic in the amount', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: AMOUNT_MINOR_MAX }),
        fc.integer({ min: 0, max: 10_000 }),
        (a, bps) => {
          const fee = applyBps(a, bps);
          expect(fee >= 0n && fee <= a).toBe(true);
          expect(applyBps(a + 1n, bps) >= fee).toBe(true);
        },
      ),
    );
  });
});
