import type { Kysely } from 'kysely';
import { runStatements } from './run-statements.ts';

/**
 * Alerts and cases (`src/cases/`): where people take over from the engine.
 *
 * - `alerts`: one per signal (a decision held for review or frozen, an AML detection, a
 *   user's report, a dispute, overdue feedback), idempotent per (source, source_ref). Each
 *   belongs to a case from the moment it is raised: a second alert on the same subject
 *   joins its open risk case (deduplication).
 * - `cases`: the unit of work with its state machine (open → investigating →
 *   pending_info → decided → closed, reopen), assignee, disposition and loss. `version`
 *   is the optimistic lock: two analysts acting at once, one wins, the other is told.
 *   At most one open risk case per subject.
 * - `case_entities`: customers, accounts, devices, transactions, decisions, holds linked
 *   to a case; `case_events`: the timeline, append-only; `case_attachments`: files with
 *   their SHA-256; `case_compensations`: payouts from the risk reserve for a case.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    create table cases (
      id text primary key,
      kind text not null check (kind in ('risk','dispute','feedback')),
      status text not null check (status in ('open','investigating','pending_info','decided','closed')),
      subject_id text,
      title text not null,
      severity text not null check (severity in ('low','medium','high','critical')),
      priority int not null,
      assignee_id text references staff_users(id),
      disposition text check (disposition in ('confirmed_fraud','false_positive','inconclusive')),
      summary text,
      loss_minor bigint check (loss_minor >= 0),
      currency text references currencies(code),
      due_at timestamptz not null,
      version int not null default 1,
      reopened int not null default 0,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      decided_at timestamptz,
      closed_at timestamptz
    );
    create unique index cases_one_open_risk_case on cases (subject_id)
      where kind = 'risk' and status <> 'closed' and subject_id is not null;
    create index cases_queue on cases (status, priority desc, created_at) where status <> 'closed';
    create index cases_assignee on cases (assignee_id, status);

    create table alerts (
      id text primary key,
      source text not null check (source in ('decision','aml','monitoring','report','dispute','feedback')),
      source_ref text not null,
      type text not null,
      severity text not null check (severity in ('low','medium','high','critical')),
      priority int not null,
      status text not null check (status in ('open','closed')),
      case_id text not null references cases(id),
      subject_id text,
      amount_minor bigint,
      currency text,
      decision_id text references risk_decisions(id),
      hold_id text,
      withdrawal_id text,
      title text not null,
      entities jsonb not null,
      evidence jsonb not null,
      due_at timestamptz not null,
      created_at timestamptz not null,
      closed_at timestamptz,
      unique (source, source_ref)
    );
    create index alerts_open on alerts (priority desc, created_at) where status = 'open';
    create index alerts_case on alerts (case_id);
    create index alerts_subject on alerts (subject_id, created_at);
    create index alerts_decision on alerts (decision_id) where decision_id is not null;

    create table case_entities (
      case_id text not null references cases(id),
      kind text not null,
      ref text not null,
      added_at timestamptz not null,
      primary key (case_id, kind, ref)
    );
    create index case_entities_ref on case_entities (kind, ref);

    create table case_events (
      id bigserial primary key,
      case_id text not null references cases(id),
      at timestamptz not null,
      actor_type text not null,
      actor_id text not null,
      type text not null,
      detail jsonb not null
    );
    create index case_events_case on case_events (case_id, id);

    create table case_attachments (
      id text primary key,
      case_id text not null references cases(id),
      filename text not null,
      content_type text not null,
      size_bytes int not null check (size_bytes > 0),
      sha256 text not null,
      content bytea not null,
      created_by text not null,
      created_at timestamptz not null,
      unique (case_id, sha256)
    );

    create table case_compensations (
      id text primary key,
      case_id text not null references cases(id),
      customer_id text not null references customers(id),
      wallet_id text not null references ledger_accounts(id),
      currency text not null references currencies(code),
      amount_minor bigint not null check (amount_minor > 0),
      reason text not null,
      status text not null check (status in ('pending_approval','paid','rejected')),
      approval_id text,
      entry_id text,
      created_by text not null,
      created_at timestamptz not null,
      paid_at timestamptz
    );
    create index case_compensations_case on case_compensations (case_id);

    -- The reserve's sweep and report read only its own entries, not the whole journal.
    create index ledger_entries_reserve on ledger_entries (currency, occurred_at)
      where kind in ('reserve_funding','compensation','provisional_credit');

    -- Alert intake reads held and frozen decisions in order of time.
    create index risk_decisions_alertable on risk_decisions (created_at)
      where outcome in ('REVIEW','BLOCK_AND_FREEZE');
    `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    drop index risk_decisions_alertable;
    drop index ledger_entries_reserve;
    drop table case_compensations;
    drop table case_attachments;
    drop table case_events;
    drop table case_entities;
    drop table alerts;
    drop table cases;
    `,
  );
}
