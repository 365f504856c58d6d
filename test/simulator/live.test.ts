// Proves the demo's live traffic: events are stamped with the moment they are sent, decisions arrive while it runs, and it stops cleanly.
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/platform/logger.ts';
import { TrafficSimulation } from '../../src/simulator/traffic/generate.ts';
import { restamped, startLiveTraffic } from '../../src/simulator/traffic/live.ts';
import { trafficOptions } from '../../src/simulator/traffic/model.ts';
import { DATABASES, useBulwark } from '../helpers.ts';

const target = DATABASES[0] ?? { name: 'pglite' };

describe('live demo traffic', () => {
  const bw = useBulwark(target);

  it('restamps every event with the time it is taken, keeping account opening dates', () => {
    const sim = new TrafficSimulation(
      trafficOptions({ end: new Date('2026-11-01T00:00:00Z'), seed: 3, customers: 20, days: 1 }),
    );
    let t = Date.parse('2026-11-21T08:00:00Z');
    const events = [...restamped(sim.events(), () => t++)];
    expect(events.length).toBeGreaterThan(20);
    events.forEach((e, i) => {
      expect(e.at).toBe(Date.parse('2026-11-21T08:00:00Z') + i);
      if (e.type === 'open_customer')
        expect(Date.parse(e.openedAt)).toBeLessThan(Date.parse('2026-11-01T00:00:00Z'));
      else if (e.type !== 'open_merchant') expect(Date.parse(e.context.occurredAt)).toBe(e.at);
    });
  });

  it('sends decisions while it runs and stops when asked', async () => {
    const key = bw().integratorAuth.replace(/^Bearer /, '');
    const count = async () =>
      Number(
        (await sql<{ n: string }>`select count(*)::text as n from risk_decisions`.execute(bw().dbHandle.db))
          .rows[0]?.n,
      );
    const before = await count();
    const live = startLiveTraffic(bw().app, key, {
      customers: 10,
      ratePerS: 200,
      seed: 5,
      log: createLogger('silent'),
    });
    for (let i = 0; i < 100 && (await count()) < before + 20; i++)
      await new Promise((r) => setTimeout(r, 100));
    await live.stop();
    const stopped = await count();
    expect(stopped).toBeGreaterThanOrEqual(before + 20);
    await new Promise((r) => setTimeout(r, 300));
    expect(await count()).toBe(stopped);
  }, 60_000);
});
