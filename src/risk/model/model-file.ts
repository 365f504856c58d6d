import type { ModelOutput, RiskModel } from '../engine.ts';
import type { FeatureValue } from '../features/compute.ts';
import { FEATURES } from '../rules/features.ts';
import type { RuleEvent } from '../rules/schema.ts';
import {
  type Calibrator,
  calibratorFromJSON,
  fitCalibrator,
  levelOf,
  type RiskThresholds,
  thresholdsForAlertRates,
} from './calibrate.ts';
import type { Dataset, TrainingSets } from './evaluate.ts';
import { type Forest, ForestFormatError, sigmoid } from './forest.ts';
import { forestFromJSON, forestToJSON } from './forest-json.ts';
import { type CompiledForest, compileForest, predictMargins } from './infer.ts';
import { topContributions } from './shap.ts';
import { AMOUNT_FEATURE, vectorize } from './vector.ts';

/**
 * A model as it is stored, registered and served: the trees, the calibration that turns
 * their margin into a probability, the probability thresholds of the risk levels rules
 * read (`features.model.level`), and where it came from (data range, parameters, time).
 */

export const MODEL_FORMAT = 'bulwark-model/1';

/** Alert rates the risk levels are set at on the calibration period: the top 2 % medium, the top 0.5 % high. */
export const LEVEL_ALERT_RATES: RiskThresholds = { medium: 0.02, high: 0.005 };

/** Contributions shown with a decision: the strongest few are what an analyst reads. */
const CONTRIBUTIONS_SHOWN = 5;

export interface ModelFile {
  format: typeof MODEL_FORMAT;
  name: string;
  createdAt: string;
  features: string[];
  forest: object;
  calibration: object | null;
  thresholds: RiskThresholds;
  training: {
    trainedAt: string;
    from: string;
    to: string;
    rows: number;
    positives: number;
    params: Record<string, unknown>;
    seconds: number;
    source: string;
  };
}

export interface BuildModelArgs {
  name: string;
  forest: Forest;
  /** The rows calibration and level thresholds are fitted on (a validation period). */
  calibrationSet: Dataset;
  trainedAtMs: number;
  trainFromMs: number;
  trainToMs: number;
  rows: number;
  positives: number;
  params: Record<string, unknown>;
  seconds: number;
  source: string;
}

/** The part of a model file's record that comes from its training sets. */
export function trainingFacts(
  sets: TrainingSets,
): Pick<BuildModelArgs, 'calibrationSet' | 'trainFromMs' | 'trainToMs' | 'rows' | 'positives'> {
  return {
    calibrationSet: sets.valid ?? sets.train,
    trainFromMs: sets.fromMs,
    trainToMs: sets.toMs,
    rows: sets.trainRows + sets.validRows,
    positives: sets.positives,
  };
}

export function buildModelFile(a: BuildModelArgs): ModelFile {
  const m = predictMargins(a.forest, a.calibrationSet.columns);
  let positives = 0;
  for (const l of a.calibrationSet.labels) positives += l;
  // Isotonic calibration needs both classes in the calibration period; Platt copes with few.
  const calibrator =
    positives > 0 && positives < m.length
      ? fitCalibrator(positives >= 50 ? 'isotonic' : 'platt', m, a.calibrationSet.labels)
      : undefined;
  const probabilities = m.map((v) => (calibrator ? calibrator.apply(v) : sigmoid(v)));
  // When no event is rare enough for a level, its threshold sits just above the highest
  // probability seen; past 1 it is held at 1 (only certainty would reach it).
  const levels = thresholdsForAlertRates(probabilities, LEVEL_ALERT_RATES);
  return {
    format: MODEL_FORMAT,
    name: a.name,
    createdAt: new Date().toISOString(),
    features: [...a.forest.features],
    forest: forestToJSON(a.forest),
    calibration: calibrator ? calibrator.toJSON() : null,
    thresholds: { medium: Math.min(1, levels.medium), high: Math.min(1, levels.high) },
    training: {
      trainedAt: new Date(a.trainedAtMs).toISOString(),
      from: new Date(a.trainFromMs).toISOString(),
      to: new Date(a.trainToMs).toISOString(),
      rows: a.rows,
      positives: a.positives,
      params: a.params,
      seconds: Math.round(a.seconds * 100) / 100,
      source: a.source,
    },
  };
}

export class ModelFormatError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'ModelFormatError';
  }
}

export interface LoadedModel {
  name: string;
  forest: Forest;
  calibrator: Calibrator | undefined;
  thresholds: RiskThresholds;
  file: ModelFile;
}

const KNOWN_FEATURES = new Set([AMOUNT_FEATURE, ...FEATURES.map((f) => f.name)]);

/**
 * Reads a model file, refusing anything malformed with the field named, and a model built
 * for features this engine does not compute (it would score every event on missing values).
 */
export function loadModelFile(raw: unknown): LoadedModel {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ModelFormatError('(file)', 'a model file is a JSON object');
  const r = raw as Record<string, unknown>;
  if (r.format !== MODEL_FORMAT)
    throw new ModelFormatError(
      'format',
      `expected "${MODEL_FORMAT}", found ${JSON.stringify(r.format) ?? 'nothing'}`,
    );
  if (typeof r.name !== 'string' || r.name.length === 0 || r.name.length > 100)
    throw new ModelFormatError('name', 'a name of 1 to 100 characters is required');
  let forest: Forest;
  try {
    forest = forestFromJSON(r.forest);
  } catch (err) {
    if (err instanceof ForestFormatError) throw new ModelFormatError(`forest.${err.field}`, err.message);
    throw err;
  }
  const unknown = forest.features.filter((f) => !KNOWN_FEATURES.has(f));
  if (unknown.length > 0)
    throw new ModelFormatError(
      'features',
      `the model was built for features this engine does not compute: ${unknown.slice(0, 10).join(', ')}${unknown.length > 10 ? ` and ${unknown.length - 10} more` : ''}`,
    );
  if (!Array.isArray(r.features) || r.features.join('\u0000') !== forest.features.join('\u0000'))
    throw new ModelFormatError('features', 'the list differs from the features of the forest');
  const calibrator =
    r.calibration === null || r.calibration === undefined ? undefined : calibratorFromJSON(r.calibration);
  const t = r.thresholds as Record<string, unknown> | undefined;
  const medium = t?.medium;
  const high = t?.high;
  if (typeof medium !== 'number' || typeof high !== 'number' || !(medium >= 0 && medium <= high && high <= 1))
    throw new ModelFormatError(
      'thresholds',
      'medium and high probabilities with 0 ≤ medium ≤ high ≤ 1 are required',
    );
  if (typeof r.training !== 'object' || r.training === null)
    throw new ModelFormatError('training', 'the training record (data range, rows, parameters) is required');
  return { name: r.name, forest, calibrator, thresholds: { medium, high }, file: raw as ModelFile };
}

/**
 * A loaded model behind the engine's `RiskModel`: it reads the event's features as the
 * rules see them, scores them without allocating, and explains every score above the
 * low level with the features that pushed it most (exact TreeSHAP contributions, in
 * log-odds).
 */
/** The event types a model of scope `all` serves: money movements (account events have other features). */
export const MONEY_MOVEMENT_TYPES: ReadonlySet<string> = new Set([
  'transfer',
  'payment',
  'withdrawal',
  'topup',
  'refund',
]);

export class ForestModel implements RiskModel {
  readonly name: string;
  readonly scope: string;
  private readonly row: Float64Array;
  /** The same trees in the flat layout that scores fastest (identical margins). */
  private readonly compiled: CompiledForest;

  constructor(
    private readonly model: LoadedModel,
    options: { label?: string; scope?: string } = {},
  ) {
    this.name = options.label ?? model.name;
    this.scope = options.scope ?? 'all';
    this.row = new Float64Array(model.forest.features.length);
    this.compiled = compileForest(model.forest);
  }

  /** Whether this model scores events of the type: its own type, or every money movement for scope `all`. */
  appliesTo(type: string): boolean {
    return this.scope === 'all' ? MONEY_MOVEMENT_TYPES.has(type) : this.scope === type;
  }

  score(features: Readonly<Record<string, FeatureValue>>, event: RuleEvent): ModelOutput {
    const { forest, calibrator, thresholds } = this.model;
    const x = vectorize(forest.features, features, event, this.row);
    const margin = this.compiled.margin(x);
    const score = calibrator ? calibrator.apply(margin) : sigmoid(margin);
    const level = levelOf(score, thresholds);
    if (level === 'low') return { score, level };
    const contributions = topContributions(forest, x, CONTRIBUTIONS_SHOWN).map((c) => ({
      feature: c.feature,
      value: Math.round(c.value * 1000) / 1000,
    }));
    return { score, level, contributions };
  }
}
