import type { Kysely } from 'kysely';
import { runStatements } from './run-statements.ts';

/**
 * Foundation schema: platform tables (idempotency, outbox, settings), the ledger,
 * the placeholder risk decisions and the wallet's customers, merchants, top-ups
 * and withdrawals. Money is int8 minor units everywhere.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    create table platform_settings (
      key text primary key,
      value text not null,
      updated_at timestamptz not null default now()
    );

    create table idempotency_keys (
      scope text not null,
      key text not null,
      request_hash text not null,
      status_code int,
      response jsonb,
      created_at timestamptz not null default now(),
      primary key (scope, key)
    );

    create table outbox (
      id bigserial primary key,
      topic text not null,
      aggregate_id text not null,
      payload jsonb not null,
      created_at timestamptz not null default now(),
      published_at timestamptz
    );
    create index outbox_unpublished on outbox (id) where published_at is null;

    create table currencies (
      code text primary key check (code ~ '^[A-Z]{3}$'),
      exponent int not null check (exponent between 0 and 4),
      name text not null
    );
    insert into currencies (code, exponent, name) values
      ('CNY', 2, 'Chinese yuan'), ('USD', 2, 'US dollar'), ('EUR', 2, 'Euro'),
      ('HKD', 2, 'Hong Kong dollar'), ('JPY', 0, 'Japanese yen'), ('GBP', 2, 'Pound sterling'),
      ('SGD', 2, 'Singapore dollar');

    create table risk_decisions (
      id text primary key,
      event_type text not null,
      subject_id text,
      currency text,
      amount_minor bigint,
      outcome text not null check (outcome in ('ALLOW','CHALLENGE','REVIEW','BLOCK','BLOCK_AND_FREEZE')),
      reason_codes jsonb not null,
      customer_message text,
      policy text not null,
      input jsonb not null,
      latency_us int not null,
      created_at timestamptz not null
    );
    create index risk_decisions_subject on risk_decisions (subject_id, created_at);

    create table ledger_accounts (
      id text primary key,
      kind text not null check (kind in ('customer_wallet','merchant','fee_revenue','customer_custody',
        'settlement_clearing','channel_clearing','suspense','risk_reserve')),
      currency text not null references currencies(code),
      normal_side text not null check (normal_side in ('debit','credit')),
      is_credit_line boolean not null default false,
      owner_id text not null,
      status text not null default 'active' check (status in ('active','frozen','closed')),
      posted_minor bigint not null default 0,
      held_minor bigint not null default 0 check (held_minor >= 0),
      created_at timestamptz not null default now(),
      constraint ledger_accounts_available check (is_credit_line or posted_minor - held_minor >= 0),
      unique (kind, owner_id, currency)
    );
    create index ledger_accounts_owner on ledger_accounts (owner_id);

    create table ledger_chain_head (
      id int primary key check (id = 1),
      seq bigint not null,
      hash text not null
    );
    insert into ledger_chain_head (id, seq, hash)
      values (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

    -- Postings, reversal links and entry currencies carry no foreign keys: the single
    -- writer creates them under lock in the same statement, each key check would cost a
    -- lookup per row on the hottest path, and \`bulwark ledger verify\` proves them. The
    -- link from an entry to the risk decision that allowed it stays enforced (invariant 7).
    create table ledger_entries (
      seq bigint primary key,
      id text not null unique,
      kind text not null,
      occurred_at timestamptz not null,
      decision_id text not null references risk_decisions(id),
      reverses_id text,
      hold_id text,
      rule text not null,
      amount_minor bigint not null check (amount_minor > 0),
      currency text not null,
      params jsonb not null,
      metadata jsonb not null,
      prev_hash text not null,
      hash text not null
    );
    create index ledger_entries_reverses on ledger_entries (reverses_id) where reverses_id is not null;
    create index ledger_entries_decision on ledger_entries (decision_id);

    create table ledger_postings (
      entry_seq bigint not null,
      idx smallint not null,
      account_id text not null,
      amount_minor bigint not null check (amount_minor <> 0),
      balance_after_minor bigint not null,
      primary key (entry_seq, idx)
    );
    create index ledger_postings_account on ledger_postings (account_id, entry_seq);

    create table ledger_holds (
      id text primary key,
      account_id text not null references ledger_accounts(id),
      currency text not null references currencies(code),
      amount_minor bigint not null check (amount_minor > 0),
      posted_minor bigint not null default 0 check (posted_minor >= 0 and posted_minor <= amount_minor),
      status text not null check (status in ('pending','posted','voided','expired')),
      kind text not null,
      rule text not null,
      params jsonb not null,
      metadata jsonb not null,
      decision_id text not null references risk_decisions(id),
      entry_id text,
      expires_at timestamptz not null,
      created_at timestamptz not null,
      updated_at timestamptz not null
    );
    create index ledger_holds_pending on ledger_holds (expires_at) where status = 'pending';
    create index ledger_holds_account on ledger_holds (account_id, created_at);
    create index ledger_holds_decision on ledger_holds (decision_id);

    create table ledger_hold_events (
      id bigserial primary key,
      hold_id text not null references ledger_holds(id),
      from_status text,
      to_status text not null,
      amount_minor bigint not null,
      at timestamptz not null,
      reason text
    );
    create index ledger_hold_events_hold on ledger_hold_events (hold_id, id);

    -- The journal is append-only: corrections are reversal entries, never UPDATE or DELETE.
    create function ledger_forbid_change() returns trigger language plpgsql as $$
    begin
      raise exception 'ledger journal is append-only: % on % refused', tg_op, tg_table_name
        using errcode = 'P0001';
    end $$;
    create trigger ledger_entries_append_only before update or delete on ledger_entries
      for each row execute function ledger_forbid_change();
    create trigger ledger_postings_append_only before update or delete on ledger_postings
      for each row execute function ledger_forbid_change();
    create trigger ledger_entries_no_truncate before truncate on ledger_entries
      for each statement execute function ledger_forbid_change();
    create trigger ledger_postings_no_truncate before truncate on ledger_postings
      for each statement execute function ledger_forbid_change();

    create table customers (
      id text primary key,
      display_name text not null,
      status text not null default 'active' check (status in ('active','frozen','closed')),
      created_at timestamptz not null default now()
    );

    create table merchants (
      id text primary key,
      name text not null,
      fee_bps int not null check (fee_bps between 0 and 10000),
      status text not null default 'active' check (status in ('active','frozen','closed')),
      created_at timestamptz not null default now()
    );

    create table wallet_topups (
      id text primary key,
      account_id text not null references ledger_accounts(id),
      customer_id text not null references customers(id),
      currency text not null,
      amount_minor bigint not null check (amount_minor > 0),
      channel text not null,
      status text not null check (status in ('pending','succeeded','failed')),
      decision_id text not null references risk_decisions(id),
      entry_id text,
      failure_code text,
      created_at timestamptz not null,
      updated_at timestamptz not null
    );
    create index wallet_topups_pending on wallet_topups (created_at) where status = 'pending';

    create table wallet_withdrawals (
      id text primary key,
      account_id text not null references ledger_accounts(id),
      customer_id text not null references customers(id),
      currency text not null,
      amount_minor bigint not null check (amount_minor > 0),
      channel text not null,
      bank_account_masked text not null,
      bank_account_fingerprint text not null,
      status text not null check (status in ('in_review','processing','succeeded','failed','rejected')),
      decision_id text not null references risk_decisions(id),
      hold_id text not null references ledger_holds(id),
      entry_id text,
      failure_code text,
      deadline_at timestamptz not null,
      created_at timestamptz not null,
      updated_at timestamptz not null
    );
    create index wallet_withdrawals_processing on wallet_withdrawals (deadline_at) where status = 'processing';

    create table channel_callbacks (
      channel text not null,
      event_id text not null,
      received_at timestamptz not null default now(),
      primary key (channel, event_id)
    );
  `,
  );
}
