import type { Kysely } from 'kysely';
import { runStatements } from './run-statements.ts';

/**
 * The risk engine (`src/risk/engine.ts`): what every decision explains, the labels that
 * later say whether it was right, and back-test runs.
 *
 * - `risk_decisions` gains the event time (when the end user acted; decisions, velocity
 *   windows and back-tests use it), the score, whether a source was degraded, and the
 *   detail: features used, rules evaluated and hit with their versions, model output,
 *   limit checks and the analyst-facing explanation.
 * - `risk_labels`: ground truth that arrives later (a fraud report, a chargeback, the
 *   simulator's labels), one current label per decision and source.
 * - `risk_backtests`: a run of a candidate rule set over a past period, its progress and
 *   its result; a running back-test can be cancelled.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    alter table risk_decisions add column event_at timestamptz;
    alter table risk_decisions add column score double precision not null default 0;
    alter table risk_decisions add column degraded boolean not null default false;
    alter table risk_decisions add column detail jsonb;
    create index risk_decisions_event_at on risk_decisions (coalesce(event_at, created_at), id);

    create table risk_labels (
      decision_id text not null references risk_decisions(id),
      source text not null check (length(source) between 1 and 80),
      label text not null check (label in ('fraud','legit','laundering')),
      scenario text check (scenario ~ '^[a-z0-9_]{1,64}$'),
      reported_at timestamptz not null,
      created_at timestamptz not null,
      primary key (decision_id, source)
    );
    create index risk_labels_reported on risk_labels (reported_at);

    create table risk_backtests (
      id text primary key,
      status text not null check (status in ('queued','running','done','failed','cancelled')),
      params jsonb not null,
      total bigint not null default 0,
      processed bigint not null default 0,
      result jsonb,
      error text,
      created_by text not null,
      created_at timestamptz not null,
      started_at timestamptz,
      finished_at timestamptz,
      cancel_requested boolean not null default false
    );
    create index risk_backtests_created on risk_backtests (created_at desc, id desc);
    `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    drop table risk_backtests;
    drop table risk_labels;
    drop index risk_decisions_event_at;
    alter table risk_decisions drop column detail;
    alter table risk_decisions drop column degraded;
    alter table risk_decisions drop column score;
    alter table risk_decisions drop column event_at;
    `,
  );
}
