import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import { driveTraffic } from './driver.ts';
import { TrafficSimulation } from './generate.ts';
import { type SimEvent, trafficOptions } from './model.ts';
import { type InjectTarget, injectTransport } from './transport.ts';

/**
 * Live demo traffic: the simulator's days played now, in compressed time, so the console
 * shows decisions arriving while someone watches. Each simulated day is sent at a gentle
 * rate with every event stamped with the moment it is sent (so velocity windows see it
 * as it happens); when a day is done the next one, with the next seed, begins.
 */

/** Requests a round may send at once before the live rate applies: about the population's setup. */
const SETUP_BURST = 400;

export interface LiveTrafficOptions {
  customers: number;
  /** Events per second sent to the API. */
  ratePerS: number;
  seed: number;
  log: Logger;
}

export interface LiveTraffic {
  stop(): Promise<void>;
}

/** The events of a stream restamped with the time they are taken (the driver takes them as it sends). */
export function* restamped(stream: Iterable<SimEvent>, now: () => number): Generator<SimEvent> {
  for (const e of stream) {
    const at = now();
    if (e.type === 'open_customer' || e.type === 'open_merchant') yield { ...e, at };
    else yield { ...e, at, context: { ...e.context, occurredAt: new Date(at).toISOString() } };
  }
}

export function startLiveTraffic(
  app: InjectTarget,
  apiKey: string,
  options: LiveTrafficOptions,
): LiveTraffic {
  const abort = new AbortController();
  // Every request waiting for its rate slot listens on this signal (and stops listening when
  // its slot comes): dozens at once is expected, not a leak.
  setMaxListeners(0, abort.signal);
  const run = async () => {
    for (let round = 0; !abort.signal.aborted; round++) {
      const sim = new TrafficSimulation(
        trafficOptions({
          end: new Date(),
          seed: options.seed + round,
          customers: options.customers,
          days: 1,
        }),
      );
      const summary = await driveTraffic(restamped(sim.events(), Date.now), injectTransport(app, apiKey), {
        seed: options.seed + round,
        runTag: `live-${Date.now().toString(36)}`,
        ratePerS: options.ratePerS,
        // Opening the simulated customers (and their verification) goes at once; their
        // activity then arrives at the live rate.
        burst: SETUP_BURST,
        concurrency: 2,
        answerChallenges: 'legit',
        signal: abort.signal,
      });
      options.log.info(
        {
          events: summary.events,
          detection: summary.detectionRate,
          falsePositiveRate: summary.falsePositiveRate,
        },
        'live demo traffic: a simulated day was sent',
      );
    }
  };
  const done = run().catch((err: unknown) => options.log.error({ err }, 'live demo traffic stopped'));
  return {
    async stop() {
      abort.abort();
      await done;
    },
  };
}
