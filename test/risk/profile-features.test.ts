// Proves the profile features added for the engine: amount standard score, dormancy, and impossible travel from client positions or the IP region table.
import { describe, expect, it } from 'vitest';
import { NO_LIMITS, RiskEngine } from '../../src/risk/engine.ts';
import { FeatureComputer } from '../../src/risk/features/compute.ts';
import { MemoryProfileSource } from '../../src/risk/features/profile.ts';
import type { FeatureEvent } from '../../src/risk/features/velocity-events.ts';
import type { RiskEvent } from '../../src/risk/gate.ts';
import { IpRegionTable } from '../../src/risk/geo.ts';
import { RuleEngine } from '../../src/risk/rules/evaluate.ts';
import { starterLiveVersions } from '../../src/risk/rules/starter.ts';
import { MemoryVelocityStore } from '../../src/risk/velocity/memory-store.ts';

const T0 = Date.parse('2026-11-20T02:00:00Z');
const DAY = 86_400_000;
const SHANGHAI = { country: 'CN', region: 'Shanghai', lat: 31.23, lon: 121.47 };
const KASHGAR = { country: 'CN', region: 'Xinjiang', lat: 39.47, lon: 75.99 };

function computer(profile = new MemoryProfileSource()) {
  profile.seedCustomer('cus_a', { createdAt: new Date(T0 - 400 * DAY), kycTier: 2 });
  return new FeatureComputer({ velocity: new MemoryVelocityStore(), profile });
}

/** Computes an event's features, then lets the profile learn it (as the engine does on ALLOW). */
async function step(c: FeatureComputer, e: FeatureEvent) {
  const at = e.at ?? new Date(T0);
  const r = await c.compute(e, at);
  await c.committed(e, at);
  return r.features;
}

const out = (minutesAfter: number, amount: bigint, geo = SHANGHAI): FeatureEvent => ({
  type: 'withdrawal',
  customerId: 'cus_a',
  currency: 'CNY',
  amountMinor: amount,
  at: new Date(T0 + minutesAfter * 60_000),
  geo,
});

describe('profile features', () => {
  it('scores an amount against the customer’s own history, 0 until there are three', async () => {
    const c = computer();
    expect((await step(c, out(0, 10_000n)))['customer.amountZScore']).toBe(0);
    await step(c, out(10, 12_000n));
    await step(c, out(20, 8_000n));
    const f = await step(c, out(30, 50_000n));
    // Mean 10,000, deviation about 1,633: 50,000 lies about 24.5 deviations above.
    expect(f['customer.amountZScore']).toBeCloseTo(24.49, 1);
  });

  it('counts the days an account was quiet before money leaves it', async () => {
    const c = computer();
    // Never paid out: quiet since registration.
    expect((await step(c, out(0, 1_000n)))['customer.daysDormant']).toBe(400);
    expect((await step(c, out(60 * 24 * 45, 1_000n)))['customer.daysDormant']).toBe(45);
  });

  it('measures distance and speed from the last position; absent without positions', async () => {
    const c = computer();
    const first = await step(c, out(0, 1_000n));
    expect(first['customer.travelKmh']).toBeUndefined();
    // Kashgar is about 4,300 km from Shanghai: 30 minutes later is impossible, 3 days later is not.
    const jump = await step(c, out(30, 1_000n, KASHGAR));
    expect(jump['customer.distanceFromLastKm']).toBeGreaterThan(4000);
    expect(jump['customer.travelKmh']).toBeGreaterThan(8000);
    const later = await step(c, out(30 + 3 * 24 * 60, 1_000n, SHANGHAI));
    expect(later['customer.travelKmh']).toBeLessThan(100);
    const nowhere = await step(c, { ...out(4 * 24 * 60, 1_000n), geo: undefined });
    expect(nowhere['customer.travelKmh']).toBeUndefined();
  });

  it('places events by the IP region table when the client sends no position, and challenges impossible travel', async () => {
    const versions = starterLiveVersions();
    const profile = new MemoryProfileSource();
    profile.seedCustomer('cus_a', { createdAt: new Date(T0 - 400 * DAY), kycTier: 2 });
    let now = T0;
    const engine = new RiskEngine({
      limits: NO_LIMITS,
      features: new FeatureComputer({ velocity: new MemoryVelocityStore(), profile }),
      rules: new RuleEngine({ revision: async () => '1', live: async () => ({ revision: '1', versions }) }),
      ipRegions: IpRegionTable.fromCsv(
        '58.246.0.0,58.246.255.255,CN,Shanghai,31.23,121.47\n202.100.0.0,202.100.255.255,CN,Xinjiang,39.47,75.99',
      ),
      now: () => new Date(now),
    });
    const w = (ip: string): RiskEvent => ({
      type: 'withdrawal',
      customerId: 'cus_a',
      currency: 'CNY',
      amountMinor: 20_000n,
      ip,
      at: new Date(now),
    });
    const home = await engine.decide(w('58.246.1.2'));
    expect(home.outcome).toBe('ALLOW');
    expect(home.input.geo).toMatchObject({ region: 'Shanghai' });
    now += 20 * 60_000;
    const away = await engine.decide(w('202.100.3.4'));
    expect(away.outcome).toBe('CHALLENGE');
    expect(away.reasonCodes).toContain('IMPOSSIBLE_TRAVEL');
    expect(away.detail?.explanation).toEqual(
      expect.arrayContaining([expect.stringContaining('impossible_travel v1')]),
    );
  });
});
