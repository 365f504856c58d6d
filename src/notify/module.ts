import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/db.ts';
import type { EventBus } from '../platform/outbox.ts';
import type { Vault } from '../security/vault.ts';
import type { NotifySettings } from './config.ts';
import { DeliveryLog } from './deliveries.ts';
import { Inbox } from './inbox.ts';
import { NotifyIntake } from './intake.ts';
import { LocalMailbox, type Mailer, SmtpMailer } from './mailer.ts';
import { WebhookEndpoints } from './webhooks.ts';
import { DeliveryWorker } from './worker.ts';

export interface NotifyDeps {
  db: Db;
  bus: EventBus;
  vault: Vault;
  clock: Clock;
  log: Logger;
  settings: NotifySettings;
  /** A customer's e-mail address (identity's `CustomerAccounts.contacts`), or null. */
  emailOf(customerId: string): Promise<string | null>;
  /** Replaces the mailer chosen from the settings (tests). */
  mailer?: Mailer;
  fetch?: typeof fetch;
}

/** The catch-up scan runs at most this often (and in the first maintenance round). */
const CATCH_UP_EVERY_MS = 60_000;
/** Old finished deliveries are removed at most this often, in bounded chunks. */
const CLEANUP_EVERY_MS = 3_600_000;
const CLEANUP_CHUNK = 5_000;

/**
 * The notify module: the relay's events become inbox items, e-mails and webhook calls.
 * `maintenance` is called by the process's maintenance round: it runs the catch-up scan
 * and the clean-up, and (from the first round on) keeps the delivery worker polling.
 * Processes that run no background jobs (tests, the CLI) take events in but send nothing
 * until asked (`deliverDue`).
 */
export class NotifyModule {
  readonly inbox: Inbox;
  readonly webhooks: WebhookEndpoints;
  readonly deliveries: DeliveryLog;
  readonly intake: NotifyIntake;
  readonly worker: DeliveryWorker;
  readonly mailer: Mailer;
  private lastCatchUpMs = Number.NEGATIVE_INFINITY;
  private lastCleanupMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly deps: NotifyDeps) {
    const { db, vault, clock, log, settings } = deps;
    this.mailer =
      deps.mailer ??
      (settings.smtpUrl
        ? new SmtpMailer({
            url: settings.smtpUrl,
            from: settings.mailFrom,
            timeoutMs: settings.webhookTimeoutMs,
          })
        : new LocalMailbox(db, vault, clock));
    this.inbox = new Inbox(db, clock);
    this.webhooks = new WebhookEndpoints(db, vault, clock);
    this.deliveries = new DeliveryLog(db, clock);
    this.worker = new DeliveryWorker({
      db,
      vault,
      mailer: this.mailer,
      emailOf: deps.emailOf,
      clock,
      log,
      settings,
      ...(deps.fetch ? { fetch: deps.fetch } : {}),
    });
    this.intake = new NotifyIntake({
      db,
      clock,
      log,
      settings,
      emailOf: deps.emailOf,
      onDeliveries: () => {
        if (this.worker.started) this.worker.kick();
      },
    });
    deps.bus.subscribe('', (event) => this.intake.accept(event));
  }

  /**
   * One maintenance round: catch-up scan and clean-up when due; starts the worker's
   * polling. A failure is logged and retried next round: it never stops the other jobs.
   */
  async maintenance(): Promise<void> {
    const nowMs = Date.now();
    try {
      if (nowMs - this.lastCatchUpMs >= CATCH_UP_EVERY_MS) {
        await this.intake.catchUp();
        this.lastCatchUpMs = nowMs;
      }
      if (nowMs - this.lastCleanupMs >= CLEANUP_EVERY_MS) {
        await this.cleanup();
        this.lastCleanupMs = nowMs;
      }
    } catch (err) {
      this.deps.log.error({ err }, 'notification maintenance failed; will retry');
    }
    this.worker.start();
  }

  /** Takes in queued events, then sends what is due: for tests and the CLI. */
  async deliverDue(now?: Date): Promise<number> {
    await this.intake.flush();
    return this.worker.deliverDue(now);
  }

  /**
   * Removes finished deliveries (with their log and stored e-mails) and intake records
   * older than the retention; the inbox itself is kept.
   */
  async cleanup(): Promise<{ deliveries: number; events: number }> {
    const cutoff = new Date(this.deps.clock.now().getTime() - this.deps.settings.retentionDays * 86_400_000);
    const deliveries = await sql`delete from notify_deliveries where id in (
        select id from notify_deliveries where status in ('delivered','failed') and updated_at < ${cutoff}
        order by updated_at limit ${CLEANUP_CHUNK})`.execute(this.deps.db);
    // The outbox keeps events a day: a record older than the retention can never be needed again.
    // Only the oldest records are looked at, so the delete costs the same however large the table is.
    const events = await sql`delete from notify_events where event_id in (
        select event_id from notify_events order by event_id limit ${CLEANUP_CHUNK}) and processed_at < ${cutoff}`.execute(
      this.deps.db,
    );
    return {
      deliveries: Number(deliveries.numAffectedRows ?? 0n),
      events: Number(events.numAffectedRows ?? 0n),
    };
  }

  /** Stops sending (calls in flight are interrupted and go back to pending), takes in what is queued. */
  async close(): Promise<void> {
    await this.worker.close();
    await this.intake.close();
    await this.mailer.close();
  }
}
