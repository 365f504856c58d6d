import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { type Command, InvalidArgumentError } from 'commander';
import { type DriveProgress, driveTraffic } from './driver.ts';
import { TrafficSimulation } from './generate.ts';
import { DAY_MS, MINUTE_MS, TRAFFIC_DEFAULTS, trafficOptions } from './model.ts';
import { parseRate } from './rate.ts';
import { formatSummary } from './report.ts';
import { httpTransport } from './transport.ts';

/** `bulwark simulate`: seeded, labelled wallet traffic against a running Bulwark over HTTP. */

/** The API refuses event times more than 35 days back; a day's margin covers a long run. */
export const DAYS_MAX_FOR_API = 34;
const FUTURE_TOLERANCE_MS = 5 * MINUTE_MS;
const DEFAULT_URL = 'http://127.0.0.1:8080';

interface SimulateOptions {
  url?: string;
  key?: string;
  days: number;
  customers: number;
  merchants?: number;
  seed: number;
  rate: number;
  concurrency: number;
  end?: string;
  labels?: string;
  answerChallenges: boolean;
  json?: boolean;
}

const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
};

const seedInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 2 ** 32 - 1)
    throw new InvalidArgumentError('must be an integer from 0 to 4294967295');
  return n;
};

const rateOption = (value: string) => {
  try {
    return parseRate(value);
  } catch (err) {
    throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
  }
};

export function registerSimulateCommand(program: Command): Command {
  return program
    .command('simulate')
    .description(
      'Send seeded, labelled wallet traffic (legitimate customers and injected fraud and laundering) to a running Bulwark, then post the labels',
    )
    .option('--url <base>', `Bulwark's base URL (default: $BULWARK_URL or ${DEFAULT_URL})`)
    .option(
      '--key <apiKey>',
      'integrator API key (default: $BULWARK_API_KEY, else the demo key in data/demo-credentials.json)',
    )
    .option(
      '--days <n>',
      `days of traffic ending at --end (at most ${DAYS_MAX_FOR_API})`,
      positiveInt,
      TRAFFIC_DEFAULTS.days,
    )
    .option('--customers <n>', 'ordinary customers', positiveInt, TRAFFIC_DEFAULTS.customers)
    .option('--merchants <n>', 'merchants (default: customers / 50)', positiveInt)
    .option(
      '--seed <n>',
      'random seed: the same seed and options give the same traffic',
      seedInt,
      TRAFFIC_DEFAULTS.seed,
    )
    .option('--rate <rate>', 'requests per second at most, e.g. 200/s', rateOption, 200)
    .option('--concurrency <n>', 'requests in flight at most', positiveInt, 8)
    .option('--end <iso>', 'when the traffic ends (default: now, rounded down to the minute)')
    .option('--labels <file>', 'also write the labels as JSON lines to this file')
    .option(
      '--no-answer-challenges',
      'never answer step-up challenges (by default legitimate events answer and retry)',
    )
    .option('--json', 'print the summary as JSON')
    .action(async (opts: SimulateOptions) => {
      await simulate(opts);
    });
}

async function simulate(opts: SimulateOptions): Promise<void> {
  const now = Date.now();
  if (opts.days > DAYS_MAX_FOR_API) {
    throw new Error(
      `--days ${opts.days} is too many: Bulwark accepts event times at most 35 days back, so at most ${DAYS_MAX_FOR_API} days can be simulated`,
    );
  }
  const end = opts.end === undefined ? new Date(Math.floor(now / MINUTE_MS) * MINUTE_MS) : parseEnd(opts.end);
  if (end.getTime() > now + FUTURE_TOLERANCE_MS)
    throw new Error(`--end ${end.toISOString()} is in the future`);
  if (end.getTime() - opts.days * DAY_MS < now - 35 * DAY_MS) {
    throw new Error(
      `the traffic would start on ${new Date(end.getTime() - opts.days * DAY_MS).toISOString()}, more than 35 days ago: use a later --end or fewer --days`,
    );
  }
  const url = opts.url ?? process.env.BULWARK_URL ?? DEFAULT_URL;
  const apiKey = await resolveApiKey(opts.key);
  const sim = new TrafficSimulation(
    trafficOptions({
      seed: opts.seed,
      customers: opts.customers,
      ...(opts.merchants === undefined ? {} : { merchants: opts.merchants }),
      days: opts.days,
      end,
    }),
  );
  process.stderr.write(
    `simulating ${opts.days} days to ${end.toISOString()}: ${sim.customers.length} customers (${sim.ordinaryCount} ordinary), ` +
      `${sim.merchants.length} merchants, ${sim.incidents.length} incidents, about ${sim.estimatedEvents} events → ${url}\n`,
  );

  const controller = new AbortController();
  let interrupts = 0;
  const interrupt = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130);
    process.stderr.write(
      '\ninterrupted: finishing the requests in flight and posting labels (Ctrl-C again to quit now)\n',
    );
    controller.abort();
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  const labels = opts.labels ? createWriteStream(resolve(opts.labels)) : undefined;
  const bar = progress(sim.estimatedEvents);
  try {
    const summary = await driveTraffic(sim.events(), httpTransport(url, apiKey), {
      seed: opts.seed,
      runTag: sim.runTag,
      ratePerS: opts.rate,
      concurrency: opts.concurrency,
      answerChallenges: opts.answerChallenges ? 'legit' : 'none',
      signal: controller.signal,
      onProgress: (p) => bar.update(p),
      ...(labels ? { onLabel: (line) => labels.write(`${JSON.stringify(line)}\n`) } : {}),
    });
    bar.stop();
    if (labels) await closeStream(labels);
    process.stdout.write(opts.json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatSummary(summary)}\n`);
    if (summary.aborted) process.exitCode = 130;
  } finally {
    bar.stop();
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
}

function parseEnd(text: string): Date {
  const d = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(d.getTime())) {
    throw new Error(`--end must be an ISO date-time, e.g. 2026-03-01T00:00:00Z (got "${text}")`);
  }
  return d;
}

/** --key, else $BULWARK_API_KEY, else the demo's integrator key kept by `npm start`. */
export async function resolveApiKey(flag: string | undefined): Promise<string> {
  const key = flag ?? process.env.BULWARK_API_KEY;
  if (key) return key;
  const file = join(resolve(process.env.BULWARK_DATA_DIR ?? './data'), 'demo-credentials.json');
  try {
    const saved: unknown = JSON.parse(await readFile(file, 'utf8'));
    const apiKey = typeof saved === 'object' && saved !== null ? Reflect.get(saved, 'apiKey') : undefined;
    if (typeof apiKey === 'string' && apiKey.length > 0) return apiKey;
  } catch {
    // Not there: fall through to the message below.
  }
  throw new Error(`no API key: pass --key, set BULWARK_API_KEY, or start the demo once (it writes ${file})`);
}

function closeStream(stream: WriteStream): Promise<void> {
  return new Promise((done) => stream.end(done));
}

interface Bar {
  update(p: DriveProgress): void;
  stop(): void;
}

/** Events sent of the estimate, the rate, and outcome counts; plain lines every 10 % off a terminal. */
function progress(estimate: number): Bar {
  const started = Date.now();
  const payload = (p: DriveProgress) => ({
    rate: (p.events / Math.max(0.001, (Date.now() - started) / 1_000)).toFixed(0),
    allow: p.outcomes.ALLOW,
    challenge: p.outcomes.CHALLENGE,
    review: p.outcomes.REVIEW,
    block: p.outcomes.BLOCK + p.outcomes.BLOCK_AND_FREEZE,
    errors: p.errors,
  });
  if (!process.stderr.isTTY) {
    let lastTenth = -1;
    return {
      update(p) {
        const tenth = Math.min(10, Math.floor((p.events / Math.max(estimate, p.events, 1)) * 10));
        if (tenth === lastTenth) return;
        lastTenth = tenth;
        const x = payload(p);
        process.stderr.write(
          `traffic: ${p.events}/~${estimate} events, ${x.rate}/s, allow ${x.allow} challenge ${x.challenge} review ${x.review} block ${x.block}, errors ${x.errors}\n`,
        );
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format:
        'traffic [{bar}] {value}/{total} events | {rate}/s | allow {allow} challenge {challenge} review {review} block {block} | errors {errors} | eta {eta_formatted}',
      stream: process.stderr,
      hideCursor: true,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  let begun = false;
  let stopped = false;
  return {
    update(p) {
      if (stopped) return;
      if (!begun) {
        bar.start(estimate, 0, payload(p));
        begun = true;
      }
      if (p.events > bar.getTotal()) bar.setTotal(p.events);
      bar.update(p.events, payload(p));
    },
    stop() {
      if (begun && !stopped) bar.stop();
      stopped = true;
    },
  };
}
