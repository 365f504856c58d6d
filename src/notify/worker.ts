import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/db.ts';
import { sealContext } from '../security/sealed-fields.ts';
import type { Vault } from '../security/vault.ts';
import { type NotifySettings, retryDelayMs } from './config.ts';
import { type Mailer, messageIdOf, redactAddresses } from './mailer.ts';
import { notifyDeliveries, notifyDeliveryDuration } from './metrics.ts';
import { ATTEMPT_HEADER, DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signWebhook } from './signature.ts';
import type { AttemptOutcome, DeliveryChannel, DeliveryStatus } from './tables.ts';

export interface WorkerDeps {
  db: Db;
  vault: Vault;
  mailer: Mailer;
  /** The customer's current address when the e-mail goes out (none is stored with the delivery). */
  emailOf(customerId: string): Promise<string | null>;
  clock: Clock;
  log: Logger;
  settings: NotifySettings;
  /** Unix milliseconds for signature timestamps: real time even when the business clock is simulated. */
  wallNowMs?: () => number;
  fetch?: typeof fetch;
}

/** A delivery this process has claimed: its lease is `token` until `locked_until`. */
interface Claimed {
  id: string;
  topic: string;
  channel: DeliveryChannel;
  target_id: string;
  body: string;
  attempts: number;
  max_attempts: number;
  token: string;
}

type SendResult =
  | { kind: 'delivered'; statusCode: number | null }
  | { kind: 'retry' | 'failed'; statusCode: number | null; error: string }
  | { kind: 'interrupted'; error: string };

/** Deliveries claimed per query. */
const CLAIM_BATCH = 32;
/** Claim rounds per call of `deliverDue`: a bound on one call's work. */
const ROUNDS_MAX = 50;
const USER_AGENT = 'Bulwark-Webhooks/1';

/**
 * Sends deliveries: pending → sending → delivered | failed. A claim sets the status to
 * `sending`, counts the attempt and takes a lease (a token and a time) in one statement,
 * with `skip locked` so processes share the work. The outcome is written only while the
 * lease is still ours: a process that was presumed dead and comes back late changes
 * nothing. A delivery left `sending` by a process that died is claimed again once its
 * lease has run out; it may then go out a second time (the crash window), with the same
 * delivery id in `Bulwark-Delivery` and the Message-ID, for the receiver to drop. What
 * was marked delivered is never sent again, except by an explicit redelivery.
 */
export class DeliveryWorker {
  private readonly stopping = new AbortController();
  private running: Promise<number> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly wallNowMs: () => number;
  private readonly fetch: typeof fetch;

  constructor(private readonly deps: WorkerDeps) {
    this.wallNowMs = deps.wallNowMs ?? Date.now;
    this.fetch = deps.fetch ?? globalThis.fetch;
  }

  /** Polls for due deliveries (retries come due without any event) until `close`. */
  start(pollMs = 1000): void {
    if (this.timer || this.stopping.signal.aborted) return;
    this.timer = setInterval(() => this.kick(), pollMs);
    this.timer.unref();
    this.kick();
  }

  get started(): boolean {
    return this.timer !== undefined;
  }

  /** Asks for a delivery round soon, in the background; cheap to call often. */
  kick(): void {
    if (this.stopping.signal.aborted) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      let total = 0;
      try {
        do {
          this.again = false;
          total += await this.deliverDue();
        } while (this.again && !this.stopping.signal.aborted);
      } catch (err) {
        this.deps.log.error({ err }, 'notification delivery round failed; will retry');
      } finally {
        this.running = undefined;
      }
      return total;
    })();
  }

  /** Stops claiming, interrupts webhook calls in flight (their deliveries go back to pending) and waits. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.stopping.abort();
    while (this.running) await this.running;
  }

  /**
   * Sends everything due at `now` (default: the clock), claim batch by claim batch, with
   * `settings.concurrency` sends at a time; returns how many deliveries were attempted.
   */
  async deliverDue(now?: Date): Promise<number> {
    let total = 0;
    for (let round = 0; round < ROUNDS_MAX && !this.stopping.signal.aborted; round++) {
      const claimed = await this.claim(now ?? this.deps.clock.now(), CLAIM_BATCH);
      if (claimed.length === 0) break;
      let next = 0;
      const lane = async () => {
        while (next < claimed.length) {
          const d = claimed[next++];
          if (!d) continue;
          // Stopping: what was claimed but not started goes back untouched, for the next process.
          if (this.stopping.signal.aborted) await this.release(d);
          else await this.deliverOne(d);
        }
      };
      await Promise.all(
        Array.from({ length: Math.min(this.deps.settings.concurrency, claimed.length) }, lane),
      );
      total += claimed.length;
      if (claimed.length < CLAIM_BATCH) break;
    }
    return total;
  }

  private async claim(now: Date, limit: number): Promise<Claimed[]> {
    const token = randomUUID();
    const until = new Date(now.getTime() + this.deps.settings.leaseMs);
    const rows = await sql<Omit<Claimed, 'token'>>`
      update notify_deliveries set status = 'sending', attempts = attempts + 1, claim_token = ${token},
        locked_until = ${until}, updated_at = ${now}
      where id in (
        select id from notify_deliveries
        where (status = 'pending' and next_attempt_at <= ${now}) or (status = 'sending' and locked_until <= ${now})
        order by next_attempt_at, id
        limit ${limit}
        for update skip locked)
      returning id, topic, channel, target_id, body, attempts, max_attempts`.execute(this.deps.db);
    return rows.rows.map((r) => ({ ...r, token }));
  }

  /** Gives back a claimed delivery that was never attempted: pending again, its attempt not counted. */
  private async release(d: Claimed): Promise<void> {
    try {
      await this.deps.db
        .updateTable('notify_deliveries')
        .set((eb) => ({
          status: 'pending',
          attempts: eb('attempts', '-', 1),
          claim_token: null,
          locked_until: null,
        }))
        .where('id', '=', d.id)
        .where('status', '=', 'sending')
        .where('claim_token', '=', d.token)
        .execute();
    } catch (err) {
      this.deps.log.error(
        { err, deliveryId: d.id },
        'could not give back a notification delivery; its lease will run out',
      );
    }
  }

  private async deliverOne(d: Claimed): Promise<void> {
    const startedAt = this.deps.clock.now();
    const t0 = performance.now();
    let result: SendResult;
    try {
      result = d.channel === 'webhook' ? await this.sendWebhook(d) : await this.sendEmail(d);
    } catch (err) {
      // A bug or a database error on the way; the message is ours, never an address.
      this.deps.log.error({ err, deliveryId: d.id }, 'notification delivery failed unexpectedly');
      result = { kind: 'retry', statusCode: null, error: 'internal error while sending' };
    }
    const durationMs = Math.max(0, Math.round(performance.now() - t0));
    notifyDeliveryDuration.observe({ channel: d.channel }, durationMs / 1000);
    try {
      const outcome = await this.finish(d, result, startedAt, durationMs);
      notifyDeliveries.inc({ channel: d.channel, result: outcome });
    } catch (err) {
      // The lease runs out and the delivery is sent again: the receiver deduplicates.
      this.deps.log.error({ err, deliveryId: d.id }, 'could not record a notification delivery');
    }
  }

  /** Writes the attempt to the log and moves the delivery on, if the lease is still ours. */
  private async finish(
    d: Claimed,
    r: SendResult,
    startedAt: Date,
    durationMs: number,
  ): Promise<AttemptOutcome> {
    const now = this.deps.clock.now();
    const outcome: AttemptOutcome = r.kind === 'retry' && d.attempts >= d.max_attempts ? 'failed' : r.kind;
    const status: DeliveryStatus =
      outcome === 'delivered' ? 'delivered' : outcome === 'failed' ? 'failed' : 'pending';
    const next =
      outcome === 'retry' ? new Date(now.getTime() + retryDelayMs(d.attempts, this.deps.settings)) : now;
    const statusCode = r.kind === 'interrupted' ? null : r.statusCode;
    const error = r.kind === 'delivered' ? null : r.error;
    const updated = await this.deps.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('notify_delivery_attempts')
        .values({
          delivery_id: d.id,
          attempt: d.attempts,
          started_at: startedAt,
          duration_ms: durationMs,
          status_code: statusCode,
          outcome,
          error,
        })
        .onConflict((oc) => oc.columns(['delivery_id', 'attempt']).doNothing())
        .execute();
      return tx
        .updateTable('notify_deliveries')
        .set({
          status,
          next_attempt_at: next,
          claim_token: null,
          locked_until: null,
          last_error: error,
          last_status_code: statusCode,
          updated_at: now,
          ...(status === 'delivered' ? { delivered_at: now } : {}),
        })
        .where('id', '=', d.id)
        .where('status', '=', 'sending')
        .where('claim_token', '=', d.token)
        .executeTakeFirst();
    });
    if (updated.numUpdatedRows === 0n) {
      this.deps.log.warn({ deliveryId: d.id }, 'a delivery outlived its lease; another process took it over');
    }
    return outcome;
  }

  private async sendWebhook(d: Claimed): Promise<SendResult> {
    const hook = await this.deps.db
      .selectFrom('notify_webhooks')
      .select(['id', 'url', 'secret_sealed', 'enabled', 'deleted_at'])
      .where('id', '=', d.target_id)
      .executeTakeFirst();
    if (!hook || hook.deleted_at !== null)
      return { kind: 'failed', statusCode: null, error: 'endpoint deleted' };
    if (!hook.enabled) return { kind: 'failed', statusCode: null, error: 'endpoint disabled' };
    const secret = this.deps.vault.open(
      hook.secret_sealed,
      sealContext('notify_webhooks', 'secret_sealed', hook.id),
    );
    const timeoutMs = this.deps.settings.webhookTimeoutMs;
    const signature = signWebhook(secret, d.body, Math.floor(this.wallNowMs() / 1000));
    try {
      const res = await this.fetch(hook.url, {
        method: 'POST',
        body: d.body,
        redirect: 'manual',
        headers: {
          'content-type': 'application/json',
          'user-agent': USER_AGENT,
          [SIGNATURE_HEADER]: signature,
          [DELIVERY_HEADER]: d.id,
          [EVENT_HEADER]: d.topic,
          [ATTEMPT_HEADER]: String(d.attempts),
        },
        signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), this.stopping.signal]),
      });
      // The answer's body is not read: only the status counts. Cancelling frees the socket.
      await res.body?.cancel().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) return { kind: 'delivered', statusCode: res.status };
      return { kind: 'retry', statusCode: res.status, error: `HTTP ${res.status}` };
    } catch (err) {
      if (this.stopping.signal.aborted) return { kind: 'interrupted', error: 'interrupted by shutdown' };
      if (err instanceof Error && err.name === 'TimeoutError') {
        return { kind: 'retry', statusCode: null, error: `no answer within ${timeoutMs} ms` };
      }
      return { kind: 'retry', statusCode: null, error: fetchError(err) };
    }
  }

  private async sendEmail(d: Claimed): Promise<SendResult> {
    const to = await this.deps.emailOf(d.target_id);
    if (to === null) return { kind: 'failed', statusCode: null, error: 'no e-mail address on file' };
    const content = parseEmail(d.body);
    if (!content) return { kind: 'failed', statusCode: null, error: 'stored e-mail is malformed' };
    try {
      await this.deps.mailer.send({
        deliveryId: d.id,
        recipientId: d.target_id,
        to,
        subject: content.subject,
        text: content.text,
        messageId: messageIdOf(d.id, this.deps.settings.mailFrom),
      });
      return { kind: 'delivered', statusCode: null };
    } catch (err) {
      const e = err as { responseCode?: unknown; code?: unknown; message?: unknown };
      const parts = [
        typeof e.responseCode === 'number' ? `SMTP ${e.responseCode}` : null,
        typeof e.code === 'string' ? e.code : null,
        typeof e.message === 'string' ? e.message : null,
      ].filter((p) => p !== null);
      return {
        kind: 'retry',
        statusCode: typeof e.responseCode === 'number' ? e.responseCode : null,
        error: redactAddresses(parts.join(': ') || 'e-mail not accepted'),
      };
    }
  }
}

function parseEmail(body: string): { subject: string; text: string } | null {
  try {
    const v: unknown = JSON.parse(body);
    if (typeof v !== 'object' || v === null) return null;
    const { subject, text } = v as Record<string, unknown>;
    return typeof subject === 'string' && typeof text === 'string' ? { subject, text } : null;
  } catch {
    return null;
  }
}

/** A network failure in a few words: the system's code (ECONNREFUSED…) when there is one. */
function fetchError(err: unknown): string {
  const cause =
    err instanceof Error ? (err.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message.slice(0, 300);
  return err instanceof Error ? err.message.slice(0, 300) : 'request failed';
}
