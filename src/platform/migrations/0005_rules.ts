import type { Kysely } from 'kysely';
import { runStatements } from './run-statements.ts';

/**
 * Risk rules in CEL (`src/risk/rules/`): each rule, its immutable versions with their
 * lifecycle state, and the rule-set revision every state change advances, so every
 * process knows when to recompile the live set.
 *
 * A version's content never changes once written (a trigger refuses it, and refuses
 * deleting versions): what a decision says it evaluated stays what it evaluated. Only
 * its state moves, draft → shadow → active → retired, and a retired version stays retired.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    create table risk_rules (
      id text primary key check (id ~ '^[a-z][a-z0-9_]{2,63}$'),
      name text not null,
      description text not null,
      -- The current draft: the latest version written, which the editor starts from.
      draft_version int not null check (draft_version >= 1),
      expression text not null,
      action text not null,
      score int not null,
      reason_code text not null,
      message_key text not null,
      warning_key text,
      created_by text not null,
      created_at timestamptz not null,
      updated_by text not null,
      updated_at timestamptz not null
    );

    create table risk_rule_versions (
      rule_id text not null references risk_rules(id),
      version int not null check (version >= 1),
      expression text not null check (length(expression) <= 4096),
      action text not null check (action in ('ALLOW','CHALLENGE','REVIEW','BLOCK','BLOCK_AND_FREEZE')),
      score int not null check (score between -1000 and 1000),
      reason_code text not null,
      message_key text not null,
      warning_key text,
      state text not null check (state in ('draft','shadow','active','retired')),
      created_by text not null,
      created_at timestamptz not null,
      state_changed_by text not null,
      state_changed_at timestamptz not null,
      published_by text,
      published_at timestamptz,
      approval_id text,
      primary key (rule_id, version),
      check ((state = 'active') <= (published_at is not null))
    );
    -- At most one acting and one shadow version per rule.
    create unique index risk_rule_versions_one_active on risk_rule_versions (rule_id) where state = 'active';
    create unique index risk_rule_versions_one_shadow on risk_rule_versions (rule_id) where state = 'shadow';
    -- The live set the engine loads.
    create index risk_rule_versions_live on risk_rule_versions (state) where state in ('active','shadow');

    create table risk_rule_set_head (
      id int primary key check (id = 1),
      revision bigint not null,
      updated_at timestamptz not null
    );
    insert into risk_rule_set_head (id, revision, updated_at) values (1, 0, now());

    create function risk_rule_version_guard() returns trigger language plpgsql as $$
    begin
      if tg_op = 'DELETE' then
        raise exception 'risk rule versions are kept: delete refused' using errcode = 'P0001';
      end if;
      if new.rule_id <> old.rule_id or new.version <> old.version or new.expression <> old.expression
        or new.action <> old.action or new.score <> old.score or new.reason_code <> old.reason_code
        or new.message_key <> old.message_key or new.warning_key is distinct from old.warning_key
        or new.created_by <> old.created_by or new.created_at <> old.created_at then
        raise exception 'a risk rule version is immutable: only its state changes' using errcode = 'P0001';
      end if;
      if old.state = 'retired' and new.state <> 'retired' then
        raise exception 'a retired risk rule version stays retired' using errcode = 'P0001';
      end if;
      return new;
    end $$;
    create trigger risk_rule_versions_immutable before update or delete on risk_rule_versions
      for each row execute function risk_rule_version_guard();
  `,
  );
}
