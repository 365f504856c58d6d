// Proves KYC tier limits are configuration: defaults convert to minor units, JSON replaces them, and inconsistent tables are refused.
import { describe, expect, it } from 'vitest';
import { tierTable, tierTableFromJson } from '../../src/identity/tiers.ts';

describe('KYC tiers', () => {
  it('converts the defaults to minor units, growing with the tier', () => {
    const t = tierTable();
    expect(t[0].CNY?.singleMinor).toBe(50_000n);
    expect(t[1].CNY?.balanceCapMinor).toBe(10_000_000n);
    expect(t[2].CNY?.dailyMinor).toBe(20_000_000n);
  });

  it('reads a JSON table, including currencies without minor units', () => {
    const t = tierTableFromJson(
      JSON.stringify({
        0: { JPY: { single: 10_000, daily: 20_000, monthly: 50_000, balanceCap: 30_000 } },
        1: { JPY: { single: 100_000, daily: 200_000, monthly: 500_000, balanceCap: 300_000 } },
        2: { JPY: { single: 1_000_000, daily: 2_000_000, monthly: 5_000_000, balanceCap: 3_000_000 } },
      }),
    );
    expect(t[1].JPY?.singleMinor).toBe(100_000n);
  });

  it('refuses tables that are inconsistent or malformed', () => {
    const ok = { single: 1, daily: 2, monthly: 3, balanceCap: 3 };
    expect(() => tierTableFromJson('[]')).toThrow(/tier 0/);
    expect(() => tierTableFromJson(JSON.stringify({ 0: { XXX: ok }, 1: {}, 2: {} }))).toThrow(
      /unknown currency/,
    );
    expect(() =>
      tierTableFromJson(JSON.stringify({ 0: { CNY: { ...ok, single: 5 } }, 1: {}, 2: {} })),
    ).toThrow(/single ≤ daily ≤ monthly/);
    expect(() =>
      tierTableFromJson(JSON.stringify({ 0: { CNY: { ...ok, daily: 2.5 } }, 1: {}, 2: {} })),
    ).toThrow(/whole/);
    expect(() =>
      tierTableFromJson(
        JSON.stringify({
          0: { CNY: { single: 10, daily: 20, monthly: 30, balanceCap: 30 } },
          1: { CNY: ok },
          2: {},
        }),
      ),
    ).toThrow(/grants less/);
  });
});
