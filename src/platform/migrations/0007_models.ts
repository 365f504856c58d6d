import type { Kysely } from 'kysely';
import { runStatements } from './run-statements.ts';

/**
 * The model registry (`src/risk/model/registry.ts`): every model version the engine may
 * serve, with what it was trained on and how it did, and its place in the lifecycle.
 *
 * - `risk_models`: one row per registered version. `status` is `candidate` (registered,
 *   not scored), `challenger` (scored in shadow on live traffic, never acting),
 *   `champion` (its score reaches the rules) or `retired`. At most one champion per
 *   event scope, enforced by a partial unique index; a promotion retires the previous
 *   champion in the same transaction, and a rollback promotes a retired version again.
 * - `risk_model_events`: the history of each version's status changes (who, when, why,
 *   which approval), append-only.
 * - `risk_model_drift`: weekly population stability of each feature and of the score.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    create table risk_models (
      id text primary key,
      name text not null check (length(name) between 1 and 100),
      version integer not null check (version > 0),
      scope text not null check (scope ~ '^[a-z_]{1,40}$'),
      status text not null check (status in ('candidate','challenger','champion','retired')),
      body jsonb not null,
      features jsonb not null,
      metrics jsonb,
      trained_from timestamptz,
      trained_to timestamptz,
      created_by text not null,
      created_at timestamptz not null,
      status_changed_at timestamptz not null,
      unique (name, version)
    );
    create unique index risk_models_one_champion on risk_models (scope) where status = 'champion';
    create index risk_models_status on risk_models (status, scope);

    create table risk_model_events (
      id text primary key,
      model_id text not null references risk_models(id),
      from_status text,
      to_status text not null,
      actor text not null,
      approval_id text,
      reason text not null default '',
      created_at timestamptz not null
    );
    create index risk_model_events_model on risk_model_events (model_id, created_at);

    create table risk_model_drift (
      id text primary key,
      model_id text not null references risk_models(id),
      week_start timestamptz not null,
      rows bigint not null,
      score_psi double precision,
      feature_psi jsonb not null,
      alert boolean not null,
      created_at timestamptz not null,
      unique (model_id, week_start)
    );
    `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    drop table risk_model_drift;
    drop table risk_model_events;
    drop table risk_models;
    `,
  );
}
