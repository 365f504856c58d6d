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
  alerts: {
    open: 5,
    overdue: 2,
    bySeverity: { critical: 1, high: 2, medium: 0, low: 2 },
    byAge: { underOneHour: 1, oneToTwentyFourHours: 1, overTwentyFourHours: 3 },
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

  it('decodes open alerts by severity and age, with the overdue count', () => {
    const d = decode(dashboard, figures);
    expect(d.alerts?.open).toBe(5);
    expect(d.alerts?.overdue).toBe(2);
    expect(d.alerts?.bySeverity).toEqual({ critical: 1, high: 2, medium: 0, low: 2 });
    expect(d.alerts?.byAge.overTwentyFourHours).toBe(3);
  });

  it('reads an alert summary without counts as zeros, and a missing one as null', () => {
    const d = decode(dashboard, { ...figures, alerts: { bySeverity: {}, byAge: {} } });
    expect(d.alerts).toEqual({
      open: 0,
      overdue: 0,
      bySeverity: { critical: 0, high: 0, medium: 0, low: 0 },
      byAge: { underOneHour: 0, oneToTwentyFourHours: 0, overTwentyFourHours: 0 },
    });
    const { alerts: _gone, ...older } = figures;
    expect(decode(dashboard, older).alerts).toBeNull();
  });

  it('refuses an alert count that is not a number', () => {
    const bad = { ...figures, alerts: { ...figures.alerts, overdue: 'many' } };
    expect(() => decode(dashboard, bad)).toThrow('alerts.overdue: expected a count');
  });

  it('reads missing members as empty or null', () => {
    const d = decode(dashboard, { movements: {}, decisions: {}, holds: { byAge: {} } });
    expect(d.movements.perMinute).toEqual([]);
    expect(d.holds.byAge.overTwentyFourHours).toBe(0);
    expect(d.pendingApprovals).toBeNull();
    expect(d.custody).toBeNull();
    expect(d.alerts).toBeNull();
  });

  it('refuses an amount that is not minor units', () => {
    const bad = {
      ...figures,
      holds: { ...figures.holds, byCurrency: [{ currency: 'CNY', count: 1, amountMinor: 20000.5 }] },
    };
    expect(() => decode(dashboard, bad)).toThrow('holds.byCurrency[0].amountMinor: expected minor units');
  });
});
