// Proves the traffic generator is a pure function of its options: same seed, same bytes; events in time order inside [end − days, end]; ids unique; truth consistent; refunds after their payments; legit spending funded.
import { describe, expect, it } from 'vitest';
import { checkResidentId } from '../../../src/identity/documents.ts';
import { generateTraffic, TrafficSimulation } from '../../../src/simulator/traffic/generate.ts';
import {
  DAY_MS,
  eventJson,
  SCENARIO_LABELS,
  type SimEvent,
  type TrafficOptions,
  trafficOptions,
} from '../../../src/simulator/traffic/model.ts';

const BASE = { customers: 300, days: 10, end: new Date('2025-06-20T04:30:00Z'), seed: 7 };

function bytes(options: TrafficOptions): string {
  let text = '';
  for (const e of generateTraffic(options)) text += `${eventJson(e)}\n`;
  return text;
}

describe('traffic generator', () => {
  const events: SimEvent[] = [...new TrafficSimulation(trafficOptions(BASE)).events()];
  const end = BASE.end.getTime();
  const start = end - BASE.days * DAY_MS;

  it('yields the same stream byte for byte for the same options, another for another seed', () => {
    const same = bytes(trafficOptions(BASE));
    expect(same).toBe(bytes(trafficOptions(BASE)));
    expect(same.length).toBeGreaterThan(100_000);
    expect(bytes(trafficOptions({ ...BASE, seed: 8 }))).not.toBe(same);
    // One simulation walked twice gives the same stream too (the walk keeps no state between runs).
    const sim = new TrafficSimulation(trafficOptions(BASE));
    const first = [...sim.events()].map(eventJson).join('\n');
    expect([...sim.events()].map(eventJson).join('\n')).toBe(first);
  });

  it('keeps event time non-decreasing and inside [end − days, end]', () => {
    for (let i = 1; i < events.length; i++) {
      expect(events[i]?.at ?? 0).toBeGreaterThanOrEqual(events[i - 1]?.at ?? 0);
    }
    for (const e of events) {
      expect(e.at).toBeGreaterThanOrEqual(start);
      expect(e.at).toBeLessThanOrEqual(end);
      if ('context' in e) expect(e.context.occurredAt).toBe(new Date(e.at).toISOString());
    }
  });

  it('gives every event a unique sim id and every party an opening before its first event', () => {
    expect(new Set(events.map((e) => e.simId)).size).toBe(events.length);
    const opened = new Map<string, number>();
    for (const e of events) {
      if (e.type === 'open_customer') opened.set(e.customer, e.at);
      else if (e.type === 'open_merchant') opened.set(e.merchant, e.at);
      else {
        expect(opened.has(e.customer), e.simId).toBe(true);
        if (e.type === 'transfer') expect(opened.has(e.to), e.simId).toBe(true);
        if (e.type === 'payment' || e.type === 'refund') expect(opened.has(e.merchant), e.simId).toBe(true);
      }
    }
    for (const e of events) {
      if (e.type !== 'open_customer' && e.type !== 'open_merchant') continue;
      expect(Date.parse(e.openedAt)).toBeLessThanOrEqual(e.at);
      expect(Date.parse(e.openedAt)).toBeGreaterThan(end - 10 * 365 * DAY_MS);
    }
  });

  it('verifies customers with valid, distinct resident IDs the simulated provider always matches', () => {
    const numbers = events.flatMap((e) => (e.type === 'open_customer' ? [e.identity.documentNumber] : []));
    expect(new Set(numbers).size).toBe(numbers.length);
    for (const n of numbers) {
      expect(checkResidentId(n, BASE.end).ok, n).toBe(true);
      expect(['998', '999']).not.toContain(n.slice(14, 17));
    }
  });

  it('labels scenario events with their scenario and everything else legit', () => {
    for (const e of events) {
      if (e.truth.scenario === null)
        expect(e.truth).toEqual({ label: 'legit', scenario: null, incident: null });
      else expect(e.truth.label).toBe(SCENARIO_LABELS[e.truth.scenario]);
    }
    expect(events.some((e) => e.truth.label === 'fraud')).toBe(true);
  });

  it('refunds only earlier, refundable payments of the same payer and merchant, never more than paid', () => {
    const payments = new Map<string, Extract<SimEvent, { type: 'payment' }>>();
    let refunds = 0;
    for (const e of events) {
      if (e.type === 'payment') payments.set(e.simId, e);
      if (e.type !== 'refund') continue;
      refunds++;
      const paid = payments.get(e.payment);
      expect(paid, e.simId).toBeDefined();
      expect(paid?.refundable).toBe(true);
      expect(paid?.customer).toBe(e.customer);
      expect(paid?.merchant).toBe(e.merchant);
      expect(e.amountMinor).toBeLessThanOrEqual(paid?.amountMinor ?? 0n);
    }
    expect(refunds).toBeGreaterThan(0);
  });

  it('tops a legitimate wallet up before it spends: the modelled balance never goes below zero', () => {
    const balance = new Map<string, bigint>();
    const credit = new Map<string, bigint>();
    let day = -1;
    for (const e of events) {
      // Money received counts from the next local day, as the generator plans it.
      const d = Math.floor((e.at + 8 * 3_600_000) / DAY_MS);
      if (d !== day) {
        for (const [c, v] of credit) balance.set(c, (balance.get(c) ?? 0n) + v);
        credit.clear();
        day = d;
      }
      if (e.truth.label !== 'legit' || !('amountMinor' in e) || !e.customer.startsWith('c000')) continue;
      const add = (who: string, v: bigint) => balance.set(who, (balance.get(who) ?? 0n) + v);
      if (e.type === 'topup') add(e.customer, e.amountMinor);
      else if (e.type === 'refund') credit.set(e.customer, (credit.get(e.customer) ?? 0n) + e.amountMinor);
      else {
        add(e.customer, -e.amountMinor);
        expect(balance.get(e.customer) ?? 0n, e.simId).toBeGreaterThanOrEqual(0n);
        if (e.type === 'transfer') credit.set(e.to, (credit.get(e.to) ?? 0n) + e.amountMinor);
      }
    }
  });

  it('gives customers stable devices, a usual address range and a home region in China', () => {
    const byCustomer = new Map<string, { devices: Set<string>; nets: Set<string>; regions: Set<string> }>();
    for (const e of events) {
      if (e.type !== 'payment' || e.truth.label !== 'legit') continue;
      const seen = byCustomer.get(e.customer) ?? { devices: new Set(), nets: new Set(), regions: new Set() };
      seen.devices.add(e.context.deviceId);
      seen.nets.add(e.context.ip.split('.').slice(0, 3).join('.'));
      seen.regions.add(e.context.geo.region);
      expect(e.context.geo.country).toBe('CN');
      expect(e.context.deviceId).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
      byCustomer.set(e.customer, seen);
    }
    for (const seen of byCustomer.values()) {
      expect(seen.devices.size).toBeLessThanOrEqual(3);
      expect(seen.regions.size).toBe(1);
    }
    const twoNets = [...byCustomer.values()].filter((s) => s.nets.size <= 2).length;
    expect(twoNets / byCustomer.size).toBeGreaterThan(0.99);
  });

  it('checks its options', () => {
    expect(() => trafficOptions({ ...BASE, customers: 0 })).toThrow(/customers/);
    expect(() => trafficOptions({ ...BASE, days: 1.5 })).toThrow(/days/);
    expect(() => trafficOptions({ ...BASE, scenarios: { mule_ring: -1 } })).toThrow(/mule_ring/);
    expect(trafficOptions({ ...BASE, customers: 1_000 }).merchants).toBe(20);
  });
});
