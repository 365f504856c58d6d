// Proves the simulated calendar: more traffic on Spring Festival eve, on salary days and, for online shops, on 11.11 than on an ordinary weekday; shopping peaks at lunch and in the evening.
import { describe, expect, it } from 'vitest';
import { localDate, localDays, localHour } from '../../../src/simulator/traffic/calendar.ts';
import { TrafficSimulation } from '../../../src/simulator/traffic/generate.ts';
import { type SimEvent, trafficOptions } from '../../../src/simulator/traffic/model.ts';

const QUIET = {
  account_takeover: 0,
  phishing_victim: 0,
  mule_ring: 0,
  card_testing: 0,
  brushing_merchant: 0,
  structuring: 0,
  round_tripping: 0,
};

function simulation(end: string, days = 30, customers = 600): TrafficSimulation {
  return new TrafficSimulation(
    trafficOptions({ customers, days, end: new Date(end), seed: 5, scenarios: QUIET }),
  );
}

function stream(end: string, days = 30, customers = 600): SimEvent[] {
  return [...simulation(end, days, customers).events()];
}

function perDate(events: SimEvent[], keep: (e: SimEvent) => boolean = () => true): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of events) {
    if (e.type === 'open_customer' || e.type === 'open_merchant' || !keep(e)) continue;
    counts.set(localDate(e.at), (counts.get(localDate(e.at)) ?? 0) + 1);
  }
  return counts;
}

/** Weekdays away from salary days, the day after them and festivals. */
function ordinaryWeekdays(counts: Map<string, number>, exclude: (date: string) => boolean): number[] {
  const out: number[] = [];
  for (const [date, n] of counts) {
    const d = new Date(`${date}T00:00:00Z`);
    const dom = d.getUTCDate();
    const last = new Date(d.getTime() + 86_400_000).getUTCDate() === 1;
    const weekday = d.getUTCDay() >= 1 && d.getUTCDay() <= 5;
    if (!weekday || last || dom === 1 || [10, 11, 15, 16].includes(dom) || exclude(date)) continue;
    out.push(n);
  }
  return out;
}

describe('traffic calendar', () => {
  it('knows the Spring Festival and Singles’ Day', () => {
    const days = localDays(Date.parse('2026-02-15T16:00:00Z'), Date.parse('2026-02-17T15:59:59Z'));
    expect(days.map((d) => [d.date, d.springOffset])).toEqual([
      ['2026-02-16', -1],
      ['2026-02-17', 0],
    ]);
    const singles = localDays(Date.parse('2025-11-10T16:00:00Z'), Date.parse('2025-11-10T17:00:00Z'));
    expect(singles[0]?.singlesOffset).toBe(0);
    expect(
      localDays(Date.parse('2025-06-29T16:00:00Z'), Date.parse('2025-06-29T17:00:00Z'))[0]?.lastOfMonth,
    ).toBe(true);
  });

  it('has more traffic on Spring Festival eve than on any ordinary weekday', () => {
    const events = stream('2026-02-25T00:00:00Z');
    const counts = perDate(events);
    const ordinary = ordinaryWeekdays(counts, (date) => date >= '2026-02-07');
    expect(ordinary.length).toBeGreaterThanOrEqual(5);
    expect(counts.get('2026-02-16') ?? 0).toBeGreaterThan(Math.max(...ordinary));
    // Red packets: the eve has several times the transfers of an ordinary day.
    const transfers = perDate(events, (e) => e.type === 'transfer');
    const ordinaryTransfers = ordinaryWeekdays(transfers, (date) => date >= '2026-02-07');
    expect(transfers.get('2026-02-16') ?? 0).toBeGreaterThan(3 * Math.max(...ordinaryTransfers));
  });

  it('has more traffic on salary days than on any ordinary weekday', () => {
    const counts = perDate(stream('2025-07-01T00:00:00Z'));
    const ordinary = ordinaryWeekdays(counts, (date) => date < '2025-06-02');
    expect(ordinary.length).toBeGreaterThanOrEqual(10);
    // 10 June (a Tuesday) and 30 June (a Monday, the last day of the month).
    expect(counts.get('2025-06-10') ?? 0).toBeGreaterThan(Math.max(...ordinary));
    expect(counts.get('2025-06-30') ?? 0).toBeGreaterThan(Math.max(...ordinary));
  });

  it('has a Singles’ Day surge of online shopping', () => {
    const sim = simulation('2025-11-14T00:00:00Z', 14, 300);
    const online = new Set(sim.merchants.filter((m) => m.category === 'ecommerce').map((m) => m.simId));
    const shopping = perDate([...sim.events()], (e) => e.type === 'payment' && online.has(e.merchant));
    const ordinary = ordinaryWeekdays(shopping, (date) => date >= '2025-11-09');
    expect(shopping.get('2025-11-11') ?? 0).toBeGreaterThan(3 * Math.max(...ordinary));
  });

  it('puts shopping peaks at lunch and in the evening', () => {
    const byHour = new Array<number>(24).fill(0);
    for (const e of stream('2025-06-20T00:00:00Z', 7, 300)) {
      if (e.type === 'payment') byHour[localHour(e.at)] = (byHour[localHour(e.at)] ?? 0) + 1;
    }
    const at = (h: number) => byHour[h] ?? 0;
    expect(at(12)).toBeGreaterThan(at(15));
    expect(at(18)).toBeGreaterThan(at(15));
    expect(at(12)).toBeGreaterThan(10 * at(4));
  });
});
