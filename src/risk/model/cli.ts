import { readFile, stat, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { progressBar } from '../../cli/progress.ts';
import { systemClock } from '../../platform/clock.ts';
import { loadConfig } from '../../platform/config.ts';
import { openDatabase } from '../../platform/db.ts';
import { migrateToLatest } from '../../platform/migrate.ts';
import { RuleCompiler } from '../rules/compile.ts';
import { starterLiveVersions } from '../rules/starter.ts';
import { DAY_MS, type EvaluationResult, evaluate, type MethodFigures, trainingSets } from './evaluate.ts';
import { type GbdtParams, train } from './gbdt.ts';
import { type ColumnMapping, HANDBOOK_MAPPING, loadLabelledHistory } from './history.ts';
import { buildModelFile, type ModelFile, trainingFacts } from './model-file.ts';
import { ModelRegistry } from './registry.ts';
import { evaluationReport } from './report.ts';
import { buildFeatureTable, type FeatureTable, loadFeatureTable, saveFeatureTable } from './table.ts';
import { DEFAULT_MODEL_FEATURES } from './vector.ts';

/**
 * `bulwark model …`: the fraud model's offline pipeline on a labelled history file —
 * evaluate it honestly (time order, delayed labels), train a model file to serve.
 */

const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
};
const nonNegativeInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be an integer of 0 or more');
  return n;
};
const positiveNumber = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a number above 0');
  return n;
};
const day = (value: string) => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) throw new InvalidArgumentError('expected a date YYYY-MM-DD (UTC)');
  const ms = Date.parse(`${value}T00:00:00Z`);
  if (Number.isNaN(ms)) throw new InvalidArgumentError(`${value} is not a date`);
  return ms;
};

interface DataOptions {
  data: string;
  mapping?: string;
  delayDays: number;
  cache?: string;
}

interface LearnerOptions {
  trees: number;
  maxDepth: number;
  learningRate: number;
  seed: number;
}

async function mappingOf(option: string | undefined): Promise<ColumnMapping> {
  if (option === undefined || option === 'handbook') return HANDBOOK_MAPPING;
  const raw: unknown = JSON.parse(await readFile(option, 'utf8'));
  if (typeof raw !== 'object' || raw === null)
    throw new Error(`${option}: a column mapping must be a JSON object`);
  return raw as ColumnMapping;
}

/** The feature table of a history file: from the cache when it was built from the same input, else replayed. */
async function tableOf(opts: DataOptions, signal: AbortSignal): Promise<FeatureTable> {
  const info = await stat(opts.data);
  const key = JSON.stringify({
    data: basename(opts.data),
    size: info.size,
    mtimeMs: Math.floor(info.mtimeMs),
    features: DEFAULT_MODEL_FEATURES,
    delayDays: opts.delayDays,
    mapping: opts.mapping ?? 'handbook',
  });
  if (opts.cache) {
    const cached = await loadFeatureTable(opts.cache, key);
    if (cached) {
      console.error(`features: ${cached.rows} rows from ${opts.cache}`);
      return cached;
    }
  }
  const mapping = await mappingOf(opts.mapping);
  const loading = progressBar('reading history');
  const history = await loadLabelledHistory(opts.data, mapping, {
    onProgress: (done, total) => loading.update(done, total),
    signal,
  });
  loading.stop();
  const s = history.stats;
  console.error(
    `history: ${s.rows} transactions, ${s.positives} fraudulent (${((100 * s.positives) / s.rows).toFixed(2)} %), ${s.payers} payers, ${s.payees} payees, ${new Date(s.firstAtMs).toISOString().slice(0, 10)} to ${new Date(s.lastAtMs).toISOString().slice(0, 10)}`,
  );
  const rules = new RuleCompiler().compileSet('starter', starterLiveVersions());
  const replay = progressBar('computing features');
  const t0 = performance.now();
  const table = await buildFeatureTable(history.rows, {
    labelDelayMs: opts.delayDays * DAY_MS,
    rules,
    onProgress: (done, total) => replay.update(done, total),
    signal,
  });
  replay.stop();
  const seconds = (performance.now() - t0) / 1000;
  console.error(
    `features: ${table.rows} rows in ${seconds.toFixed(1)} s (${Math.round(table.rows / seconds)} rows/s)`,
  );
  if (opts.cache) await saveFeatureTable(opts.cache, table, key);
  return table;
}

function paramsOf(o: LearnerOptions): Partial<GbdtParams> {
  return { trees: o.trees, maxDepth: o.maxDepth, learningRate: o.learningRate, seed: o.seed };
}

/** Ctrl-C cancels cleanly: the current step stops, nothing half-written is left behind. */
function interruptible(): AbortController {
  const controller = new AbortController();
  process.once('SIGINT', () => {
    console.error('\ncancelling…');
    controller.abort();
  });
  return controller;
}

function line(name: string, f: MethodFigures, budget: number): string {
  const p = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : '  –  ');
  return `${name.padEnd(14)} AUC ${p(f.rocAuc)}  AP ${p(f.averagePrecision)}  card-precision@${budget} ${p(f.cardPrecisionAtBudget)}  (caught dropped ${p(f.cardPrecisionAtBudgetDropCaught)})  recall@${budget} ${p(f.cardRecallAtBudget)}  fraud stopped ${(f.money.stoppedMinor / 100).toFixed(0)}  missed ${(f.money.missedMinor / 100).toFixed(0)}`;
}

export function printEvaluation(r: EvaluationResult): void {
  const b = r.options.budget;
  console.log(
    `test ${new Date(r.test.fromMs).toISOString().slice(0, 10)} … ${new Date(r.test.toMs - 1).toISOString().slice(0, 10)}: ${r.test.rows} transactions, ${r.test.positives} fraudulent, ${r.rounds.length} training round(s)`,
  );
  console.log(line('rules alone', r.rules, b));
  console.log(line('model alone', r.model, b));
  console.log(line('rules + model', r.rulesAndModel, b));
  console.log(
    `calibration (${r.options.calibration}): Brier ${r.calibration.brierUncalibrated.toFixed(5)} → ${r.calibration.brierCalibrated.toFixed(5)}`,
  );
}

export function registerModelCommand(program: Command): void {
  const model = program
    .command('model')
    .description('The fraud model: evaluate on a labelled history, train, inspect');
  const dataOptions = (c: Command) =>
    c
      .requiredOption('--data <file>', 'labelled history: CSV or JSON Lines, optionally .gz')
      .option(
        '--mapping <handbook|file.json>',
        'column mapping (default: the fraud-detection handbook columns)',
      )
      .option(
        '--delay-days <n>',
        'days until a label is known, when the file has no label time',
        nonNegativeInt,
        7,
      )
      .option('--cache <file>', 'keep the computed features here and reuse them when the input is the same');
  const learnerOptions = (c: Command) =>
    c
      .option('--trees <n>', 'boosting rounds', positiveInt, 200)
      .option('--max-depth <n>', 'depth of each tree', positiveInt, 6)
      .option('--learning-rate <x>', 'shrinkage of each tree', positiveNumber, 0.1)
      .option('--seed <n>', 'random seed (row and feature sampling)', nonNegativeInt, 1);

  learnerOptions(
    dataOptions(
      model
        .command('evaluate')
        .description(
          'Replay a period in time order through the real-time feature code, score each transaction before its label is known, reveal labels after their delay, retrain on a schedule, and report rules vs model vs both',
        ),
    ),
  )
    .option('--train-days <n>', 'days of transactions each model learns from', positiveInt, 35)
    .option(
      '--valid-days <n>',
      'last days of the training window for early stopping and calibration',
      nonNegativeInt,
      7,
    )
    .option('--test-from <YYYY-MM-DD>', 'first day of the test period (default: 28 days before the end)', day)
    .option('--test-to <YYYY-MM-DD>', 'day after the test period (default: the end of the data)', day)
    .option('--retrain-every-days <n>', 'retrain during the test period (0: never)', nonNegativeInt, 7)
    .option('--budget <n>', 'customers the team can review per day (card-precision@budget)', positiveInt, 100)
    .option('--calibration <kind>', 'isotonic, platt or none', 'isotonic')
    .option('--report <file.html>', 'write the HTML report (charts) here', 'model-evaluation.html')
    .option('--json <file.json>', 'write the figures as JSON here')
    .action(
      async (
        opts: DataOptions &
          LearnerOptions & {
            trainDays: number;
            validDays: number;
            testFrom?: number;
            testTo?: number;
            retrainEveryDays: number;
            budget: number;
            calibration: string;
            report: string;
            json?: string;
          },
      ) => {
        if (!['isotonic', 'platt', 'none'].includes(opts.calibration))
          throw new Error('--calibration must be isotonic, platt or none');
        const controller = interruptible();
        const table = await tableOf(opts, controller.signal);
        const last = table.atMs[table.rows - 1] ?? 0;
        const testFromMs = opts.testFrom ?? Math.floor(last / DAY_MS) * DAY_MS - 27 * DAY_MS;
        let bar = progressBar('training');
        let trainSeconds = 0;
        const result = await evaluate(
          table,
          async (trainSet, validSet, ctx) => {
            bar = progressBar(`round ${ctx.round + 1}: training`);
            const t0 = performance.now();
            const out = await train(trainSet, paramsOf(opts), {
              validation: validSet,
              onProgress: (done, total) => bar.update(done, total),
              signal: controller.signal,
            });
            trainSeconds += (performance.now() - t0) / 1000;
            bar.stop();
            return out.forest;
          },
          {
            labelDelayDays: opts.delayDays,
            trainDays: opts.trainDays,
            validDays: opts.validDays,
            testFromMs,
            testToMs: opts.testTo,
            retrainEveryDays: opts.retrainEveryDays,
            budget: opts.budget,
            calibration: opts.calibration as 'isotonic' | 'platt' | 'none',
            signal: controller.signal,
          },
        );
        printEvaluation(result);
        console.log(`training: ${trainSeconds.toFixed(1)} s over ${result.rounds.length} round(s)`);
        await writeFile(
          opts.report,
          evaluationReport(result, {
            title: 'Bulwark fraud model: evaluation',
            dataDescription: `${basename(opts.data)}: ${table.rows} transactions replayed through Bulwark's real-time feature code (${table.features.length} model features).`,
            currency: 'EUR',
            notes: [
              `Learner: ${opts.trees} trees, depth ${opts.maxDepth}, learning rate ${opts.learningRate}, seed ${opts.seed}; training took ${trainSeconds.toFixed(1)} s in all.`,
            ],
          }),
        );
        console.log(`report: ${opts.report}`);
        if (opts.json) {
          const { scores: _s, testRows: _t, ...figures } = result;
          await writeFile(opts.json, `${JSON.stringify(figures, null, 2)}\n`);
          console.log(`figures: ${opts.json}`);
        }
      },
    );

  model
    .command('retrain')
    .description(
      'Retrain from the stored decisions and the labels known now (the database of BULWARK_DATA_DIR or DATABASE_URL); the result is registered as a challenger, never a champion',
    )
    .option('--train-days <n>', 'days of decisions to learn from', positiveInt, 28)
    .option(
      '--delay-days <n>',
      'days after which a decision without a fraud label counts as legitimate',
      nonNegativeInt,
      7,
    )
    .action(async (opts: { trainDays: number; delayDays: number }) => {
      const config = loadConfig();
      const handle = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
      try {
        await migrateToLatest(handle.db);
        const registry = new ModelRegistry({ db: handle.db, clock: systemClock });
        const r = await registry.retrain({ trainDays: opts.trainDays, labelDelayDays: opts.delayDays });
        if (r.model) {
          console.log(
            `${r.model.name} v${r.model.version} (${r.model.id}): ${r.model.trees} trees on ${r.rows} decisions, ${r.positives} fraud; now a challenger scored in shadow`,
          );
        } else {
          console.log(`nothing trained: ${r.reason ?? 'no data'} (${r.rows} decisions)`);
        }
      } finally {
        await handle.close();
      }
    });

  learnerOptions(
    dataOptions(
      model
        .command('train')
        .description('Train a model on every label known at a moment and write it as a model file to serve'),
    ),
  )
    .requiredOption('--out <model.json>', 'where to write the model file')
    .option(
      '--as-of <YYYY-MM-DD>',
      'train as of this day: only labels known by then (default: the end of the data)',
      day,
    )
    .option('--train-days <n>', 'days of transactions to learn from', positiveInt, 35)
    .option('--valid-days <n>', 'last days for early stopping and calibration', nonNegativeInt, 7)
    .option('--name <name>', 'model name', 'fraud-gbdt')
    .action(
      async (
        opts: DataOptions &
          LearnerOptions & { out: string; asOf?: number; trainDays: number; validDays: number; name: string },
      ) => {
        const controller = interruptible();
        const table = await tableOf(opts, controller.signal);
        const asOfMs = opts.asOf ?? (table.atMs[table.rows - 1] ?? 0) + 1;
        const sets = trainingSets(table, asOfMs, {
          labelDelayDays: opts.delayDays,
          trainDays: opts.trainDays,
          validDays: opts.validDays,
        });
        if (sets.trainRows === 0) throw new Error('no transaction with a known label in the training window');
        const bar = progressBar('training');
        const t0 = performance.now();
        const out = await train(sets.train, paramsOf(opts), {
          validation: sets.valid,
          onProgress: (done, total) => bar.update(done, total),
          signal: controller.signal,
        });
        bar.stop();
        const seconds = (performance.now() - t0) / 1000;
        const file: ModelFile = buildModelFile({
          name: opts.name,
          forest: out.forest,
          trainedAtMs: asOfMs,
          ...trainingFacts(sets),
          params: paramsOf(opts),
          seconds,
          source: basename(opts.data),
        });
        await writeFile(opts.out, `${JSON.stringify(file)}\n`);
        console.log(
          `model ${file.name}: ${out.forest.roots.length} trees on ${file.training.rows} rows in ${seconds.toFixed(1)} s → ${opts.out}`,
        );
      },
    );
}
