// The dashboard answer as the console reads it: the console-api figures decode into one model, and a member the server leaves out reads as a default instead of "undefined" on screen.
import { describe, expect, it } from 'vitest';
import { decode } from './decode.ts';
import { dashboard } from './overview.ts';

const figures = {
  at: '2026-11-21T10:00:00.000Z',
  movements: {
    from: '2026-11-21T09:00:00.000Z',
    to: '2026-11-21T10:00:00.000Z',
    total: 7,
    perMinute: [
      { minute: '2026-11-21T09:58:00.000Z', count: 3 },
      { minute: '2026-11-21T09:59:00.000Z', count: 4 },
    ],
  },
  decisions: {
    from: '2026-11-20T10:00:00.000Z',
    to: '2026-11-21T10:00:00.000Z',
    total: 4,
    outcomes: [
      { outcome: 'ALLOW', count: 3, rate: 0.75 },
      { outcome: 'REVIEW', count: 1, rate: 0.25 },
    ],
  },
  holds: {
    pending: 1,
    byCurrency: [{ currency: 'CNY', count: 1, amountMinor: '2000000' }],
    byAge: { underOneHour: 1, oneToTwentyFourHours: 0, overTwentyFourHours: 0 },
  },
  pendingApprovals: 2,
  custody: { ok: true, checkedAt: '2026-11-21T10:00:00.000Z', currencies: [] },
  chain: { seq: '42', hash: 'ab'.repeat(32) },
};

describe('dashboard figures', () => {
  it('decodes the console-api answer', () => {
    const d = decode(dashboard, figures);
    expect(d.movements.perMinute.map((p) => p.count)).toEqual([3, 4]);
    expect(d.decisions.outcomes[1]).toEqual({ outcome: 'REVIEW', count: 1, rate: 0.25 });
    expect(d.holds.byCurrency[0]?.amountMinor).toBe('2000000');
    expect(d.holds.byAge.underOneHour).toBe(1);
    expect(d.chain?.seq).toBe('42');
  });

  it('reads missing members as empty or null', () => {
    const d = decode(dashboard, { movements: {}, decisions: {}, holds: { byAge: {} } });
    expect(d.movements.perMinute).toEqual([]);
    expect(d.holds.byAge.overTwentyFourHours).toBe(0);
    expect(d.pendingApprovals).toBeNull();
    expect(d.custody).toBeNull();
  });

  it('refuses an amount that is not minor units', () => {
    const bad = {
      ...figures,
      holds: { ...figures.holds, byCurrency: [{ currency: 'CNY', count: 1, amountMinor: 20000.5 }] },
    };
    expect(() => decode(dashboard, bad)).toThrow('holds.byCurrency[0].amountMinor: expected minor units');
  });
});
