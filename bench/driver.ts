/**
 * The load generator: a fixed number of closed-loop clients over keep-alive HTTP/1.1,
 * each sending its next request as soon as the previous answer arrives. Latency is
 * measured per request in the driver, from the request being issued to the last byte
 * of the response, so it includes the client's own queueing and the network stack.
 */
import http from 'node:http';

export interface PlannedRequest {
  path: string;
  /** JSON text of the body. */
  body: string;
  idempotencyKey: string;
  /** Results are also counted per tag (e.g. the kind of operation). */
  tag?: string;
}

export interface LoadOptions {
  port: number;
  /** The Authorization header sent with every request (the API requires one). */
  authorization?: string;
  concurrency: number;
  total: number;
  /** Stop issuing new requests after this long; those in flight still finish. */
  timeBoxMs?: number;
  requestTimeoutMs: number;
  /** The i-th request of the run (called once per i, in increasing order). */
  request: (i: number) => PlannedRequest;
  onProgress?: (done: number, elapsedMs: number) => void;
  progressIntervalMs?: number;
}

export interface LoadResult {
  requests: number;
  /** Responses with status 201: the operation committed. */
  committed: number;
  durationMs: number;
  /** Latency of every request in milliseconds, sorted ascending. */
  latencyMs: Float64Array;
  statuses: Record<string, number>;
  /** Everything that was not a 201, by problem code (or HELD_FOR_REVIEW, TRANSPORT_*). */
  errorsByCode: Record<string, number>;
  /** Responses completed in each whole second of the run. */
  completionsPerSecond: number[];
  /** Slowest latency (ms) among the responses completed in each second: shows stalls. */
  latencyMsMaxPerSecond: number[];
  byTag: Record<string, { requests: number; committed: number }>;
}

interface Answer {
  status: number;
  code: string | undefined;
}

function problemCode(status: number, text: string): string {
  if (status === 202) return 'HELD_FOR_REVIEW';
  try {
    const body: unknown = JSON.parse(text);
    if (typeof body === 'object' && body !== null) {
      const code: unknown = Object.getOwnPropertyDescriptor(body, 'code')?.value;
      if (typeof code === 'string') return code;
    }
  } catch {
    // Not JSON: fall through to the status.
  }
  return `HTTP_${status}`;
}

function post(
  agent: http.Agent,
  port: number,
  req: PlannedRequest,
  timeoutMs: number,
  authorization: string | undefined,
): Promise<Answer> {
  return new Promise((resolve) => {
    const r = http.request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: req.path,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(req.body),
          'idempotency-key': req.idempotencyKey,
          ...(authorization === undefined ? {} : { authorization }),
        },
        timeout: timeoutMs,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => {
          // Only failures are read; a 201 body is not needed.
          if (status !== 201) chunks.push(c);
        });
        res.on('end', () =>
          resolve({
            status,
            code: status === 201 ? undefined : problemCode(status, Buffer.concat(chunks).toString('utf8')),
          }),
        );
        res.on('error', (err: NodeJS.ErrnoException) =>
          resolve({ status: 0, code: `TRANSPORT_${err.code ?? 'ERROR'}` }),
        );
      },
    );
    r.on('timeout', () => r.destroy(Object.assign(new Error('request timed out'), { code: 'TIMEOUT' })));
    r.on('error', (err: NodeJS.ErrnoException) =>
      resolve({ status: 0, code: `TRANSPORT_${err.code ?? 'ERROR'}` }),
    );
    r.end(req.body);
  });
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const agent = new http.Agent({
    keepAlive: true,
    maxSockets: options.concurrency,
    maxFreeSockets: options.concurrency,
    scheduling: 'fifo',
  });
  const latency = new Float64Array(options.total);
  const statuses: Record<string, number> = {};
  const errorsByCode: Record<string, number> = {};
  const perSecond: number[] = [];
  const maxPerSecond: number[] = [];
  const byTag: Record<string, { requests: number; committed: number }> = {};
  let next = 0;
  let done = 0;
  let committed = 0;
  const started = performance.now();
  const deadline = options.timeBoxMs === undefined ? Number.POSITIVE_INFINITY : started + options.timeBoxMs;

  const progress = options.onProgress
    ? setInterval(
        () => options.onProgress?.(done, performance.now() - started),
        options.progressIntervalMs ?? 5_000,
      )
    : undefined;

  const client = async () => {
    while (next < options.total && performance.now() < deadline) {
      const i = next++;
      const planned = options.request(i);
      const t0 = performance.now();
      const answer = await post(
        agent,
        options.port,
        planned,
        options.requestTimeoutMs,
        options.authorization,
      );
      const t1 = performance.now();
      latency[done] = t1 - t0;
      done++;
      const second = Math.floor((t1 - started) / 1000);
      perSecond[second] = (perSecond[second] ?? 0) + 1;
      maxPerSecond[second] = Math.max(maxPerSecond[second] ?? 0, t1 - t0);
      statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
      if (planned.tag !== undefined) {
        const t = byTag[planned.tag] ?? { requests: 0, committed: 0 };
        t.requests++;
        if (answer.status === 201) t.committed++;
        byTag[planned.tag] = t;
      }
      if (answer.status === 201) committed++;
      else {
        const code = answer.code ?? `HTTP_${answer.status}`;
        errorsByCode[code] = (errorsByCode[code] ?? 0) + 1;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, client));
  } finally {
    if (progress) clearInterval(progress);
    agent.destroy();
  }
  const durationMs = performance.now() - started;
  const latencyMs = latency.slice(0, done).sort();
  return {
    requests: done,
    committed,
    durationMs,
    latencyMs,
    statuses,
    errorsByCode,
    completionsPerSecond: Array.from(perSecond, (n) => n ?? 0),
    latencyMsMaxPerSecond: Array.from(maxPerSecond, (ms) => Math.round(ms ?? 0)),
    byTag,
  };
}

/** Nearest-rank percentile of an ascending array; 0 when it is empty. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? 0;
}
