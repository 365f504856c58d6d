import type { EvaluationResult, MethodFigures } from './evaluate.ts';

/**
 * The evaluation as one self-contained HTML page (no scripts, no network): the headline
 * figures of rules, model and both, the precision–recall curves, and the daily card
 * precision at the alert budget. Charts are inline SVG, so the file can be mailed,
 * archived with the model version, or opened on a machine without the console.
 */

const METHODS = [
  { key: 'rules', label: 'Rules alone', colour: '#868e96' },
  { key: 'model', label: 'Model alone', colour: '#1c7ed6' },
  { key: 'rulesAndModel', label: 'Rules + model', colour: '#e8590c' },
] as const;

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)} %` : '–');
const dec = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : '–');
const money = (minor: number, currency: string) =>
  `${(minor / 100).toLocaleString('en-US', { maximumFractionDigits: 0 })} ${esc(currency)}`;

interface Series {
  label: string;
  colour: string;
  points: Array<{ x: number; y: number }>;
}

/** A line chart in SVG: x and y from 0 to `xMax`/1, with axes, grid and a legend. */
function lineChart(
  title: string,
  xLabel: string,
  yLabel: string,
  series: Series[],
  xMax: number,
  xTicks: string[],
): string {
  const w = 640;
  const h = 320;
  const left = 50;
  const bottom = 40;
  const top = 30;
  const right = 150;
  const pw = w - left - right;
  const ph = h - top - bottom;
  const sx = (x: number) => left + (x / (xMax || 1)) * pw;
  const sy = (y: number) => top + (1 - Math.max(0, Math.min(1, y))) * ph;
  const parts: string[] = [];
  parts.push(`<text x="${left}" y="18" font-weight="600">${esc(title)}</text>`);
  for (let g = 0; g <= 4; g++) {
    const y = sy(g / 4);
    parts.push(`<line x1="${left}" x2="${left + pw}" y1="${y}" y2="${y}" stroke="#dee2e6"/>`);
    parts.push(
      `<text x="${left - 6}" y="${y + 4}" text-anchor="end" font-size="11">${(g / 4).toFixed(2)}</text>`,
    );
  }
  xTicks.forEach((t, i) => {
    const x = left + (xTicks.length === 1 ? 0 : (i / (xTicks.length - 1)) * pw);
    parts.push(`<text x="${x}" y="${top + ph + 16}" text-anchor="middle" font-size="11">${esc(t)}</text>`);
  });
  parts.push(
    `<text x="${left + pw / 2}" y="${h - 4}" text-anchor="middle" font-size="12">${esc(xLabel)}</text>`,
  );
  parts.push(
    `<text transform="translate(12 ${top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(yLabel)}</text>`,
  );
  series.forEach((s, i) => {
    const d = s.points
      .map((p, j) => `${j === 0 ? 'M' : 'L'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`)
      .join('');
    if (d) parts.push(`<path d="${d}" fill="none" stroke="${s.colour}" stroke-width="2"/>`);
    const ly = top + 10 + i * 18;
    parts.push(`<rect x="${left + pw + 14}" y="${ly - 8}" width="12" height="4" fill="${s.colour}"/>`);
    parts.push(`<text x="${left + pw + 32}" y="${ly - 3}" font-size="12">${esc(s.label)}</text>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${w}" height="${h}" font-family="system-ui, sans-serif"><title>${esc(title)}</title>${parts.join('')}</svg>`;
}

export interface ReportContext {
  title: string;
  dataDescription: string;
  currency: string;
  /** Training figures of the learner, when known (seconds, trees). */
  notes?: string[];
}

/** The evaluation report as an HTML document. */
export function evaluationReport(result: EvaluationResult, context: ReportContext): string {
  const m = (k: (typeof METHODS)[number]['key']): MethodFigures => result[k];
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const rows = METHODS.map(({ key, label }) => {
    const f = m(key);
    return `<tr><th>${esc(label)}</th><td>${dec(f.rocAuc)}</td><td>${dec(f.averagePrecision)}</td><td>${pct(
      f.cardPrecisionAtBudget,
    )}</td><td>${pct(f.cardRecallAtBudget)}</td><td>${pct(f.cardPrecisionAtBudgetDropCaught)}</td><td>${money(f.money.stoppedMinor, context.currency)}</td><td>${money(
      f.money.missedMinor,
      context.currency,
    )}</td><td>${money(f.money.heldLegitMinor, context.currency)}</td><td>${f.money.alerts}</td></tr>`;
  }).join('');
  const pr = lineChart(
    'Precision–recall',
    'recall',
    'precision',
    METHODS.map(({ key, label, colour }) => ({
      label,
      colour,
      points: m(key).prCurve.map((p) => ({ x: p.recall, y: p.precision })),
    })),
    1,
    ['0', '0.25', '0.5', '0.75', '1'],
  );
  const dayCount = m('model').perDay.length;
  const dailyTicks = m('model')
    .perDay.filter((_, i) => i % Math.max(1, Math.ceil(dayCount / 6)) === 0)
    .map((d) => d.day);
  const daily = lineChart(
    `Card precision@${result.options.budget} per day`,
    'day',
    'precision',
    METHODS.map(({ key, label, colour }) => ({
      label,
      colour,
      points: m(key).perDay.map((d, i) => ({ x: i, y: d.precision })),
    })),
    Math.max(1, dayCount - 1),
    dailyTicks,
  );
  const rounds = result.rounds
    .map(
      (r) =>
        `<tr><td>${day(r.trainedAtMs)}</td><td>${r.trainRows}</td><td>${r.trainPositives}</td><td>${r.validRows}</td><td>${day(
          r.latestLabelKnownAtMs,
        )}</td><td>${r.trees}</td><td>${r.scoredRows}</td></tr>`,
    )
    .join('');
  const o = result.options;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(context.title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#212529;max-width:1100px}
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #dee2e6;padding:.35rem .6rem;text-align:right}
th{background:#f8f9fa;text-align:left}.muted{color:#868e96}
</style></head><body>
<h1>${esc(context.title)}</h1>
<p>${esc(context.dataDescription)}</p>
<p class="muted">Test period ${day(result.test.fromMs)} to ${day(result.test.toMs - 1)} (${result.test.days} days, ${
    result.test.rows
  } transactions, ${result.test.positives} fraudulent). Labels become known ${o.labelDelayDays} days after the transaction;
each model learns only from labels known when it was trained (${o.trainDays} days of transactions, the last ${
    o.validDays
  } for early stopping and calibration, ${o.calibration} calibration), ${
    o.retrainEveryDays > 0 ? `retrained every ${o.retrainEveryDays} days` : 'trained once'
  }. The alert budget is ${o.budget} customers per day.</p>
<table><thead><tr><th></th><th>ROC AUC</th><th>Average precision</th><th>Card precision@${o.budget}</th><th>Card recall@${
    o.budget
  }</th><th>Card precision@${o.budget}, caught dropped</th><th>Fraud stopped</th><th>Fraud missed</th><th>Legitimate held</th><th>Alerts</th></tr></thead><tbody>${rows}</tbody></table>
<p class="muted">Calibration (${esc(o.calibration)}, fitted on each round's validation period): Brier score ${result.calibration.brierUncalibrated.toFixed(5)} before, ${result.calibration.brierCalibrated.toFixed(5)} after. Rankings use the model's own order.</p>
<p class="muted">Money figures: the model holds what scores above the threshold that gives the daily budget's alert rate on its validation period; the rules hold what they send to review or block.</p>
${pr}
${daily}
<h2>Training rounds</h2>
<table><thead><tr><th>Trained at</th><th>Training rows</th><th>Frauds</th><th>Validation rows</th><th>Latest label known</th><th>Trees</th><th>Rows scored</th></tr></thead><tbody>${rounds}</tbody></table>
${(context.notes ?? []).map((n) => `<p class="muted">${esc(n)}</p>`).join('')}
</body></html>
`;
}
