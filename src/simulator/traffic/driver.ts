import { hashString } from '../random.ts';
import { entry, laneOf, type MoneyEvent, type SimContext, type SimEvent, type TruthLabel } from './model.ts';
import { realTimer, Slots, type Timer, TokenBucket } from './rate.ts';
import { isOutcome, type Outcome, Tally, type TrafficSummary } from './report.ts';
import type { Transport, TransportResponse } from './transport.ts';

/**
 * Drives a simulated stream against Bulwark's HTTP API: opens the parties, sends every
 * event as its call with an idempotency key derived from the seed and the sim id, keeps
 * each customer's events in order while up to `concurrency` requests run, records the
 * decision each event got, and posts the ground truth as labels keyed by decision id.
 * It never throws for an HTTP failure: failures are counted by problem code.
 */

export interface DriveOptions {
  seed: number;
  /** Distinguishes runs with other options (TrafficSimulation.runTag); part of every key. */
  runTag?: string;
  /** Requests per second at most (default 200). */
  ratePerS?: number;
  /** Requests allowed at once above the rate (default a tenth of a second's worth). */
  burst?: number;
  /** Requests in flight at most (default 8). */
  concurrency?: number;
  /** Which events answer a step-up challenge and retry (default: legit ones; fraudsters give up). */
  answerChallenges?: 'legit' | 'all' | 'none';
  /** Labels per POST /v1/risk/labels (1–1000, default 1000). */
  labelBatchSize?: number;
  /** Post labels to the API (default true); `onLabel` sees them either way. */
  postLabels?: boolean;
  onLabel?: (line: LabelLine) => void;
  onProgress?: (progress: DriveProgress) => void;
  signal?: AbortSignal;
  timer?: Timer;
  /** Retries of a 429, a 503 or a transport failure (default 6), with exponential backoff from `backoffMs`. */
  retriesMax?: number;
  backoffMs?: number;
  backoffMaxMs?: number;
  /** How often and how long to wait for a top-up's channel confirmation before the customer spends. */
  topupPollMs?: number;
  topupPollTriesMax?: number;
}

export interface LabelLine {
  simId: string;
  decisionId: string;
  label: TruthLabel;
  scenario: string | null;
  type: string;
  occurredAt: string;
}

export interface DriveProgress {
  events: number;
  requests: number;
  errors: number;
  outcomes: Record<Outcome, number>;
  /** The rate the limiter currently allows (lower than asked after 429s). */
  ratePerS: number;
}

interface Party {
  id: string;
  /** The CNY wallet of a customer. */
  walletId?: string;
}

interface Lane {
  tail: Promise<void>;
  pendingTopups: string[];
}

type Reply = TransportResponse & { failure?: 'TRANSPORT_ERROR' | 'ABORTED' };

const LABEL_BATCH_MAX = 1_000;
/** Events dispatched ahead of the ones in flight (per slot of concurrency). */
const WINDOW_PER_SLOT = 32;
/** Unknown decisions dropped from one batch before giving the batch up. */
const LABEL_RETRIES_MAX = 50;
const CHANNEL = 'simbank';

export async function driveTraffic(
  stream: Iterable<SimEvent>,
  transport: Transport,
  options: DriveOptions,
): Promise<TrafficSummary> {
  return new Driver(transport, options).run(stream);
}

class Driver {
  private readonly timer: Timer;
  private readonly bucket: TokenBucket;
  private readonly slots: Slots;
  private readonly window: Slots;
  private readonly tally = new Tally();
  private readonly parties = new Map<string, Party | null>();
  private readonly ready = new Map<string, Promise<void>>();
  /** Entry ids of payments a later refund names (null: the payment did not complete). */
  private readonly payments = new Map<string, string | null>();
  private readonly lanes = new Map<string, Lane>();
  private readonly inFlight = new Set<Promise<void>>();
  private labelBuffer: Array<{ decisionId: string; label: TruthLabel; scenario?: string }> = [];
  private labelChain: Promise<void> = Promise.resolve();
  private readonly keyPrefix: string;
  private requests = 0;
  private readonly batchSize: number;

  constructor(
    private readonly transport: Transport,
    private readonly o: DriveOptions,
  ) {
    this.timer = o.timer ?? realTimer;
    const rate = o.ratePerS ?? 200;
    this.bucket = new TokenBucket(rate, o.burst ?? Math.max(1, Math.ceil(rate / 10)), this.timer);
    const concurrency = Math.max(1, Math.floor(o.concurrency ?? 8));
    this.slots = new Slots(concurrency);
    this.window = new Slots(concurrency * WINDOW_PER_SLOT);
    this.keyPrefix = `sim-${o.seed}${o.runTag ? `-${o.runTag}` : ''}`;
    this.batchSize = Math.min(LABEL_BATCH_MAX, Math.max(1, Math.floor(o.labelBatchSize ?? LABEL_BATCH_MAX)));
  }

  async run(stream: Iterable<SimEvent>): Promise<TrafficSummary> {
    const started = this.timer.now();
    let aborted = false;
    for (const event of stream) {
      if (this.o.signal?.aborted) {
        aborted = true;
        break;
      }
      await this.window.acquire();
      this.dispatch(event);
    }
    await Promise.all(this.inFlight);
    if (this.o.signal?.aborted) aborted = true;
    this.flushLabels(true);
    await this.labelChain;
    return this.tally.summary(this.requests, aborted, this.timer.now() - started);
  }

  /** Queues the event behind the earlier events of its lane. */
  private dispatch(event: SimEvent): void {
    const key = laneOf(event);
    const current = entry(this.lanes, key, (): Lane => ({ tail: Promise.resolve(), pendingTopups: [] }));
    const task: Promise<void> = current.tail
      .then(() => this.handle(event, current))
      .catch((err: unknown) => {
        // A bug in the driver must not stop the run; it shows in the summary.
        this.tally.record(event, null, 'SIM_DRIVER_ERROR');
        if (process.env.LOG_LEVEL === 'debug') console.error(err);
      })
      .finally(() => {
        this.window.release();
        this.inFlight.delete(task);
        if (current.tail === task && current.pendingTopups.length === 0) this.lanes.delete(key);
      });
    current.tail = task;
    this.inFlight.add(task);
    if (event.type === 'open_customer') this.ready.set(event.customer, task);
    if (event.type === 'open_merchant') this.ready.set(event.merchant, task);
  }

  private async handle(event: SimEvent, lane: Lane): Promise<void> {
    if (this.o.signal?.aborted) return;
    if (event.type === 'open_customer') await this.openCustomer(event);
    else if (event.type === 'open_merchant') await this.openMerchant(event);
    else await this.send(event, lane);
    this.o.onProgress?.({
      events: this.tally.events,
      requests: this.requests,
      errors: this.tally.errors,
      outcomes: this.tally.outcomes,
      ratePerS: this.bucket.currentPerS,
    });
  }

  private async openCustomer(e: Extract<SimEvent, { type: 'open_customer' }>): Promise<void> {
    const res = await this.call(
      'POST',
      '/v1/customers',
      { displayName: e.displayName, currencies: ['CNY'], openedAt: e.openedAt },
      this.key(e.simId),
    );
    const id = str(res.body, 'id');
    const wallets = field(res.body, 'wallets');
    const walletId = Array.isArray(wallets) ? str(wallets[0], 'id') : undefined;
    if (!ok(res) || id === undefined || walletId === undefined) {
      this.parties.set(e.customer, null);
      this.tally.setupError(codeOf(res));
      return;
    }
    this.parties.set(e.customer, { id, walletId });
    this.tally.setup.customers += 1;
    if (e.kycTier === 0) return;
    const basic = await this.call(
      'POST',
      `/v1/customers/${id}/kyc/basic`,
      { name: e.identity.name, documentType: 'CN_RESIDENT_ID', documentNumber: e.identity.documentNumber },
      this.key(`${e.simId}.kyc1`),
    );
    this.tally.setup.kycSubmissions += 1;
    if (!ok(basic)) {
      this.tally.setupError(codeOf(basic));
      return;
    }
    if (e.kycTier < 2) return;
    const full = await this.call(
      'POST',
      `/v1/customers/${id}/kyc/full`,
      {
        documentImages: { front: `upl_${e.customer}_front`, back: `upl_${e.customer}_back` },
        livenessSessionId: `lv_${e.customer}`,
      },
      this.key(`${e.simId}.kyc2`),
    );
    this.tally.setup.kycSubmissions += 1;
    if (!ok(full)) this.tally.setupError(codeOf(full));
  }

  private async openMerchant(e: Extract<SimEvent, { type: 'open_merchant' }>): Promise<void> {
    const res = await this.call(
      'POST',
      '/v1/merchants',
      { name: e.name, feeBps: e.feeBps, currencies: ['CNY'], openedAt: e.openedAt },
      this.key(e.simId),
    );
    const id = str(res.body, 'id');
    if (!ok(res) || id === undefined) {
      this.parties.set(e.merchant, null);
      this.tally.setupError(codeOf(res));
      return;
    }
    this.parties.set(e.merchant, { id });
    this.tally.setup.merchants += 1;
  }

  /** A money movement or account event: its call, the decision, a challenge answered, the label. */
  private async send(
    e: Exclude<SimEvent, { type: 'open_customer' | 'open_merchant' }>,
    lane: Lane,
  ): Promise<void> {
    const request = await this.requestFor(e, lane);
    if (typeof request === 'string') {
      this.tally.record(e, null, request);
      if (e.type === 'payment' && e.refundable) this.payments.set(e.simId, null);
      return;
    }
    const key = this.key(e.simId);
    const res = await this.call('POST', request.path, request.body, key);
    let decision = decisionOf(res.body);
    // Only decisions the server keeps can be labelled: those of accepted, refused and
    // challenged events (a decision echoed in another failure, say insufficient funds, is not stored).
    const decisions = decision && stored(res) ? [decision.id] : [];
    let final = res;
    let error: string | null = null;
    if (res.status === 403 && str(res.body, 'code') === 'AUTH_STEP_UP_REQUIRED') {
      this.tally.challenges.seen += 1;
      decision = { id: decision?.id ?? '', outcome: decision?.outcome ?? 'CHALLENGE' };
      const retried = await this.answerChallenge(e, res, request, key);
      if (retried) {
        final = retried;
        const again = decisionOf(retried.body);
        if (again && stored(retried) && !decisions.includes(again.id)) decisions.push(again.id);
        if (!ok(retried)) error = codeOf(retried);
      }
    } else if (!ok(res)) {
      const code = codeOf(res);
      if (code !== 'RISK_BLOCKED') error = code;
    }
    if (ok(final)) this.afterSuccess(e, final, lane);
    else if (e.type === 'payment' && e.refundable) this.payments.set(e.simId, null);
    this.tally.record(e, decision ? decision.outcome : null, error);
    for (const id of decisions) if (id !== '') this.label(e, id);
  }

  private async answerChallenge(
    e: SimEvent,
    res: Reply,
    request: { path: string; body: unknown },
    key: string,
  ): Promise<Reply | null> {
    const mode = this.o.answerChallenges ?? 'legit';
    if (mode === 'none' || (mode === 'legit' && e.truth.label !== 'legit')) return null;
    const challengeId = str(field(res.body, 'challenge'), 'id');
    if (challengeId === undefined) return null;
    this.tally.challenges.answered += 1;
    const confirmed = await this.call(
      'POST',
      `/v1/risk/challenges/${challengeId}/confirm`,
      { method: 'integrator', warningShown: true },
      this.key(`${e.simId}.confirm`),
    );
    const proof = str(confirmed.body, 'proof');
    if (!ok(confirmed) || proof === undefined) {
      this.tally.challenges.failed += 1;
      return null;
    }
    // The same request again, same key and body, with the proof: it goes through exactly once.
    const retried = await this.call('POST', request.path, request.body, key, { 'bulwark-step-up': proof });
    if (ok(retried)) this.tally.challenges.passed += 1;
    else this.tally.challenges.failed += 1;
    return retried;
  }

  private afterSuccess(e: SimEvent, res: Reply, lane: Lane): void {
    if (e.type === 'topup') {
      const id = str(res.body, 'id');
      if (id !== undefined && str(res.body, 'status') === 'pending') lane.pendingTopups.push(id);
    } else if (e.type === 'payment' && e.refundable) {
      this.payments.set(e.simId, str(res.body, 'entryId') ?? null);
    }
  }

  /** The path and body of an event's call, or the driver's error code when it cannot be made. */
  private async requestFor(
    e: Exclude<SimEvent, { type: 'open_customer' | 'open_merchant' }>,
    lane: Lane,
  ): Promise<{ path: string; body: unknown } | string> {
    const actor = await this.party(e.customer);
    if (!actor?.walletId) return 'SIM_PARTY_MISSING';
    const context = contextBody(e.context);
    switch (e.type) {
      case 'account':
        return {
          path: '/v1/risk/events',
          body: { type: e.event, customerId: actor.id, result: e.result, context },
        };
      case 'topup':
        return { path: '/v1/topups', body: { ...money(e, actor.walletId), channel: CHANNEL, context } };
      case 'withdrawal':
        await this.settle(lane);
        return {
          path: '/v1/withdrawals',
          body: { ...money(e, actor.walletId), channel: CHANNEL, bankAccount: e.bankAccount, context },
        };
      case 'transfer': {
        const to = await this.party(e.to);
        if (!to?.walletId) return 'SIM_PARTY_MISSING';
        await this.settle(lane);
        return {
          path: '/v1/transfers',
          body: {
            fromWalletId: actor.walletId,
            toWalletId: to.walletId,
            amountMinor: e.amountMinor.toString(),
            currency: e.currency,
            ...(e.memo === null ? {} : { memo: e.memo }),
            context,
          },
        };
      }
      case 'payment': {
        const merchant = await this.party(e.merchant);
        if (!merchant) return 'SIM_PARTY_MISSING';
        await this.settle(lane);
        return {
          path: '/v1/payments',
          body: {
            walletId: actor.walletId,
            merchantId: merchant.id,
            amountMinor: e.amountMinor.toString(),
            currency: e.currency,
            orderRef: e.orderRef,
            context,
          },
        };
      }
      case 'refund': {
        const entryId = this.payments.get(e.payment);
        this.payments.delete(e.payment);
        if (!entryId) return 'SIM_PAYMENT_NOT_COMPLETED';
        return {
          path: `/v1/payments/${entryId}/refunds`,
          body: { amountMinor: e.amountMinor.toString(), reason: e.reason, context },
        };
      }
      default: {
        const exhaustive: never = e;
        throw new Error(`unknown event ${String(exhaustive)}`);
      }
    }
  }

  /** A customer's or merchant's real ids once its opening call is done; null when it failed or never came. */
  private async party(simId: string): Promise<Party | null> {
    const ready = this.ready.get(simId);
    if (ready === undefined) return null;
    await ready;
    return this.parties.get(simId) ?? null;
  }

  /** Waits (bounded) for the customer's top-ups to be confirmed by the channel before money leaves. */
  private async settle(lane: Lane): Promise<void> {
    const tries = this.o.topupPollTriesMax ?? 100;
    for (const id of lane.pendingTopups) {
      for (let i = 0; ; i++) {
        const res = await this.call('GET', `/v1/topups/${id}`);
        if (res.status !== 200 || str(res.body, 'status') !== 'pending' || this.o.signal?.aborted) break;
        if (i + 1 >= tries) {
          this.tally.topupsUnsettled += 1;
          break;
        }
        await this.timer.sleep(this.o.topupPollMs ?? 100, this.o.signal);
      }
    }
    lane.pendingTopups = [];
  }

  private label(e: SimEvent, decisionId: string): void {
    const scenario = e.truth.scenario;
    this.o.onLabel?.({
      simId: e.simId,
      decisionId,
      label: e.truth.label,
      scenario,
      type: e.type === 'account' ? e.event : e.type,
      occurredAt: new Date(e.at).toISOString(),
    });
    if (this.o.postLabels === false) return;
    this.labelBuffer.push({ decisionId, label: e.truth.label, ...(scenario === null ? {} : { scenario }) });
    this.flushLabels(false);
  }

  private flushLabels(all: boolean): void {
    while (this.labelBuffer.length >= this.batchSize || (all && this.labelBuffer.length > 0)) {
      const batch = this.labelBuffer.splice(0, this.batchSize);
      this.labelChain = this.labelChain.then(() => this.postLabels(batch));
    }
  }

  /** Posts one batch; a decision the server does not know is dropped and the rest sent again. */
  private async postLabels(
    batch: Array<{ decisionId: string; label: TruthLabel; scenario?: string }>,
  ): Promise<void> {
    let labels = batch;
    for (let attempt = 0; attempt < LABEL_RETRIES_MAX && labels.length > 0; attempt++) {
      const ids = labels.map((l) => `${l.decisionId}:${l.label}:${l.scenario ?? ''}`).join(',');
      const key = `${this.keyPrefix}-labels-${hashString(ids).toString(16)}${hashString(`x${ids}`).toString(16)}-${labels.length}`;
      const res = await this.call('POST', '/v1/risk/labels', { labels }, key);
      if (ok(res)) {
        this.tally.labels.posted += labels.length;
        this.tally.labels.batches += 1;
        return;
      }
      const unknown = codeOf(res) === 'RISK_LABEL_UNKNOWN_DECISION' ? unknownDecision(res.body) : undefined;
      if (unknown === undefined || !labels.some((l) => l.decisionId === unknown)) break;
      this.tally.labels.rejected += 1;
      labels = labels.filter((l) => l.decisionId !== unknown);
    }
    if (labels.length > 0) this.tally.labels.failedBatches += 1;
  }

  private key(suffix: string): string {
    return `${this.keyPrefix}-${suffix}`;
  }

  /**
   * One request through the concurrency slots and the rate limiter, retried on 429, 503
   * and transport failures with backoff (Retry-After when the server gives one).
   */
  private async call(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    idempotencyKey?: string,
    extra: Record<string, string> = {},
  ): Promise<Reply> {
    const headers = {
      ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }),
      ...extra,
    };
    const retriesMax = this.o.retriesMax ?? 6;
    for (let attempt = 0; ; attempt++) {
      let res: Reply;
      await this.slots.acquire();
      try {
        await this.bucket.take(this.o.signal);
        this.requests += 1;
        res = await this.transport.request(method, path, body, headers);
      } catch {
        res = { status: 0, body: undefined, failure: 'TRANSPORT_ERROR' };
      } finally {
        this.slots.release();
      }
      const transient = res.status === 0 || res.status === 429 || res.status === 503;
      if (!transient) {
        this.bucket.accepted();
        return res;
      }
      if (res.status === 429) this.bucket.backOff();
      if (attempt >= retriesMax || this.o.signal?.aborted) return res;
      await this.timer.sleep(this.backoff(attempt, res), this.o.signal);
    }
  }

  private backoff(attempt: number, res: Reply): number {
    const maxMs = this.o.backoffMaxMs ?? 30_000;
    const retryAfterS = Number(res.headers?.['retry-after']);
    if (Number.isFinite(retryAfterS) && retryAfterS > 0) return Math.min(maxMs, retryAfterS * 1_000);
    return Math.min(maxMs, (this.o.backoffMs ?? 250) * 2 ** attempt);
  }
}

function money(e: MoneyEvent, walletId: string) {
  return { walletId, amountMinor: e.amountMinor.toString(), currency: e.currency };
}

function contextBody(c: SimContext) {
  return { deviceId: c.deviceId, ip: c.ip, geo: c.geo, channel: c.channel, occurredAt: c.occurredAt };
}

function ok(res: Reply): boolean {
  return res.status >= 200 && res.status < 300;
}

/** Whether the decision in this answer was stored: the movement went through, was refused by risk, or was challenged. */
function stored(res: Reply): boolean {
  const code = str(res.body, 'code');
  return ok(res) || code === 'RISK_BLOCKED' || code === 'AUTH_STEP_UP_REQUIRED';
}

/** The problem code of a failed reply, or the driver's name for what happened. */
function codeOf(res: Reply): string {
  if (res.failure) return res.failure;
  return str(res.body, 'code') ?? `HTTP_${res.status}`;
}

function decisionOf(body: unknown): { id: string; outcome: Outcome } | undefined {
  const d = field(body, 'decision');
  const id = str(d, 'id');
  const outcome = field(d, 'outcome');
  return id !== undefined && isOutcome(outcome) ? { id, outcome } : undefined;
}

/** The decision id a RISK_LABEL_UNKNOWN_DECISION problem names: a field, or the id in its detail. */
function unknownDecision(body: unknown): string | undefined {
  const direct = str(body, 'decisionId');
  if (direct !== undefined) return direct;
  return /dec_[0-9a-z]+/.exec(str(body, 'detail') ?? '')?.[0];
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? Reflect.get(value, key)
    : undefined;
}

function str(value: unknown, key: string): string | undefined {
  const v = field(value, key);
  return typeof v === 'string' ? v : undefined;
}
