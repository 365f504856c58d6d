// Proves each injected scenario appears as often as configured and has its documented shape: ATO, phishing, mule ring, card testing, brushing, structuring and round-tripping.
import { describe, expect, it } from 'vitest';
import { TrafficSimulation } from '../../../src/simulator/traffic/generate.ts';
import {
  DAY_MS,
  HOUR_MS,
  SCENARIOS,
  type Scenario,
  type SimEvent,
  trafficOptions,
} from '../../../src/simulator/traffic/model.ts';

type Of<T extends SimEvent['type']> = Extract<SimEvent, { type: T }>;

const RATES: Record<Scenario, number> = {
  account_takeover: 10,
  phishing_victim: 10,
  mule_ring: 4,
  card_testing: 10,
  brushing_merchant: 6,
  structuring: 8,
  round_tripping: 8,
};
const CUSTOMERS = 500;
const sim = new TrafficSimulation(
  trafficOptions({
    customers: CUSTOMERS,
    days: 14,
    end: new Date('2025-06-20T00:00:00Z'),
    seed: 11,
    scenarios: RATES,
  }),
);
const events = [...sim.events()];
const opened = new Map(events.filter((e) => e.type === 'open_customer').map((e) => [e.customer, e]));

function incidentsOf(scenario: Scenario): Map<string, SimEvent[]> {
  const byIncident = new Map<string, SimEvent[]>();
  for (const e of events) {
    if (e.truth.scenario !== scenario || e.type === 'open_customer' || e.type === 'open_merchant') continue;
    byIncident.set(e.truth.incident, [...(byIncident.get(e.truth.incident) ?? []), e]);
  }
  return byIncident;
}

function is<T extends SimEvent['type']>(type: T) {
  return (e: SimEvent): e is Of<T> => e.type === type;
}

/** Most events in any window of `ms` (times sorted). */
function densest(times: number[], ms: number): number {
  let best = 0;
  for (let i = 0, j = 0; j < times.length; j++) {
    while ((times[j] ?? 0) - (times[i] ?? 0) > ms) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}

describe('injected scenarios', () => {
  it('appear with the configured frequency, every incident in the stream', () => {
    for (const scenario of SCENARIOS) {
      const expected = Math.round((RATES[scenario] * CUSTOMERS) / 1_000);
      expect(
        sim.incidents.filter((i) => i.scenario === scenario),
        scenario,
      ).toHaveLength(expected);
      expect(incidentsOf(scenario).size, scenario).toBe(expected);
    }
  });

  it('account takeover: a password change from a new phone in another region, then the drain from it within hours', () => {
    for (const [id, list] of incidentsOf('account_takeover')) {
      const change = list.find(
        (e): e is Of<'account'> => e.type === 'account' && e.event === 'password_change',
      );
      expect(change, id).toBeDefined();
      if (!change) continue;
      const victim = change.customer;
      const before = events.filter(
        (e) => e.at < change.at && 'context' in e && e.customer === victim && e.truth.label === 'legit',
      );
      const known = new Set(before.map((e) => ('context' in e ? e.context.deviceId : '')));
      expect(known.has(change.context.deviceId), id).toBe(false);
      const home = before.find((e): e is Of<'payment'> => e.type === 'payment')?.context.geo.region;
      if (home) expect(change.context.geo.region).not.toBe(home);
      const drain = list.filter(
        (e): e is Of<'withdrawal'> | Of<'transfer'> =>
          (e.type === 'withdrawal' || e.type === 'transfer') && e.customer === victim,
      );
      expect(drain.length, id).toBeGreaterThan(0);
      const first = drain[0];
      expect(first && first.at > change.at && first.at - change.at <= 6 * HOUR_MS, id).toBe(true);
      for (const d of drain) expect(d.context.deviceId).toBe(change.context.deviceId);
    }
  });

  it('phishing victim: a first transfer of 5,000 CNY or more to a young account', () => {
    let night = 0;
    const incidents = incidentsOf('phishing_victim');
    for (const [id, list] of incidents) {
      const first = list.find(is('transfer'));
      expect(first, id).toBeDefined();
      if (!first) continue;
      expect(first.amountMinor).toBeGreaterThanOrEqual(500_000n);
      const earlier = events.filter(
        (e) => e.at < first.at && e.type === 'transfer' && e.customer === first.customer && e.to === first.to,
      );
      expect(earlier, id).toHaveLength(0);
      const payee = opened.get(first.to);
      expect(first.at - Date.parse(payee?.openedAt ?? '1970-01-01')).toBeLessThan(7 * DAY_MS);
      const hour = new Date(first.at + 8 * HOUR_MS).getUTCHours();
      if (hour >= 22 || hour < 6) night++;
    }
    expect(night).toBeGreaterThan(0);
  });

  it('mule ring: young mules each paid by at least N distinct payers within 24 h, then most of it moved on', () => {
    const N = sim.options.mulePayersMin;
    for (const [id, list] of incidentsOf('mule_ring')) {
      const mules = new Set(
        sim.incidents
          .find((i) => i.id === id)
          ?.parties.filter((p) => sim.customers.find((c) => c.simId === p)?.role === 'mule'),
      );
      expect(mules.size, id).toBeGreaterThanOrEqual(3);
      for (const mule of mules) {
        const inflow = list.filter((e): e is Of<'transfer'> => e.type === 'transfer' && e.to === mule);
        const times = inflow.map((e) => e.at);
        const payers = new Set(inflow.map((e) => e.customer));
        expect(payers.size, mule).toBeGreaterThanOrEqual(N);
        expect(Math.max(...times) - Math.min(...times)).toBeLessThanOrEqual(DAY_MS);
        expect(Math.min(...times) - Date.parse(opened.get(mule)?.openedAt ?? '1970-01-01')).toBeLessThan(
          15 * DAY_MS,
        );
        const received = inflow.reduce((sum, e) => sum + e.amountMinor, 0n);
        const outflow = list.filter(
          (e): e is Of<'transfer'> | Of<'withdrawal'> =>
            (e.type === 'transfer' || e.type === 'withdrawal') && e.customer === mule,
        );
        const sent = outflow.reduce((sum, e) => sum + e.amountMinor, 0n);
        expect(sent * 10n, mule).toBeGreaterThanOrEqual(received * 8n);
        expect(sent).toBeLessThanOrEqual(received);
        for (const o of outflow) expect(o.at).toBeGreaterThan(Math.max(...times));
      }
    }
  });

  it('card testing: five or more top-ups under 10 CNY within an hour and failed card bindings', () => {
    for (const [id, list] of incidentsOf('card_testing')) {
      const small = list.filter((e): e is Of<'topup'> => e.type === 'topup' && e.amountMinor < 1_000n);
      expect(
        densest(
          small.map((e) => e.at),
          HOUR_MS,
        ),
        id,
      ).toBeGreaterThanOrEqual(5);
      const failed = list.filter(
        (e) => e.type === 'account' && e.event === 'card_binding' && e.result === 'failed',
      );
      expect(failed.length, id).toBeGreaterThanOrEqual(1);
    }
  });

  it('brushing: same-amount payments to one merchant from linked new accounts within the hour, refunded later', () => {
    for (const [id, list] of incidentsOf('brushing_merchant')) {
      const payments = list.filter(is('payment'));
      expect(new Set(payments.map((p) => p.amountMinor)).size, id).toBe(1);
      expect(new Set(payments.map((p) => p.merchant)).size, id).toBe(1);
      expect(
        densest(
          payments.map((p) => p.at),
          HOUR_MS,
        ),
        id,
      ).toBeGreaterThanOrEqual(5);
      const payers = new Set(payments.map((p) => p.customer));
      expect(payers.size).toBeGreaterThanOrEqual(3);
      const devices = new Set(payments.map((p) => p.context.deviceId));
      const addresses = new Set(payments.map((p) => p.context.ip));
      expect(Math.min(devices.size, addresses.size), id).toBeLessThan(payers.size);
      for (const p of payers) {
        expect((payments[0]?.at ?? 0) - Date.parse(opened.get(p)?.openedAt ?? '1970-01-01')).toBeLessThan(
          11 * DAY_MS,
        );
      }
      const bySimId = new Map(payments.map((p) => [p.simId, p]));
      for (const r of list.filter(is('refund'))) {
        const paid = bySimId.get(r.payment);
        expect(paid?.refundable, r.simId).toBe(true);
        expect(r.at).toBeGreaterThan(paid?.at ?? Number.POSITIVE_INFINITY);
      }
    }
  });

  it('structuring: every movement just below the threshold, across days', () => {
    const threshold = sim.options.structuringThresholdMinor;
    for (const [id, list] of incidentsOf('structuring')) {
      const money = list.filter(
        (e): e is Of<'topup'> | Of<'transfer'> | Of<'withdrawal'> => 'amountMinor' in e,
      );
      expect(money.length, id).toBeGreaterThanOrEqual(3);
      for (const e of money) {
        expect(e.amountMinor, e.simId).toBeLessThan(threshold);
        expect(e.amountMinor, e.simId).toBeGreaterThanOrEqual(threshold - 100_000n);
      }
      const days = new Set(money.map((e) => new Date(e.at + 8 * HOUR_MS).toISOString().slice(0, 10)));
      expect(days.size, id).toBeGreaterThanOrEqual(2);
    }
  });

  it('round-tripping: A → B → C → A within a few hours', () => {
    for (const [id, list] of incidentsOf('round_tripping')) {
      const transfers = list.filter(is('transfer'));
      const cycle = transfers.some((ab) =>
        transfers.some(
          (bc) =>
            bc.customer === ab.to &&
            bc.at >= ab.at &&
            transfers.some(
              (ca) =>
                ca.customer === bc.to &&
                ca.to === ab.customer &&
                ca.at >= bc.at &&
                ca.at - ab.at <= 6 * HOUR_MS,
            ),
        ),
      );
      expect(cycle, id).toBe(true);
    }
  });

  it('involves a few per cent of customers at the default rates', () => {
    const defaults = new TrafficSimulation(
      trafficOptions({ customers: 2_000, days: 5, end: new Date('2025-06-20T00:00:00Z') }),
    );
    const involved = new Set(defaults.incidents.flatMap((i) => i.parties));
    const share = involved.size / defaults.customers.length;
    expect(share).toBeGreaterThan(0.01);
    expect(share).toBeLessThan(0.08);
  });
});
