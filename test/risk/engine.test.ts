// Proves the engine's combination of limits, features, model and rules: fail-safe outcomes when a source is slow, step-up satisfying a challenge, a failing model, determinism for a fixed stream.
import { describe, expect, it } from 'vitest';
import { NO_LIMITS, RiskEngine, type RiskModel } from '../../src/risk/engine.ts';
import { FeatureComputer } from '../../src/risk/features/compute.ts';
import { MemoryProfileSource, type ProfileSource } from '../../src/risk/features/profile.ts';
import type { RiskEvent } from '../../src/risk/gate.ts';
import { RuleEngine } from '../../src/risk/rules/evaluate.ts';
import { starterLiveVersions } from '../../src/risk/rules/starter.ts';
import { MemoryVelocityStore } from '../../src/risk/velocity/memory-store.ts';

const NOW = new Date('2026-11-20T04:00:00Z'); // 12:00 in Beijing
const DAY = 86_400_000;

const starterVersions = starterLiveVersions();

function engineWith(options: { profile?: ProfileSource; model?: RiskModel; deadlineMs?: number } = {}) {
  const profile = options.profile ?? seededProfile();
  const rules = new RuleEngine({
    revision: async () => '1',
    live: async () => ({ revision: '1', versions: starterVersions }),
  });
  return new RiskEngine({
    limits: NO_LIMITS,
    features: new FeatureComputer({ velocity: new MemoryVelocityStore(), profile }),
    rules,
    model: options.model,
    failSafe: {
      deadlineMs: options.deadlineMs ?? 1000,
      byType: { withdrawal: { outcome: 'REVIEW' }, payment: { outcome: 'REVIEW', fromMajor: 2000 } },
    },
    now: () => NOW,
  });
}

function seededProfile(): MemoryProfileSource {
  const p = new MemoryProfileSource();
  for (const id of ['cus_a', 'cus_b', 'cus_c'])
    p.seedCustomer(id, { createdAt: new Date(NOW.getTime() - 400 * DAY), kycTier: 2 });
  p.seedCustomer('cus_young', { createdAt: new Date(NOW.getTime() - 2 * DAY), kycTier: 1 });
  p.seedMerchant('mer_tea', new Date(NOW.getTime() - 400 * DAY));
  return p;
}

/** A profile source that never answers: the engine must decide without it. */
const silentProfile: ProfileSource = {
  facts: () => new Promise(() => {}),
  observe: async () => {},
};

const event = (e: Partial<RiskEvent> & Pick<RiskEvent, 'type'>): RiskEvent => ({
  customerId: 'cus_a',
  currency: 'CNY',
  amountMinor: 10_000n,
  at: NOW,
  ...e,
});

describe('risk engine', () => {
  it('falls back to the fail-safe policy within the deadline when the profile does not answer', async () => {
    const engine = engineWith({ profile: silentProfile, deadlineMs: 20 });
    const w = await engine.decide(event({ type: 'withdrawal', amountMinor: 50_000n }));
    expect(w.outcome).toBe('REVIEW');
    expect(w.degraded).toBe(true);
    expect(w.reasonCodes).toContain('FAIL_SAFE');
    expect(w.customerMessage).toMatch(/could not be completed in time/);
    expect(w.detail?.degradedSources).toEqual(['profile']);
    // A small payment passes; a large one is held.
    const small = await engine.decide(
      event({ type: 'payment', counterpartyId: 'mer_tea', amountMinor: 5_000n }),
    );
    expect(small.outcome).toBe('ALLOW');
    expect(small.degraded).toBe(true);
    const large = await engine.decide(
      event({ type: 'payment', counterpartyId: 'mer_tea', amountMinor: 300_000n }),
    );
    expect(large.outcome).toBe('REVIEW');
  });

  it('treats a model that fails or is too slow as degraded, and uses its score when it answers', async () => {
    const failing: RiskModel = { name: 'broken', score: () => Promise.reject(new Error('down')) };
    const d1 = await engineWith({ model: failing }).decide(event({ type: 'withdrawal' }));
    expect(d1.degraded).toBe(true);
    expect(d1.detail?.degradedSources).toEqual(['model']);
    expect(d1.outcome).toBe('REVIEW');
    const scoring: RiskModel = { name: 'stub', score: () => ({ score: 0.9, level: 'high' }) };
    const d2 = await engineWith({ model: scoring }).decide(event({ type: 'withdrawal' }));
    expect(d2.degraded).toBe(false);
    expect(d2.outcome).toBe('ALLOW');
    expect(d2.detail?.features).toMatchObject({ 'model.score': 0.9, 'model.level': 'high' });
    expect(d2.detail?.model).toMatchObject({ name: 'stub', level: 'high' });
  });

  it('a challenge answered for this request becomes ALLOW, a harder outcome does not', async () => {
    const night = new Date('2026-11-19T16:00:00Z'); // 00:00 in Beijing
    const e = event({ type: 'transfer', counterpartyId: 'cus_b', amountMinor: 600_000n, at: night });
    const plain = await engineWith().decide(e);
    expect(plain.outcome).toBe('CHALLENGE');
    expect(plain.warnings?.map((w) => w.key)).toEqual(['risk.warn.online_contact']);
    const passed = await engineWith().decide(e, { stepUpPassed: true });
    expect(passed.outcome).toBe('ALLOW');
    expect(passed.detail?.challengePassed).toBe(true);
    // To a two-day-old account the large amount is held whatever the proof.
    const young = event({
      type: 'transfer',
      counterpartyId: 'cus_young',
      amountMinor: 1_200_000n,
      at: night,
    });
    const held = await engineWith().decide(young, { stepUpPassed: true });
    expect(held.outcome).toBe('REVIEW');
    expect(held.reasonCodes).toEqual(
      expect.arrayContaining(['IMPERSONATION_YOUNG_PAYEE', 'PHISHING_NEW_PAYEE_NIGHT']),
    );
  });

  it('refuses event times far from the decision time', async () => {
    const engine = engineWith();
    await expect(
      engine.decide(event({ type: 'payment', at: new Date(NOW.getTime() - 40 * DAY) })),
    ).rejects.toMatchObject({
      code: 'RISK_EVENT_TIME_OUT_OF_RANGE',
    });
    await expect(
      engine.decide(event({ type: 'payment', at: new Date(NOW.getTime() + 3_600_000) })),
    ).rejects.toMatchObject({
      code: 'RISK_EVENT_TIME_OUT_OF_RANGE',
    });
  });

  it('gives the same decisions for the same event stream', async () => {
    const stream: RiskEvent[] = [];
    for (let i = 0; i < 60; i++) {
      stream.push(
        event({
          type: i % 3 === 0 ? 'topup' : i % 3 === 1 ? 'transfer' : 'withdrawal',
          customerId: ['cus_a', 'cus_b', 'cus_c'][i % 3] ?? 'cus_a',
          counterpartyId: i % 3 === 1 ? 'cus_young' : undefined,
          amountMinor: i % 3 === 0 ? 500n : BigInt(500 + ((i * 7919) % 40) * 300),
          at: new Date(NOW.getTime() - (60 - i) * 60_000),
          deviceId: `dev-${i % 4}`,
        }),
      );
    }
    const run = async () => {
      const engine = engineWith();
      const out: string[] = [];
      for (const e of stream) {
        const d = await engine.decide(e);
        out.push(`${d.outcome}:${d.reasonCodes.join('+')}:${JSON.stringify(d.detail?.features)}`);
      }
      return out;
    };
    const [a, b] = [await run(), await run()];
    expect(a).toEqual(b);
    // Card testing needs five small top-ups in the hour: the stream has some, and some blocks follow.
    expect(a.some((x) => x.startsWith('BLOCK:CARD_TESTING'))).toBe(true);
  });
});
