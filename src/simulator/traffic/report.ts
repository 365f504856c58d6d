import { entry, SCENARIOS, type Scenario, type SimEvent, type TruthLabel } from './model.ts';

/**
 * What a drive did, per scenario: events sent, the decisions they got, errors by problem
 * code, and how well the engine told the attacks from ordinary traffic.
 */

export const OUTCOMES = ['ALLOW', 'CHALLENGE', 'REVIEW', 'BLOCK', 'BLOCK_AND_FREEZE'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export function isOutcome(value: unknown): value is Outcome {
  return typeof value === 'string' && (OUTCOMES as readonly string[]).includes(value);
}

export interface ScenarioTally {
  label: TruthLabel;
  /** Events of this scenario handled (openings excluded). */
  events: number;
  /** Of those, events that got a decision. */
  decided: number;
  outcomes: Record<Outcome, number>;
  /** Problem codes (and the driver's own SIM_… codes) other than a risk refusal or a challenge. */
  errors: Record<string, number>;
  /** Decided events whose outcome was not ALLOW. */
  flagged: number;
  /** flagged / decided: the detection rate of an attack, the false-positive rate of legit traffic. */
  rate: number | null;
  incidents: number;
  /** Incidents with at least one flagged event. */
  incidentsFlagged: number;
}

export interface TrafficSummary {
  events: number;
  decided: number;
  setup: { customers: number; merchants: number; kycSubmissions: number; errors: Record<string, number> };
  scenarios: Record<string, ScenarioTally>;
  detectionRate: Partial<Record<Scenario, number | null>>;
  falsePositiveRate: number | null;
  challenges: { seen: number; answered: number; passed: number; failed: number };
  labels: { posted: number; batches: number; rejected: number; failedBatches: number };
  topupsUnsettled: number;
  requests: number;
  aborted: boolean;
  durationMs: number;
}

export function emptyOutcomes(): Record<Outcome, number> {
  return { ALLOW: 0, CHALLENGE: 0, REVIEW: 0, BLOCK: 0, BLOCK_AND_FREEZE: 0 };
}

/** Running counts, turned into a summary at the end. */
export class Tally {
  readonly outcomes = emptyOutcomes();
  readonly setup: TrafficSummary['setup'] = { customers: 0, merchants: 0, kycSubmissions: 0, errors: {} };
  readonly challenges: TrafficSummary['challenges'] = { seen: 0, answered: 0, passed: 0, failed: 0 };
  readonly labels: TrafficSummary['labels'] = { posted: 0, batches: 0, rejected: 0, failedBatches: 0 };
  events = 0;
  errors = 0;
  topupsUnsettled = 0;
  private readonly byScenario = new Map<string, ScenarioTally>();
  private readonly incidents = new Map<string, { all: Set<string>; flagged: Set<string> }>();

  /** One handled event: its outcome (when it got a decision) and error code (when it failed). */
  record(event: SimEvent, outcome: Outcome | null, error: string | null): void {
    const key = event.truth.scenario ?? 'legit';
    let t = this.byScenario.get(key);
    if (!t) {
      t = {
        label: event.truth.label,
        events: 0,
        decided: 0,
        outcomes: emptyOutcomes(),
        errors: {},
        flagged: 0,
        rate: null,
        incidents: 0,
        incidentsFlagged: 0,
      };
      this.byScenario.set(key, t);
    }
    t.events += 1;
    this.events += 1;
    if (outcome !== null) {
      t.decided += 1;
      t.outcomes[outcome] += 1;
      this.outcomes[outcome] += 1;
      if (outcome !== 'ALLOW') t.flagged += 1;
    }
    if (error !== null) {
      t.errors[error] = (t.errors[error] ?? 0) + 1;
      this.errors += 1;
    }
    const incident = event.truth.incident;
    if (incident !== null) {
      const seen = entry(this.incidents, key, () => ({ all: new Set<string>(), flagged: new Set<string>() }));
      seen.all.add(incident);
      if (outcome !== null && outcome !== 'ALLOW') seen.flagged.add(incident);
    }
  }

  setupError(code: string): void {
    this.setup.errors[code] = (this.setup.errors[code] ?? 0) + 1;
  }

  summary(requests: number, aborted: boolean, durationMs: number): TrafficSummary {
    const scenarios: Record<string, ScenarioTally> = {};
    const detectionRate: Partial<Record<Scenario, number | null>> = {};
    let decided = 0;
    const keys = ['legit', ...SCENARIOS].filter((k) => this.byScenario.has(k));
    for (const key of keys) {
      const t = this.byScenario.get(key);
      if (!t) continue;
      const seen = this.incidents.get(key);
      const tally = {
        ...t,
        rate: t.decided > 0 ? t.flagged / t.decided : null,
        incidents: seen?.all.size ?? 0,
        incidentsFlagged: seen?.flagged.size ?? 0,
      };
      scenarios[key] = tally;
      decided += t.decided;
    }
    for (const scenario of SCENARIOS) {
      const t = scenarios[scenario];
      if (t) detectionRate[scenario] = t.rate;
    }
    return {
      events: this.events,
      decided,
      setup: this.setup,
      scenarios,
      detectionRate,
      falsePositiveRate: scenarios.legit?.rate ?? null,
      challenges: this.challenges,
      labels: this.labels,
      topupsUnsettled: this.topupsUnsettled,
      requests,
      aborted,
      durationMs: Math.round(durationMs),
    };
  }
}

/** The summary as a table for a terminal. */
export function formatSummary(s: TrafficSummary): string {
  const lines: string[] = [];
  const pct = (x: number | null) => (x === null ? '–' : `${(x * 100).toFixed(1)}%`);
  const head = [
    'scenario',
    'label',
    'events',
    'decided',
    'ALLOW',
    'CHALL',
    'REVIEW',
    'BLOCK',
    'FREEZE',
    'errors',
    'rate',
    'incidents',
  ];
  const widths = [18, 10, 8, 8, 8, 7, 7, 7, 7, 7, 13, 10];
  const row = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 8) : c.padStart(widths[i] ?? 8))).join(' ');
  lines.push(row(head));
  for (const [key, t] of Object.entries(s.scenarios)) {
    const errors = Object.values(t.errors).reduce((a, b) => a + b, 0);
    lines.push(
      row([
        key,
        t.label,
        String(t.events),
        String(t.decided),
        String(t.outcomes.ALLOW),
        String(t.outcomes.CHALLENGE),
        String(t.outcomes.REVIEW),
        String(t.outcomes.BLOCK),
        String(t.outcomes.BLOCK_AND_FREEZE),
        String(errors),
        `${key === 'legit' ? 'FP' : 'det'} ${pct(t.rate)}`,
        key === 'legit' ? '' : `${t.incidentsFlagged}/${t.incidents}`,
      ]),
    );
  }
  lines.push('');
  lines.push(
    `${s.events} events (${s.decided} decided) in ${(s.durationMs / 1_000).toFixed(1)} s, ${s.requests} requests` +
      (s.aborted ? ' — interrupted' : ''),
  );
  lines.push(
    `setup: ${s.setup.customers} customers, ${s.setup.merchants} merchants, ${s.setup.kycSubmissions} KYC submissions` +
      errorText(s.setup.errors),
  );
  lines.push(
    `challenges: ${s.challenges.seen} seen, ${s.challenges.answered} answered, ${s.challenges.passed} passed, ${s.challenges.failed} failed`,
  );
  lines.push(
    `labels: ${s.labels.posted} posted in ${s.labels.batches} batches, ${s.labels.rejected} refused, ${s.labels.failedBatches} batches failed`,
  );
  if (s.topupsUnsettled > 0) lines.push(`top-ups still pending when spending followed: ${s.topupsUnsettled}`);
  const errors = new Map<string, number>();
  for (const t of Object.values(s.scenarios)) {
    for (const [code, n] of Object.entries(t.errors)) errors.set(code, (errors.get(code) ?? 0) + n);
  }
  if (errors.size > 0) {
    lines.push('errors by code:');
    for (const [code, n] of [...errors].sort((a, b) => b[1] - a[1])) lines.push(`  ${code.padEnd(36)} ${n}`);
  }
  return lines.join('\n');
}

function errorText(errors: Record<string, number>): string {
  const entries = Object.entries(errors);
  return entries.length === 0 ? '' : `; errors ${entries.map(([c, n]) => `${c} ${n}`).join(', ')}`;
}
