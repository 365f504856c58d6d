// Proves the calibrators: PAVA against a hand-computed example (ties included), Platt recovering
// a known slope and offset, both improving the Brier score of a miscalibrated score, JSON round
// trips and refusals, and the alert-rate thresholds behind the risk levels.
import { describe, expect, it } from 'vitest';
import {
  CalibrationFormatError,
  type Calibrator,
  calibratorFromJSON,
  fitCalibrator,
  fitIsotonic,
  fitPlatt,
  levelOf,
  thresholdForAlertRate,
  thresholdsForAlertRates,
} from '../../../src/risk/model/calibrate.ts';
import { brier } from '../../../src/risk/model/metrics.ts';

/** Deterministic uniform [0, 1) generator (mulberry32), so the synthetic data never changes. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(u: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** `n` rows whose true log-odds z is normal; labels drawn from sigmoid(z). */
function synthetic(seed: number, n: number): { z: Float64Array; labels: Uint8Array } {
  const u = rng(seed);
  const z = new Float64Array(n);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    z[i] = -2 + 1.5 * normal(u);
    labels[i] = u() < sigmoid(z[i] as number) ? 1 : 0;
  }
  return { z, labels };
}

function fieldOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof CalibrationFormatError) return err.field;
    throw err;
  }
  throw new Error('expected a CalibrationFormatError');
}

describe('isotonic calibration', () => {
  it('matches a hand-computed pool-adjacent-violators example', () => {
    // Labels 1,0,0,1,0,1 at scores 1..6 pool into {1,2,3} → 1/3, {4,5} → 1/2 and {6} → 1,
    // with centres 2, 4.5 and 6.
    const cal = fitIsotonic(Float64Array.of(1, 2, 3, 4, 5, 6), Uint8Array.of(1, 0, 0, 1, 0, 1));
    expect(Array.from(cal.x)).toEqual([2, 4.5, 6]);
    expect(cal.y[0]).toBeCloseTo(1 / 3, 15);
    expect(Array.from(cal.y.subarray(1))).toEqual([0.5, 1]);
    // Clamped outside the centres, interpolated between them.
    expect(cal.apply(0)).toBeCloseTo(1 / 3, 15);
    expect(cal.apply(2)).toBeCloseTo(1 / 3, 15);
    expect(cal.apply(3)).toBeCloseTo(1 / 3 + (1 / 6) * (1 / 2.5), 15);
    expect(cal.apply(5.25)).toBeCloseTo(0.75, 15);
    expect(cal.apply(100)).toBe(1);
    expect(cal.apply(Number.NaN)).toBeNaN();
  });

  it('pools tied scores before pooling violators', () => {
    // Score 0: 3 of 5 positive (0.6). Score 1: 3 of 4 positive (0.75) — no violation between the
    // tie groups, even though the first row at score 1 (a negative) alone would be one.
    const scores = Float64Array.of(0, 0, 0, 0, 0, 1, 1, 1, 1);
    const labels = Uint8Array.of(1, 1, 1, 0, 0, 0, 1, 1, 1);
    const cal = fitIsotonic(scores, labels);
    expect(Array.from(cal.x)).toEqual([0, 1]);
    expect(Array.from(cal.y)).toEqual([0.6, 0.75]);
  });

  it('treats a weight as that many copies of a row', () => {
    const weighted = fitIsotonic(Float64Array.of(1, 2, 3), Uint8Array.of(0, 1, 0), Float64Array.of(1, 3, 1));
    const copies = fitIsotonic(Float64Array.of(1, 2, 2, 2, 3), Uint8Array.of(0, 1, 1, 1, 0));
    expect(weighted.toJSON()).toEqual(copies.toJSON());
  });

  it('is monotone non-decreasing on noisy data', () => {
    const { z, labels } = synthetic(7, 5000);
    const cal = fitIsotonic(z, labels);
    const outputs = Array.from({ length: 2001 }, (_, i) => cal.apply(-10 + i / 100));
    const decreases = outputs.filter((p, i) => i > 0 && p < (outputs[i - 1] as number));
    expect(decreases).toEqual([]);
    expect(Math.min(...outputs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...outputs)).toBeLessThanOrEqual(1);
    expect(Math.max(...outputs)).toBeGreaterThan(Math.min(...outputs));
  });
});

describe('Platt scaling', () => {
  it('recovers a known slope and offset', () => {
    // Labels follow sigmoid(1.5·x - 2) exactly, so the fit should find a ≈ 1.5 and b ≈ -2.
    const u = rng(11);
    const n = 50_000;
    const x = new Float64Array(n);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = 2 * normal(u);
      labels[i] = u() < sigmoid(1.5 * (x[i] as number) - 2) ? 1 : 0;
    }
    const cal = fitPlatt(x, labels);
    expect(cal.a).toBeCloseTo(1.5, 1);
    expect(cal.b).toBeCloseTo(-2, 1);
  });

  it('stays finite when the classes separate perfectly', () => {
    const cal = fitPlatt(Float64Array.of(-2, -1, 1, 2), Uint8Array.of(0, 0, 1, 1));
    expect(Number.isFinite(cal.a) && Number.isFinite(cal.b)).toBe(true);
    expect(cal.apply(2)).toBeGreaterThan(cal.apply(-2));
  });
});

describe('calibration of a miscalibrated score', () => {
  it('lowers the Brier score on held-out rows, for both kinds', () => {
    // The model is overconfident and biased: its margin is 3z + 1 for true log-odds z.
    const distort = (z: Float64Array) => z.map((v) => 3 * v + 1);
    const train = synthetic(21, 20_000);
    const test = synthetic(22, 20_000);
    const trainMargin = distort(train.z);
    const testMargin = distort(test.z);
    const raw = brier(
      testMargin.map((m) => sigmoid(m)),
      test.labels,
    );
    for (const kind of ['platt', 'isotonic'] as const) {
      const cal = fitCalibrator(kind, trainMargin, train.labels);
      const calibrated = brier(
        testMargin.map((m) => cal.apply(m)),
        test.labels,
      );
      expect(calibrated).toBeLessThan(raw * 0.9);
    }
    // Platt undoes the distortion: a ≈ 1/3, b ≈ -1/3.
    const platt = fitPlatt(trainMargin, train.labels);
    expect(platt.a).toBeCloseTo(1 / 3, 1);
    expect(platt.b).toBeCloseTo(-1 / 3, 1);
  });
});

describe('calibration JSON', () => {
  it('round-trips both kinds exactly', () => {
    const { z, labels } = synthetic(5, 3000);
    for (const kind of ['platt', 'isotonic'] as const) {
      const cal: Calibrator = fitCalibrator(kind, z, labels);
      const back = calibratorFromJSON(JSON.parse(JSON.stringify(cal)));
      expect(back.kind).toBe(kind);
      expect(back.toJSON()).toEqual(cal.toJSON());
      for (let s = -6; s <= 6; s += 0.37) expect(back.apply(s)).toBe(cal.apply(s));
    }
  });

  it('refuses malformed calibrations naming the field', () => {
    const format = 'bulwark-calibration/1';
    expect(fieldOf(() => calibratorFromJSON('platt'))).toBe('(root)');
    expect(fieldOf(() => calibratorFromJSON({ kind: 'platt', a: 1, b: 0 }))).toBe('format');
    expect(fieldOf(() => calibratorFromJSON({ format, kind: 'beta', a: 1, b: 0 }))).toBe('kind');
    expect(fieldOf(() => calibratorFromJSON({ format, kind: 'platt', b: 0 }))).toBe('a');
    expect(fieldOf(() => calibratorFromJSON({ format, kind: 'platt', a: 1, b: '0' }))).toBe('b');
    expect(fieldOf(() => calibratorFromJSON({ format, kind: 'isotonic', y: [0.5] }))).toBe('x');
    expect(fieldOf(() => calibratorFromJSON({ format, kind: 'isotonic', x: [], y: [] }))).toBe('x');
    expect(fieldOf(() => calibratorFromJSON({ format, kind: 'isotonic', x: [1, 2], y: [0.5] }))).toBe('y');
    expect(fieldOf(() => calibratorFromJSON({ format, kind: 'isotonic', x: [1, 1], y: [0.1, 0.2] }))).toBe(
      'x[1]',
    );
    expect(fieldOf(() => calibratorFromJSON({ format, kind: 'isotonic', x: [1, 2], y: [0.3, 0.2] }))).toBe(
      'y[1]',
    );
    expect(fieldOf(() => calibratorFromJSON({ format, kind: 'isotonic', x: [1, 2], y: [0.3, 1.2] }))).toBe(
      'y[1]',
    );
    expect(fieldOf(() => calibratorFromJSON({ format, kind: 'isotonic', x: [1, 'a'], y: [0.3, 0.4] }))).toBe(
      'x[1]',
    );
  });

  it('refuses unusable training data', () => {
    expect(() => fitCalibrator('platt', new Float64Array(0), new Uint8Array(0))).toThrow(/no rows/);
    expect(() => fitCalibrator('isotonic', Float64Array.of(1, Number.NaN), Uint8Array.of(0, 1))).toThrow(
      /scores\[1\]/,
    );
    expect(() => fitCalibrator('isotonic', Float64Array.of(1, 2), Uint8Array.of(0, 2))).toThrow(
      /labels\[1\]/,
    );
    expect(() =>
      fitCalibrator('platt', Float64Array.of(1, 2), Uint8Array.of(0, 1), Float64Array.of(1, -1)),
    ).toThrow(/weights\[1\]/);
  });
});

describe('risk levels', () => {
  it('maps probabilities to levels with inclusive lower bounds', () => {
    const t = { medium: 0.02, high: 0.1 };
    expect(levelOf(0.019, t)).toBe('low');
    expect(levelOf(0.02, t)).toBe('medium');
    expect(levelOf(0.1, t)).toBe('high');
    expect(() => levelOf(Number.NaN, t)).toThrow(/NaN/);
    expect(() => levelOf(0.5, { medium: 0.2, high: 0.1 })).toThrow(/must not exceed/);
  });

  it('chooses thresholds that flag the target share of a validation period', () => {
    const p = Float64Array.from({ length: 1000 }, (_, i) => i / 1000);
    const t = thresholdsForAlertRates(p, { medium: 0.03, high: 0.005 });
    expect(t).toEqual({ medium: 0.97, high: 0.995 });
    const count = (level: string) => p.filter((v) => levelOf(v, t) === level).length;
    expect(count('high')).toBe(5);
    expect(count('medium')).toBe(25);
    // 0.29 × 100 is 28.999999999999996 in doubles; the share must still be honoured.
    expect(
      thresholdForAlertRate(
        Float64Array.from({ length: 100 }, (_, i) => i),
        0.29,
      ),
    ).toBe(71);
    expect(thresholdForAlertRate(p, 1)).toBe(0);
  });

  it('never splits ties and stays above the sample when nothing fits', () => {
    const p = Float64Array.of(0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.9, 0.9, 0.9);
    // Two alerts allowed, but three events share 0.9: alerting none of them is the only way.
    const t = thresholdForAlertRate(p, 2 / 13);
    expect(t).toBeGreaterThan(0.9);
    expect(t).toBeLessThan(0.9 + 1e-15);
    // Four allowed: the three at 0.9 fit, the tie at 0.1 does not.
    expect(thresholdForAlertRate(p, 4 / 13)).toBe(0.9);
    expect(thresholdForAlertRate(p, 0)).toBeGreaterThan(0.9);
    expect(() => thresholdsForAlertRates(p, { medium: 0.01, high: 0.05 })).toThrow(/rates.high/);
  });
});
