import type { Kysely } from 'kysely';
import { runStatements } from './run-statements.ts';

/**
 * Notifications (`src/notify`): what the outbox's events became, per recipient and channel.
 *
 * - `notify_intake_cursor`: one row, the outbox id below which every published event of
 *   a notification topic is known to be taken in. Starts at the outbox's current end, so
 *   events older than the module are not notified. The catch-up scan starts here.
 * - `notify_events`: one row per outbox event taken in (or found invalid): the intake's
 *   own idempotency record, written in the same transaction as what the event produced.
 * - `notify_notifications`: in-app inbox items of customers, merchants and staff, both
 *   languages stored; unique per (event, recipient), so a redelivered event adds nothing.
 * - `notify_webhooks`: the operator's endpoints, their topic prefixes and sealed secret.
 * - `notify_deliveries`: one outgoing message per (event, channel, target) (a webhook
 *   endpoint or a customer's e-mail), with its state machine: pending → sending →
 *   delivered | failed; `claim_token` and `locked_until` are the lease of the process
 *   sending it, so a crashed sender's work is taken over once the lease runs out.
 * - `notify_delivery_attempts`: the delivery log, one row per attempt.
 * - `notify_emails`: the embedded mailbox (no SMTP configured): e-mails as they would
 *   have been sent, the address sealed; unique per delivery.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    create table notify_intake_cursor (
      id smallint primary key check (id = 1),
      last_event_id bigint not null check (last_event_id >= 0),
      updated_at timestamptz not null default now()
    );
    insert into notify_intake_cursor (id, last_event_id) select 1, coalesce(max(id), 0) from outbox;

    create table notify_events (
      event_id bigint primary key,
      topic text not null,
      outcome text not null check (outcome in ('notified','invalid')),
      notifications integer not null check (notifications >= 0),
      deliveries integer not null check (deliveries >= 0),
      processed_at timestamptz not null
    );

    create table notify_notifications (
      id text primary key,
      event_id bigint not null,
      topic text not null,
      recipient_type text not null check (recipient_type in ('customer','merchant','staff')),
      recipient_id text not null,
      title_en text not null,
      body_en text not null,
      title_zh text not null,
      body_zh text not null,
      data jsonb not null,
      created_at timestamptz not null,
      read_at timestamptz,
      unique (event_id, recipient_id)
    );
    create index notify_notifications_inbox on notify_notifications (recipient_id, id);
    create index notify_notifications_unread on notify_notifications (recipient_id, id) where read_at is null;

    create table notify_webhooks (
      id text primary key,
      url text not null check (length(url) between 8 and 2000),
      description text not null default '' check (length(description) <= 200),
      topics jsonb not null,
      secret_sealed text not null,
      enabled boolean not null,
      created_by text not null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      deleted_at timestamptz
    );

    create table notify_deliveries (
      id text primary key,
      event_id bigint not null,
      topic text not null,
      channel text not null check (channel in ('webhook','email')),
      target_id text not null,
      body text not null,
      status text not null check (status in ('pending','sending','delivered','failed')),
      attempts integer not null default 0 check (attempts >= 0),
      max_attempts integer not null check (max_attempts > 0),
      next_attempt_at timestamptz not null,
      claim_token text,
      locked_until timestamptz,
      last_error text,
      last_status_code integer,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      delivered_at timestamptz,
      unique (event_id, channel, target_id),
      check ((status = 'sending') = (claim_token is not null and locked_until is not null))
    );
    create index notify_deliveries_due on notify_deliveries (next_attempt_at) where status = 'pending';
    create index notify_deliveries_leased on notify_deliveries (locked_until) where status = 'sending';
    create index notify_deliveries_target on notify_deliveries (target_id, id);
    create index notify_deliveries_finished on notify_deliveries (updated_at) where status in ('delivered','failed');

    create table notify_delivery_attempts (
      delivery_id text not null references notify_deliveries(id) on delete cascade,
      attempt integer not null check (attempt > 0),
      started_at timestamptz not null,
      duration_ms integer not null check (duration_ms >= 0),
      status_code integer,
      outcome text not null check (outcome in ('delivered','retry','failed','interrupted')),
      error text,
      primary key (delivery_id, attempt)
    );

    create table notify_emails (
      id text primary key,
      delivery_id text not null unique references notify_deliveries(id) on delete cascade,
      recipient_id text not null,
      to_sealed text not null,
      to_masked text not null,
      subject text not null,
      body_text text not null,
      message_id text not null,
      created_at timestamptz not null
    );
    `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    drop table notify_emails;
    drop table notify_delivery_attempts;
    drop table notify_deliveries;
    drop table notify_webhooks;
    drop table notify_notifications;
    drop table notify_events;
    drop table notify_intake_cursor;
    `,
  );
}
