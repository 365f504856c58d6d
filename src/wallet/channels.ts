import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { Currency } from '../platform/money.ts';

/** What a channel reports back through its signed callback. */
export interface ChannelCallback {
  eventId: string;
  type: 'topup.succeeded' | 'topup.failed' | 'payout.succeeded' | 'payout.failed';
  /** The top-up or withdrawal id Bulwark gave the channel. */
  reference: string;
  amountMinor: string;
  currency: Currency;
  failureCode?: string;
}

export interface TopupRequest {
  topupId: string;
  amountMinor: bigint;
  currency: Currency;
}

export interface PayoutRequest {
  withdrawalId: string;
  amountMinor: bigint;
  currency: Currency;
  /** Handed to the channel in memory only; never stored or logged in clear. */
  accountNumber: string;
  holderName: string;
}

/** A bank or payment-service provider. It answers asynchronously through a signed callback. */
export interface ChannelAdapter {
  readonly name: string;
  readonly secret: string;
  initiateTopup(req: TopupRequest): Promise<void>;
  initiatePayout(req: PayoutRequest): Promise<void>;
  close(): Promise<void>;
}

export const SIGNATURE_HEADER = 'bulwark-signature';
/** Callbacks older or newer than this are refused, which bounds replays of captured ones. */
export const SIGNATURE_TOLERANCE_S = 300;

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>` */
export function signCallback(secret: string, rawBody: string, nowS: number): string {
  const mac = createHmac('sha256', secret).update(`${nowS}.${rawBody}`).digest('hex');
  return `t=${nowS},v1=${mac}`;
}

export function verifyCallbackSignature(
  secret: string,
  header: string | undefined,
  rawBody: string,
  nowS: number,
): boolean {
  if (!header) return false;
  const parts = new Map(
    header.split(',').map((kv) => {
      const i = kv.indexOf('=');
      return [kv.slice(0, i).trim(), kv.slice(i + 1).trim()] as const;
    }),
  );
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || Math.abs(nowS - t) > SIGNATURE_TOLERANCE_S || !/^[0-9a-f]{64}$/.test(v1))
    return false;
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
  return timingSafeEqual(expected, Buffer.from(v1, 'hex'));
}

export type CallbackDelivery = (rawBody: string, signature: string) => Promise<number>;

/**
 * The built-in simulated bank. Outcomes are deterministic so tests and demos can
 * steer them by amount: minor units ending in 13 are declined, ending in 14 never
 * answer (the withdrawal times out); everything else succeeds after `delayMs`.
 * Deliveries are retried with backoff until the callback is accepted (2xx or 409).
 */
export class SimulatedChannel implements ChannelAdapter {
  readonly name = 'simbank';
  private readonly timers = new Set<NodeJS.Timeout>();
  private seq = 0;
  private deliver: CallbackDelivery | undefined;
  /** When false, callbacks wait in `queued` until flush() (the seeder answers in its own time). */
  autoAnswer = true;
  private readonly queued: ChannelCallback[] = [];

  constructor(
    readonly secret: string,
    private readonly delayMs: number,
    private readonly log: Logger,
  ) {}

  /** The HTTP path through which callbacks reach Bulwark; set once the app is built. */
  connect(deliver: CallbackDelivery): void {
    this.deliver = deliver;
  }

  async initiateTopup(req: TopupRequest): Promise<void> {
    const declined = req.amountMinor % 100n === 13n;
    this.schedule({
      eventId: this.nextEventId(),
      type: declined ? 'topup.failed' : 'topup.succeeded',
      reference: req.topupId,
      amountMinor: req.amountMinor.toString(),
      currency: req.currency,
      ...(declined ? { failureCode: 'CHANNEL_DECLINED' } : {}),
    });
  }

  async initiatePayout(req: PayoutRequest): Promise<void> {
    if (req.amountMinor % 100n === 14n) return;
    const declined = req.amountMinor % 100n === 13n;
    this.schedule({
      eventId: this.nextEventId(),
      type: declined ? 'payout.failed' : 'payout.succeeded',
      reference: req.withdrawalId,
      amountMinor: req.amountMinor.toString(),
      currency: req.currency,
      ...(declined ? { failureCode: 'CHANNEL_DECLINED' } : {}),
    });
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private nextEventId(): string {
    this.seq += 1;
    return `sim_${Date.now().toString(36)}_${this.seq}`;
  }

  /** Delivers every queued callback now, in order; returns how many were accepted. */
  async flush(): Promise<number> {
    let accepted = 0;
    while (this.queued.length > 0) {
      const batch = this.queued.splice(0, this.queued.length);
      const statuses = await Promise.all(batch.map((cb) => this.deliverNow(cb)));
      accepted += statuses.filter((s) => s >= 200 && s < 300).length;
    }
    return accepted;
  }

  private async deliverNow(callback: ChannelCallback): Promise<number> {
    if (!this.deliver) return 0;
    const raw = JSON.stringify(callback);
    return this.deliver(raw, signCallback(this.secret, raw, Math.floor(Date.now() / 1000)));
  }

  private schedule(callback: ChannelCallback, attempt = 1): void {
    if (!this.autoAnswer) {
      this.queued.push(callback);
      return;
    }
    const delay = attempt === 1 ? this.delayMs : Math.min(60_000, 500 * 2 ** attempt);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.send(callback, attempt);
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }

  private async send(callback: ChannelCallback, attempt: number): Promise<void> {
    if (!this.deliver) return;
    const raw = JSON.stringify(callback);
    try {
      const status = await this.deliver(raw, signCallback(this.secret, raw, Math.floor(Date.now() / 1000)));
      if ((status >= 200 && status < 300) || status === 409) return;
      this.log.warn({ status, reference: callback.reference, attempt }, 'channel callback not accepted');
    } catch (err) {
      this.log.warn({ err, reference: callback.reference, attempt }, 'channel callback delivery failed');
    }
    if (attempt < 8) this.schedule(callback, attempt + 1);
  }
}
