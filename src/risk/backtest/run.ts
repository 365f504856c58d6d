import { FeatureComputer } from '../features/compute.ts';
import { MemoryProfileSource } from '../features/profile.ts';
import { type HistoryItem, replayOutcome } from '../history.ts';
import type { CompiledRuleSet } from '../rules/compile.ts';
import { DEFAULT_RULE_ENGINE_OPTIONS, RuleEngine, type RuleSource } from '../rules/evaluate.ts';
import type { RuleAction } from '../rules/model.ts';
import { MemoryVelocityStore } from '../velocity/memory-store.ts';
import {
  AgreementTally,
  type DiffReport,
  DiffTally,
  type LiveAgreementReport,
  type SetReport,
  SetTally,
} from './tally.ts';

/**
 * The back-test runner: replays a stored history in event-time order through the same
 * `FeatureComputer` the live engine uses (over in-memory stores fed only by the replayed
 * events, like `replayFeatures`), computes each event's features once at its decision
 * time, and evaluates both rule sets on those same features. What happened to the event
 * is fed back from the history's real outcome, so both sets see the same world and the
 * baseline reproduces the live rule outcomes (reported as `liveAgreement`).
 *
 * Not replayed: the limits (KYC tier, review threshold), the model score (its defaults
 * are used) and the fail-safe policy of degraded live decisions; the set outcomes are the
 * rules' outcomes only.
 */

/** One replayed event, with the rule outcome the live engine stored for it, when it decided it. */
export interface BacktestItem extends HistoryItem {
  liveRuleOutcome?: RuleAction | null | undefined;
}

export interface BacktestSets {
  candidate: CompiledRuleSet;
  baseline: CompiledRuleSet;
}

export interface BacktestOptions {
  /** Seeds parties whose history starts before the replay (registration dates, tiers, merchants). */
  seed?: (profile: MemoryProfileSource) => void;
  /** The customers' local time offset, for `event.hour` (the live rule engine's setting). */
  localOffsetMinutes: number;
  /** Events before this time only warm the counters and profiles; they are not evaluated or counted. */
  evaluateFrom?: Date | undefined;
  /** Told the number of items processed (warm-up included) at every yield and at the end. */
  onProgress?: ((processed: number) => void | Promise<void>) | undefined;
  /** Checked at every yield: an aborted run ends with `BacktestCancelled`. */
  signal?: AbortSignal | undefined;
  /** Items between two yields to the event loop (default 500). */
  yieldEvery?: number | undefined;
  /** Milliseconds of work between two yields, whatever the count (default 20): requests wait at most about this long. */
  yieldAfterMs?: number | undefined;
}

export interface BacktestResult {
  /** Events evaluated (the warm-up excluded). */
  events: number;
  warmupEvents: number;
  candidate: SetReport;
  baseline: SetReport;
  diff: DiffReport;
  liveAgreement: LiveAgreementReport;
}

export const DEFAULT_YIELD_EVERY = 500;
export const DEFAULT_YIELD_AFTER_MS = 20;
const YIELD_EVERY_MAX = 100_000;

/** A run stopped through its signal; `processed` items had been replayed. */
export class BacktestCancelled extends Error {
  constructor(readonly processed: number) {
    super(`the back-test was cancelled after ${processed} events`);
    this.name = 'BacktestCancelled';
  }
}

/** The runner evaluates given sets only; it never reads a live set. */
const NO_LIVE_SET: RuleSource = {
  revision: () => Promise.reject(new Error('a back-test evaluates given rule sets only')),
  live: () => Promise.reject(new Error('a back-test evaluates given rule sets only')),
};

/** A macrotask turn: timers and I/O callbacks (HTTP requests) run before the replay goes on. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function runBacktest(
  items: AsyncIterable<BacktestItem> | Iterable<BacktestItem>,
  sets: BacktestSets,
  options: BacktestOptions,
): Promise<BacktestResult> {
  const yieldEvery = Math.min(
    YIELD_EVERY_MAX,
    Math.max(1, Math.floor(options.yieldEvery ?? DEFAULT_YIELD_EVERY)),
  );
  const yieldAfterMs = options.yieldAfterMs ?? DEFAULT_YIELD_AFTER_MS;
  const evaluateFrom = options.evaluateFrom?.getTime() ?? Number.NEGATIVE_INFINITY;
  const rules = new RuleEngine(NO_LIVE_SET, {
    ...DEFAULT_RULE_ENGINE_OPTIONS,
    localOffsetMinutes: options.localOffsetMinutes,
  });
  const velocity = new MemoryVelocityStore();
  const profile = new MemoryProfileSource();
  options.seed?.(profile);
  const computer = new FeatureComputer({ velocity, profile });

  const candidate = new SetTally(sets.candidate);
  const baseline = new SetTally(sets.baseline);
  const diff = new DiffTally();
  const agreement = new AgreementTally(sets.baseline.revision);
  let processed = 0;
  let events = 0;
  let sinceYield = 0;
  let yieldedAt = performance.now();
  if (options.signal?.aborted) throw new BacktestCancelled(0);
  try {
    for await (const item of items) {
      // Features at the decision time, with the event's own time for windows (as live).
      const { features } = await computer.compute(item.event, item.decidedAt);
      if (item.at.getTime() >= evaluateFrom) {
        const b = rules.evaluateWith(sets.baseline, item.event, features, item.decidedAt);
        const c =
          sets.candidate === sets.baseline
            ? b
            : rules.evaluateWith(sets.candidate, item.event, features, item.decidedAt);
        baseline.add(item, b);
        candidate.add(item, c);
        diff.add(item, b, c);
        agreement.add(item, b);
        events++;
      }
      // What really happened next, the same for both sets.
      const next = replayOutcome(item.outcome, item.event);
      if (next === 'committed') await computer.committed(item.event, item.decidedAt);
      else if (next === 'declined') await computer.declined(item.event, item.decidedAt);

      processed++;
      sinceYield++;
      if (sinceYield >= yieldEvery || performance.now() - yieldedAt >= yieldAfterMs) {
        await options.onProgress?.(processed);
        await nextTurn();
        if (options.signal?.aborted) throw new BacktestCancelled(processed);
        sinceYield = 0;
        yieldedAt = performance.now();
      }
    }
  } finally {
    await velocity.close();
  }
  await options.onProgress?.(processed);
  return {
    events,
    warmupEvents: processed - events,
    candidate: candidate.report(),
    baseline: baseline.report(),
    diff: diff.report(),
    liveAgreement: agreement.report(),
  };
}
