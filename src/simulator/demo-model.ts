import { DAY_MS, trainingSets } from '../risk/model/evaluate.ts';
import { trainSync } from '../risk/model/gbdt.ts';
import { buildModelFile, type ModelFile, trainingFacts } from '../risk/model/model-file.ts';
import type { ModelRegistry } from '../risk/model/registry.ts';
import { type FeatureTable, type ReplayRow, replayTable } from '../risk/model/table.ts';
import { generateTraffic } from './traffic/generate.ts';
import { DEFAULT_SCENARIO_RATES, type SimEvent, TRAFFIC_DEFAULTS } from './traffic/model.ts';

/**
 * The demo's fraud model: trained on a month of simulated wallet traffic (the same
 * generator as `bulwark simulate`, a different seed from the live demo traffic), replayed
 * through the engine's own feature code, with labels known a week after each event. It is
 * registered and made champion at the demo's first start, as the starter rules are loaded:
 * by the system, with a record that says so. Everything after that (new versions, shadow,
 * promotion) goes through the registry like any other model.
 */

export const DEMO_MODEL_NAME = 'demo-fraud-gbdt';
const TRAINING_SCENARIO_BOOST = 4;

export interface DemoModelOptions {
  seed: number;
  customers: number;
  days: number;
  end: Date;
  trees: number;
}

export const DEMO_MODEL_DEFAULTS: Omit<DemoModelOptions, 'end'> = {
  seed: 11,
  customers: 1_000,
  days: 30,
  trees: 120,
};

/** The simulated stream as replay rows: money movements labelled, account events as context. */
export function replayRowsOf(events: Iterable<SimEvent>): {
  rows: ReplayRow[];
  customers: Map<string, { openedAt: Date; kycTier: number }>;
  merchants: Map<string, Date>;
} {
  const rows: ReplayRow[] = [];
  const customers = new Map<string, { openedAt: Date; kycTier: number }>();
  const merchants = new Map<string, Date>();
  for (const e of events) {
    switch (e.type) {
      case 'open_customer':
        customers.set(e.customer, { openedAt: new Date(e.openedAt), kycTier: e.kycTier });
        break;
      case 'open_merchant':
        merchants.set(e.merchant, new Date(e.openedAt));
        break;
      case 'account':
        rows.push({
          id: e.simId,
          event: {
            type: e.event,
            customerId: e.customer,
            deviceId: e.context.deviceId,
            ip: e.context.ip,
            geo: e.context.geo,
            channel: e.context.channel,
            at: new Date(e.at),
            ...(e.result === 'failed' ? { failed: true } : {}),
          },
        });
        break;
      default: {
        const counterpartyId =
          e.type === 'transfer' ? e.to : e.type === 'payment' || e.type === 'refund' ? e.merchant : undefined;
        rows.push({
          id: e.simId,
          event: {
            type: e.type,
            customerId: e.customer,
            ...(counterpartyId === undefined ? {} : { counterpartyId }),
            amountMinor: e.amountMinor,
            currency: e.currency,
            deviceId: e.context.deviceId,
            ip: e.context.ip,
            geo: e.context.geo,
            channel: e.context.channel,
            at: new Date(e.at),
          },
          // The fraud model learns fraud; laundering is the AML rules' and reports' concern.
          label: e.truth.label === 'fraud' ? 1 : 0,
        });
      }
    }
  }
  rows.sort((a, b) => a.event.at.getTime() - b.event.at.getTime());
  return { rows, customers, merchants };
}

/** Generates the traffic, replays it and trains: the model file and the table it came from. */
export function demoTrainingTable(o: DemoModelOptions): Promise<FeatureTable> {
  const { rows, customers, merchants } = replayRowsOf(
    generateTraffic({
      seed: o.seed,
      customers: o.customers,
      merchants: Math.max(10, Math.round(o.customers / 20)),
      days: o.days,
      end: o.end,
      // Incidents four times as often as the live traffic's: a month of a small population
      // then holds enough fraud (about a hundred movements) for the trees to learn from.
      scenarios: Object.fromEntries(
        Object.entries(DEFAULT_SCENARIO_RATES).map(([k, v]) => [k, v * TRAINING_SCENARIO_BOOST]),
      ) as typeof DEFAULT_SCENARIO_RATES,
      mulePayersMin: TRAFFIC_DEFAULTS.mulePayersMin,
      structuringThresholdMinor: TRAFFIC_DEFAULTS.structuringThresholdMinor,
    }),
  );
  return replayTable(rows, {
    labelDelayMs: 7 * DAY_MS,
    seed: (profile) => {
      for (const [id, c] of customers)
        profile.seedCustomer(id, { createdAt: c.openedAt, kycTier: c.kycTier });
      for (const [id, at] of merchants) profile.seedMerchant(id, at);
    },
  });
}

export async function trainDemoModel(o: DemoModelOptions): Promise<ModelFile> {
  const table = await demoTrainingTable(o);
  const asOf = o.end.getTime();
  const sets = trainingSets(table, asOf, { labelDelayDays: 7, trainDays: o.days, validDays: 7 });
  const params = { trees: o.trees, maxDepth: 5, learningRate: 0.1, seed: o.seed, scalePosWeight: 5 };
  const t0 = performance.now();
  const { forest } = trainSync(sets.train, params, { validation: sets.valid });
  return buildModelFile({
    name: DEMO_MODEL_NAME,
    forest,
    trainedAtMs: asOf,
    ...trainingFacts(sets),
    params,
    seconds: (performance.now() - t0) / 1000,
    source: `simulated wallet traffic: ${o.customers} customers, ${o.days} days, seed ${o.seed}`,
  });
}

/**
 * At the demo's first start: train the demo model and make it the champion for every
 * money movement, unless a champion already serves.
 */
export async function bootstrapDemoModel(
  registry: ModelRegistry,
  now: Date,
  options: Partial<Omit<DemoModelOptions, 'end'>> = {},
): Promise<{ modelId: string; trainRows: number; positives: number; trees: number } | null> {
  if ((await registry.list({ status: 'champion' })).length > 0) return null;
  const file = await trainDemoModel({ ...DEMO_MODEL_DEFAULTS, ...options, end: now });
  const id = await registry.bootstrapChampion(
    file,
    'demo model: trained on a month of simulated wallet traffic',
  );
  const forest = file.forest as { roots?: unknown[] };
  return {
    modelId: id,
    trainRows: file.training.rows,
    positives: file.training.positives,
    trees: Array.isArray(forest.roots) ? forest.roots.length : 0,
  };
}
