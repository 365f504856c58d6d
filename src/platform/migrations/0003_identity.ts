import type { Kysely } from 'kysely';
import { runStatements } from './run-statements.ts';

/**
 * Identity and access: customer logins and consents, KYC, second factors, sessions and
 * rotating refresh tokens, devices, login-failure counters, one-time tokens, step-up
 * challenges, staff users, API clients, maker-checker approvals and limit overrides.
 *
 * Personal values are stored sealed (`*_sealed`, AES-256-GCM under a wrapped data key),
 * with a keyed blind index (`*_index`) where lookups need them and a masked form
 * (`*_masked`) for display. Secrets (passwords, tokens, recovery codes) are stored hashed.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    alter table customers add column kyc_tier int not null default 0 check (kyc_tier between 0 and 2);

    create table customer_logins (
      customer_id text primary key references customers(id),
      phone_sealed text,
      phone_index text unique,
      phone_masked text,
      email_sealed text,
      email_index text unique,
      email_masked text,
      password_hash text not null,
      password_changed_at timestamptz not null,
      created_at timestamptz not null,
      check (phone_index is not null or email_index is not null)
    );

    create table password_history (
      subject_id text not null,
      hash text not null,
      created_at timestamptz not null,
      primary key (subject_id, created_at)
    );

    create table consents (
      id text primary key,
      subject_id text not null,
      policy text not null,
      version text not null,
      accepted_at timestamptz not null,
      ip text,
      withdrawn_at timestamptz
    );
    create index consents_subject on consents (subject_id, accepted_at);

    create table customer_kyc (
      customer_id text primary key references customers(id),
      name_sealed text not null,
      name_masked text not null,
      document_type text not null,
      document_sealed text not null,
      document_index text not null unique,
      document_masked text not null,
      provider text not null,
      basic_ref text not null,
      basic_verified_at timestamptz not null,
      images jsonb,
      liveness_ref text,
      liveness_score real,
      full_ref text,
      full_verified_at timestamptz,
      updated_at timestamptz not null
    );

    create table kyc_attempts (
      id text primary key,
      customer_id text not null,
      level text not null check (level in ('basic','full')),
      outcome text not null,
      provider text not null,
      detail text,
      created_at timestamptz not null
    );
    create index kyc_attempts_customer on kyc_attempts (customer_id, created_at);

    create table mfa_factors (
      id text primary key,
      subject_type text not null check (subject_type in ('customer','staff')),
      subject_id text not null,
      kind text not null check (kind in ('totp','webauthn','sms','email')),
      status text not null check (status in ('pending','active','removed')),
      label text,
      secret_sealed text,
      last_step bigint,
      credential_id text unique,
      public_key text,
      sign_count bigint,
      transports jsonb,
      created_at timestamptz not null,
      last_used_at timestamptz
    );
    create index mfa_factors_subject on mfa_factors (subject_id, status);

    create table recovery_codes (
      subject_id text not null,
      code_hash text not null,
      created_at timestamptz not null,
      used_at timestamptz,
      primary key (subject_id, code_hash)
    );

    create table auth_sessions (
      id text primary key,
      subject_type text not null check (subject_type in ('customer','staff')),
      subject_id text not null,
      role text not null,
      device_id text,
      user_agent text,
      ip text,
      amr jsonb not null,
      created_at timestamptz not null,
      last_seen_at timestamptz not null,
      expires_at timestamptz not null,
      revoked_at timestamptz,
      revoke_reason text
    );
    create index auth_sessions_subject on auth_sessions (subject_id, created_at);

    create table refresh_tokens (
      id text primary key,
      session_id text not null references auth_sessions(id),
      token_hash text not null unique,
      status text not null check (status in ('active','rotated','revoked')),
      created_at timestamptz not null,
      expires_at timestamptz not null,
      used_at timestamptz
    );
    create index refresh_tokens_session on refresh_tokens (session_id);

    create table devices (
      subject_id text not null,
      device_id text not null,
      user_agent text,
      first_ip text,
      last_ip text,
      first_seen_at timestamptz not null,
      last_seen_at timestamptz not null,
      primary key (subject_id, device_id)
    );

    create table login_failures (
      key text primary key,
      failures int not null,
      first_failure_at timestamptz not null,
      last_failure_at timestamptz not null,
      locked_until timestamptz,
      lockouts int not null default 0
    );

    create table one_time_tokens (
      id text primary key,
      purpose text not null,
      subject_id text not null,
      token_hash text not null unique,
      destination text,
      created_at timestamptz not null,
      expires_at timestamptz not null,
      used_at timestamptz,
      attempts int not null default 0
    );
    create index one_time_tokens_subject on one_time_tokens (subject_id, purpose, created_at);

    create table step_up_challenges (
      id text primary key,
      subject_id text not null,
      operation text not null,
      binding text not null,
      methods jsonb not null,
      reason text not null,
      created_at timestamptz not null,
      expires_at timestamptz not null,
      attempts int not null default 0,
      verified_at timestamptz,
      verified_method text,
      proof_hash text unique,
      used_at timestamptz,
      webauthn_challenge text
    );
    create index step_up_subject on step_up_challenges (subject_id, created_at);

    create table staff_users (
      id text primary key,
      email_sealed text not null,
      email_index text not null unique,
      email_masked text not null,
      display_name text not null,
      role text not null,
      status text not null check (status in ('pending','active','disabled')),
      password_hash text,
      password_changed_at timestamptz,
      created_at timestamptz not null,
      created_by text not null
    );

    create table api_clients (
      id text primary key,
      name text not null,
      role text not null,
      secret_hash text not null,
      status text not null check (status in ('active','revoked')),
      created_at timestamptz not null,
      created_by text not null,
      revoked_at timestamptz
    );

    create table approval_requests (
      id text primary key,
      action text not null,
      payload jsonb not null,
      summary text not null,
      reason text not null,
      maker_id text not null,
      maker_role text not null,
      status text not null check (status in ('pending','approved','rejected','expired','failed','cancelled')),
      checker_id text,
      checker_role text,
      decision_reason text,
      result jsonb,
      error text,
      created_at timestamptz not null,
      expires_at timestamptz not null,
      decided_at timestamptz
    );
    create index approval_requests_status on approval_requests (status, created_at);

    -- Bound payment cards: a token and the last four digits, never the card number (PCI DSS).
    create table payment_cards (
      id text primary key,
      customer_id text not null references customers(id),
      token text not null unique,
      fingerprint text not null,
      last4 text not null check (last4 ~ '^[0-9]{4}$'),
      brand text not null,
      expiry_month int not null check (expiry_month between 1 and 12),
      expiry_year int not null,
      status text not null check (status in ('active','removed')),
      created_at timestamptz not null,
      unique (customer_id, fingerprint)
    );

    create table customer_limit_overrides (
      customer_id text not null references customers(id),
      currency text not null references currencies(code),
      single_minor bigint not null,
      daily_minor bigint not null,
      monthly_minor bigint not null,
      balance_cap_minor bigint not null,
      approval_id text not null,
      created_at timestamptz not null,
      primary key (customer_id, currency)
    );
  `,
  );
}
