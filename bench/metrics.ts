/**
 * Reads the server's Prometheus endpoint before and after a phase, so the ledger's own
 * histograms (group-commit batch size and duration) and the server's CPU time can be
 * reported for exactly that phase.
 */

/** Every sample of a Prometheus text exposition, keyed by name and label set as written. */
export type MetricsSnapshot = Map<string, number>;

export async function fetchMetrics(port: number): Promise<MetricsSnapshot> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (!res.ok) throw new Error(`GET /metrics answered ${res.status}`);
  return parseMetrics(await res.text());
}

export function parseMetrics(text: string): MetricsSnapshot {
  const out: MetricsSnapshot = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    if (space <= 0) continue;
    const value = Number(line.slice(space + 1));
    if (Number.isFinite(value)) out.set(line.slice(0, space), value);
  }
  return out;
}

function delta(before: MetricsSnapshot, after: MetricsSnapshot, series: string): number {
  return (after.get(series) ?? 0) - (before.get(series) ?? 0);
}

export interface PhaseMetrics {
  batches: number;
  batchCommands: number;
  meanBatchCommands: number;
  meanBatchDurationMs: number;
  /** Share of the phase's wall time the writer spent inside ledger transactions (0..1). */
  writerBusyShare: number;
  /** Batches with at most `le` commands (cumulative, as Prometheus buckets). */
  batchSizeBuckets: Record<string, number>;
  /** Ledger commands by `type/result`. */
  commands: Record<string, number>;
  /** Mean time the server spent on a request of these routes (its own measurement). */
  serverMeanMs: Record<string, number>;
  /** CPU seconds of the server process (user + system) during the phase. */
  serverCpuSeconds: number;
  /** Server CPU per request: with a single event loop, 1000 / this bounds requests per second. */
  serverCpuMsPerRequest: number;
}

const ROUTES = ['/v1/transfers', '/v1/payments', '/bench/baseline-insert'];

export function phaseMetrics(
  before: MetricsSnapshot,
  after: MetricsSnapshot,
  wallMs: number,
  requests: number,
): PhaseMetrics {
  const batches = delta(before, after, 'bulwark_ledger_batch_commands_count');
  const batchCommands = delta(before, after, 'bulwark_ledger_batch_commands_sum');
  const batchSeconds = delta(before, after, 'bulwark_ledger_batch_duration_seconds_sum');
  const batchSizeBuckets: Record<string, number> = {};
  const commands: Record<string, number> = {};
  for (const series of after.keys()) {
    const bucket = /^bulwark_ledger_batch_commands_bucket\{le="([^"]+)"\}$/.exec(series);
    if (bucket?.[1]) batchSizeBuckets[bucket[1]] = delta(before, after, series);
    const cmd = /^bulwark_ledger_commands_total\{type="([^"]+)",result="([^"]+)"\}$/.exec(series);
    if (cmd?.[1] && cmd[2]) {
      const n = delta(before, after, series);
      if (n > 0) commands[`${cmd[1]}/${cmd[2]}`] = n;
    }
  }
  const serverMeanMs: Record<string, number> = {};
  for (const route of ROUTES) {
    let sum = 0;
    let count = 0;
    for (const series of after.keys()) {
      if (!series.includes(`route="${route}"`)) continue;
      if (series.startsWith('bulwark_http_request_duration_seconds_sum')) sum += delta(before, after, series);
      if (series.startsWith('bulwark_http_request_duration_seconds_count'))
        count += delta(before, after, series);
    }
    if (count > 0) serverMeanMs[route] = (sum / count) * 1000;
  }
  const cpu =
    delta(before, after, 'bulwark_process_process_cpu_user_seconds_total') +
    delta(before, after, 'bulwark_process_process_cpu_system_seconds_total');
  return {
    batches,
    batchCommands,
    meanBatchCommands: batches > 0 ? batchCommands / batches : 0,
    meanBatchDurationMs: batches > 0 ? (batchSeconds / batches) * 1000 : 0,
    writerBusyShare: wallMs > 0 ? (batchSeconds * 1000) / wallMs : 0,
    batchSizeBuckets,
    commands,
    serverMeanMs,
    serverCpuSeconds: cpu,
    serverCpuMsPerRequest: requests > 0 ? (cpu * 1000) / requests : 0,
  };
}
