// An in-memory stand-in for Bulwark's HTTP API for the driver tests: records every call and answers plausibly.
import type { Timer } from '../../../src/simulator/traffic/rate.ts';
import type { Transport, TransportResponse } from '../../../src/simulator/traffic/transport.ts';

export interface Call {
  seq: number;
  method: 'GET' | 'POST';
  path: string;
  body: unknown;
  headers: Record<string, string>;
  /** The virtual time the call was made at (when the test gives a clock). */
  at: number;
  /** What the fake answered (unset when it threw). */
  response?: TransportResponse;
}

export type Script = (call: Call, fake: FakeBulwark) => TransportResponse | 'throw' | undefined;

/** Reads a field of an unknown value (the fake sees request bodies as unknown). */
export function get(value: unknown, ...path: string[]): unknown {
  let cur = value;
  for (const key of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = Reflect.get(cur, key);
  }
  return cur;
}

export class FakeBulwark implements Transport {
  readonly calls: Call[] = [];
  inFlight = 0;
  maxInFlight = 0;
  private n = 0;
  /** How many times GET /v1/topups/:id answers "pending" before "succeeded". */
  pendingPolls = 0;
  private readonly polls = new Map<string, number>();

  constructor(
    private readonly options: {
      script?: Script;
      /** Real milliseconds to hold each call, to let calls overlap. */
      delayMs?: (call: Call) => number;
      clock?: () => number;
    } = {},
  ) {}

  async request(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<TransportResponse> {
    const call: Call = {
      seq: this.calls.length,
      method,
      path,
      body,
      headers,
      at: this.options.clock?.() ?? 0,
    };
    this.calls.push(call);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const delay = this.options.delayMs?.(call) ?? 0;
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      const scripted = this.options.script?.(call, this);
      if (scripted === 'throw') throw new Error('connection reset');
      call.response = scripted ?? this.answer(call);
      return call.response;
    } finally {
      this.inFlight -= 1;
    }
  }

  /** A decision as the API shapes it. */
  decision(outcome = 'ALLOW'): { id: string; outcome: string; reasonCodes: string[]; customerMessage: null } {
    return { id: `dec_${++this.n}`, outcome, reasonCodes: [], customerMessage: null };
  }

  answer(call: Call): TransportResponse {
    const { method, path } = call;
    const n = ++this.n;
    if (method === 'GET' && path.startsWith('/v1/topups/')) {
      const seen = this.polls.get(path) ?? 0;
      this.polls.set(path, seen + 1);
      return {
        status: 200,
        body: { id: path.slice(11), status: seen < this.pendingPolls ? 'pending' : 'succeeded' },
      };
    }
    if (path === '/v1/customers') {
      return { status: 201, body: { id: `cus_${n}`, wallets: [{ id: `wal_${n}`, currency: 'CNY' }] } };
    }
    if (/^\/v1\/customers\/[^/]+\/kyc\/(basic|full)$/.test(path)) return { status: 200, body: { tier: 1 } };
    if (path === '/v1/merchants')
      return { status: 201, body: { id: `mer_${n}`, accounts: [{ id: `acc_${n}` }] } };
    if (path === '/v1/topups') {
      return { status: 202, body: { id: `top_${n}`, status: 'pending', decision: this.decision() } };
    }
    if (path === '/v1/withdrawals') {
      return { status: 202, body: { id: `wdr_${n}`, status: 'processing', decision: this.decision() } };
    }
    if (
      path === '/v1/transfers' ||
      path === '/v1/payments' ||
      /^\/v1\/payments\/[^/]+\/refunds$/.test(path)
    ) {
      return {
        status: 201,
        body: { id: `txn_${n}`, status: 'completed', entryId: `txn_${n}`, decision: this.decision() },
      };
    }
    if (path === '/v1/risk/events') return { status: 200, body: { decision: this.decision() } };
    if (/^\/v1\/risk\/challenges\/[^/]+\/confirm$/.test(path))
      return { status: 200, body: { proof: `prf_${n}` } };
    if (path === '/v1/risk/labels') {
      const labels = get(call.body, 'labels');
      return { status: 200, body: { stored: Array.isArray(labels) ? labels.length : 0 } };
    }
    return { status: 404, body: { code: 'NOT_FOUND', status: 404 } };
  }

  /** The calls made for one event, found by its idempotency key's sim id suffix. */
  callsFor(simId: string): Call[] {
    return this.calls.filter((c) => c.headers['idempotency-key']?.endsWith(`-${simId}`));
  }

  posts(path: string | RegExp): Call[] {
    return this.calls.filter(
      (c) => c.method === 'POST' && (typeof path === 'string' ? c.path === path : path.test(c.path)),
    );
  }
}

/**
 * A clock that only moves when someone sleeps: a sleep started at t for d ms moves it to
 * at least t + d. Rate limiting and backoff become plain arithmetic.
 */
export function virtualTimer(): Timer & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    async sleep(ms: number) {
      const from = now;
      slept.push(ms);
      await Promise.resolve();
      now = Math.max(now, from + ms);
    },
  };
}
