// Proves `bulwark model evaluate` and `bulwark model train` end to end on a small labelled history: the replay, the rounds, the report and the model file, the feature cache on a second run, and a clear one-line refusal of a bad file.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModelFile } from '../../../src/risk/model/model-file.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'bulwark-model-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Eight weeks of card payments in the handbook's columns: 60 customers at 60 terminals,
 * two terminals compromised from day 7 (every payment there is fraud) and large amounts
 * that are fraud now and then.
 */
function writeHistory(path: string): void {
  const lines = ['TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD,TX_FRAUD_SCENARIO'];
  let seed = 17;
  const rand = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const start = Date.UTC(2024, 0, 1);
  let id = 0;
  for (let minute = 0; minute < 56 * 24 * 60; minute += 9) {
    const at = new Date(start + minute * 60_000);
    const customer = Math.floor(rand() * 60);
    const terminal = Math.floor(rand() * 60);
    const large = rand() < 0.01;
    const amount = large ? 300 + rand() * 500 : 5 + rand() * 90;
    const compromised = minute > 7 * 24 * 60 && (terminal === 7 || terminal === 8);
    const fraud = compromised || (large && rand() < 0.7) ? 1 : 0;
    const stamp = at.toISOString().replace('T', ' ').slice(0, 19);
    lines.push(`${id++},${stamp},${customer},${terminal},${amount.toFixed(2)},${fraud},${fraud ? 2 : 0}`);
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
}

function cli(args: string[]) {
  return spawnSync(process.execPath, ['bin/bulwark.mjs', 'model', ...args], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'silent' },
    encoding: 'utf8',
    timeout: 240_000,
  });
}

describe('bulwark model (CLI)', () => {
  const data = join(dir, 'history.csv');
  writeHistory(data);
  const cache = join(dir, 'features.bin');

  it('evaluates in time order with retraining and writes the report and the figures', () => {
    const report = join(dir, 'report.html');
    const json = join(dir, 'figures.json');
    const args = ['evaluate', '--data', data, '--cache', cache, '--report', report, '--json', json];
    const r = cli([
      ...args,
      '--trees',
      '20',
      '--train-days',
      '21',
      '--test-from',
      '2024-02-05',
      '--budget',
      '5',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/model alone +AUC [01]\.\d{3}/);
    expect(r.stderr).toMatch(/computing features/);
    const figures = JSON.parse(readFileSync(json, 'utf8'));
    // 2024-02-05 to the end of the data (2024-02-26), retrained weekly.
    expect(figures.rounds.length).toBe(3);
    for (const round of figures.rounds)
      expect(round.latestLabelKnownAtMs).toBeLessThanOrEqual(round.trainedAtMs);
    // Compromised terminals are learnt from the labels that arrived: the model ranks well.
    expect(figures.model.rocAuc).toBeGreaterThan(0.8);
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('Card precision@5');

    // A second run reuses the features computed by the first.
    const again = cli([
      ...args,
      '--trees',
      '5',
      '--train-days',
      '21',
      '--test-from',
      '2024-02-05',
      '--budget',
      '5',
    ]);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/features: \d+ rows from /);
    expect(again.stderr).not.toMatch(/computing features/);
  });

  it('trains a model file the registry accepts', () => {
    const out = join(dir, 'model.json');
    const r = cli([
      'train',
      '--data',
      data,
      '--cache',
      cache,
      '--out',
      out,
      '--trees',
      '15',
      '--train-days',
      '28',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);
    const model = loadModelFile(JSON.parse(readFileSync(out, 'utf8')));
    expect(model.name).toBe('fraud-gbdt');
    expect(model.forest.roots.length).toBeGreaterThan(0);
    expect(model.thresholds.high).toBeGreaterThanOrEqual(model.thresholds.medium);
  });

  it('refuses a bad history with one line naming the row and field', () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(
      bad,
      'TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD,TX_FRAUD_SCENARIO\n0,2024-01-01 00:00:00,1,2,12.3x,0,0\n',
    );
    const r = cli(['evaluate', '--data', bad, '--report', join(dir, 'bad.html')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/line 2, column TX_AMOUNT/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
