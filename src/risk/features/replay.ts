import { MemoryVelocityStore } from '../velocity/memory-store.ts';
import { type ComputeOptions, FeatureComputer, type FeatureResult, type ProxyCheck } from './compute.ts';
import { MemoryProfileSource } from './profile.ts';
import type { FeatureEvent } from './velocity-events.ts';

/**
 * Back-tests: the features history would have had, through the same `FeatureComputer`
 * the live engine uses, over in-memory stores fed only by the replayed events.
 */

/** One event of a replayed history, in event-time order, with what became of it. */
export interface ReplayItem {
  event: FeatureEvent;
  /** Decision time; the event's own `at` wins when given. */
  at: Date;
  /** What happened after the decision: committed (default), declined, or nothing (abandoned). */
  outcome?: 'committed' | 'declined' | 'none';
}

export interface ReplayOptions {
  /** Seeds parties whose history starts before the replay (registration dates, tiers, merchants). */
  seed?: (profile: MemoryProfileSource) => void;
  isProxy?: ProxyCheck;
  compute?: ComputeOptions;
}

/** Replays the history and returns each event's features, in order. */
export async function replayFeatures(
  items: Iterable<ReplayItem> | AsyncIterable<ReplayItem>,
  options: ReplayOptions = {},
): Promise<FeatureResult[]> {
  const velocity = new MemoryVelocityStore();
  const profile = new MemoryProfileSource();
  options.seed?.(profile);
  const computer = new FeatureComputer({ velocity, profile, isProxy: options.isProxy });
  const results: FeatureResult[] = [];
  try {
    for await (const item of items) {
      results.push(await computer.compute(item.event, item.at, options.compute));
      const outcome = item.outcome ?? 'committed';
      if (outcome === 'committed') await computer.committed(item.event, item.at);
      else if (outcome === 'declined') await computer.declined(item.event, item.at);
    }
  } finally {
    await velocity.close();
  }
  return results;
}
