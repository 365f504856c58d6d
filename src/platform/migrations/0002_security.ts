import type { Kysely } from 'kysely';
import { runStatements } from './run-statements.ts';

/**
 * Security: wrapped data keys for field encryption and blind indexes, and the
 * hash-chained, append-only audit log.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    create table security_keys (
      id text primary key,
      purpose text not null check (purpose in ('field','blind')),
      version int not null,
      kek_id text not null,
      wrapped text not null,
      created_at timestamptz not null default now(),
      unique (purpose, version)
    );

    create table audit_chain_head (
      id int primary key check (id = 1),
      seq bigint not null,
      hash text not null
    );
    insert into audit_chain_head (id, seq, hash)
      values (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

    create table audit_log (
      seq bigint primary key,
      id text not null unique,
      at timestamptz not null,
      actor_type text not null check (actor_type in ('staff','customer','system','api_client')),
      actor_id text not null,
      actor_role text,
      action text not null,
      target_type text,
      target_id text,
      before jsonb,
      after jsonb,
      reason text,
      request_id text,
      ip text,
      prev_hash text not null,
      hash text not null
    );
    create index audit_log_target on audit_log (target_type, target_id, seq);
    create index audit_log_actor on audit_log (actor_id, seq);

    -- A withdrawal held for review keeps the payee's bank details sealed (AES-256-GCM under
    -- a wrapped data key) so a reviewer's approval can send the payout without asking again.
    alter table wallet_withdrawals add column bank_account_sealed text;

    create trigger audit_log_append_only before update or delete on audit_log
      for each row execute function ledger_forbid_change();
    create trigger audit_log_no_truncate before truncate on audit_log
      for each statement execute function ledger_forbid_change();
  `,
  );
}
