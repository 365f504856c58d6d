// Test support for the model registry: a small trained model file, the same in the API and console tests.
import type { Dataset } from '../../../src/risk/model/evaluate.ts';
import { trainSync } from '../../../src/risk/model/gbdt.ts';
import { buildModelFile, type ModelFile } from '../../../src/risk/model/model-file.ts';

/** A small model: large amounts (minor units) and busy senders are risky. */
export function modelFile(name: string, seed: number): ModelFile {
  const n = 4000;
  const amount = new Float64Array(n);
  const count = new Float64Array(n);
  const labels = new Uint8Array(n);
  let s = seed;
  const rand = () => {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    return s / 2_147_483_648;
  };
  for (let i = 0; i < n; i++) {
    const a = Math.round(rand() * 2_000_000);
    amount[i] = a;
    count[i] = Math.floor(rand() * 10);
    labels[i] = a > 1_500_000 && rand() < 0.8 ? 1 : rand() < 0.01 ? 1 : 0;
  }
  const data: Dataset = {
    features: ['event.amount', 'customer.out.count_24h'],
    columns: [amount, count],
    labels,
  };
  const { forest } = trainSync(data, { trees: 20, maxDepth: 3, seed });
  const file = buildModelFile({
    name,
    forest,
    calibrationSet: data,
    trainedAtMs: Date.UTC(2026, 0, 1),
    trainFromMs: Date.UTC(2025, 11, 1),
    trainToMs: Date.UTC(2025, 11, 31),
    rows: n,
    positives: labels.reduce((a, b) => a + b, 0),
    params: { trees: 20, maxDepth: 3 },
    seconds: 0.1,
    source: 'test',
  });
  // A fifth of this data is fraud, far above live rates: levels set by hand, as an operator may.
  file.thresholds = { medium: 0.2, high: 0.6 };
  return file;
}
