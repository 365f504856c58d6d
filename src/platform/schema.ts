import type { ColumnType, Generated, JSONColumnType } from 'kysely';
import type { ScreeningTables } from '../aml/screening/tables.ts';
import type { CaseTables } from '../cases/tables.ts';
import type { NotifyTables } from '../notify/tables.ts';
import type { SupportTables } from '../support/tables.ts';

/** Column types of every table, for Kysely. Each module owns the tables named after it. */
export type Int8 = ColumnType<bigint, bigint | string, bigint | string>;
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
export type Int8Default = ColumnType<bigint, bigint | string | undefined, bigint | string>;
type TimestampDefault = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T extends object | null> = JSONColumnType<T, string, string>;

export interface PlatformSettingsTable {
  key: string;
  value: string;
  updated_at: TimestampDefault;
}

export interface IdempotencyKeysTable {
  scope: string;
  key: string;
  request_hash: string;
  status_code: number | null;
  response: Json<object> | null;
  created_at: TimestampDefault;
}

export interface OutboxTable {
  id: Int8Default;
  topic: string;
  aggregate_id: string;
  payload: Json<Record<string, unknown>>;
  created_at: TimestampDefault;
  published_at: Timestamp | null;
}

export interface CurrenciesTable {
  code: string;
  exponent: number;
  name: string;
}

export interface RiskDecisionsTable {
  id: string;
  event_type: string;
  subject_id: string | null;
  currency: string | null;
  amount_minor: Int8 | null;
  outcome: string;
  reason_codes: Json<string[]>;
  customer_message: string | null;
  policy: string;
  input: Json<Record<string, unknown>>;
  latency_us: number;
  created_at: Timestamp;
  /** When the end user acted; null on decisions older than the engine (use created_at). */
  event_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  score: Generated<number>;
  degraded: Generated<boolean>;
  detail: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
}

export interface RiskLabelsTable {
  decision_id: string;
  source: string;
  label: 'fraud' | 'legit' | 'laundering';
  scenario: string | null;
  reported_at: Timestamp;
  created_at: Timestamp;
}

export interface RiskBacktestsTable {
  id: string;
  status: 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  params: Json<Record<string, unknown>>;
  total: Generated<Int8>;
  processed: Generated<Int8>;
  result: Json<Record<string, unknown> | null>;
  error: string | null;
  created_by: string;
  created_at: Timestamp;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  cancel_requested: Generated<boolean>;
}

export type ModelStatus = 'candidate' | 'challenger' | 'champion' | 'retired';

export interface RiskModelsTable {
  id: string;
  name: string;
  version: number;
  scope: string;
  status: ModelStatus;
  body: Json<Record<string, unknown>>;
  features: Json<string[]>;
  metrics: ColumnType<Record<string, unknown> | null, string | null, string | null>;
  trained_from: Timestamp | null;
  trained_to: Timestamp | null;
  created_by: string;
  created_at: Timestamp;
  status_changed_at: Timestamp;
}

export interface RiskModelEventsTable {
  id: string;
  model_id: string;
  from_status: ModelStatus | null;
  to_status: ModelStatus;
  actor: string;
  approval_id: string | null;
  reason: Generated<string>;
  created_at: Timestamp;
}

export interface RiskModelDriftTable {
  id: string;
  model_id: string;
  week_start: Timestamp;
  rows: Int8;
  score_psi: number | null;
  feature_psi: Json<Record<string, number | null>>;
  alert: boolean;
  created_at: Timestamp;
}

export interface LedgerAccountsTable {
  id: string;
  kind: string;
  currency: string;
  normal_side: 'debit' | 'credit';
  is_credit_line: Generated<boolean>;
  owner_id: string;
  status: Generated<string>;
  posted_minor: Int8Default;
  held_minor: Int8Default;
  created_at: TimestampDefault;
}

export interface LedgerChainHeadTable {
  id: number;
  seq: Int8;
  hash: string;
}

export interface LedgerEntriesTable {
  seq: Int8;
  id: string;
  kind: string;
  occurred_at: Timestamp;
  decision_id: string;
  reverses_id: string | null;
  hold_id: string | null;
  rule: string;
  amount_minor: Int8;
  currency: string;
  params: Json<Record<string, string>>;
  metadata: Json<Record<string, string>>;
  prev_hash: string;
  hash: string;
}

export interface LedgerPostingsTable {
  entry_seq: Int8;
  idx: number;
  account_id: string;
  amount_minor: Int8;
  balance_after_minor: Int8;
}

export interface LedgerHoldsTable {
  id: string;
  account_id: string;
  currency: string;
  amount_minor: Int8;
  posted_minor: Int8;
  status: string;
  kind: string;
  rule: string;
  params: Json<Record<string, string>>;
  metadata: Json<Record<string, string>>;
  decision_id: string;
  entry_id: string | null;
  expires_at: Timestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface LedgerHoldEventsTable {
  id: Int8Default;
  hold_id: string;
  from_status: string | null;
  to_status: string;
  amount_minor: Int8;
  at: Timestamp;
  reason: string | null;
}

export interface CustomersTable {
  id: string;
  display_name: string;
  status: Generated<string>;
  created_at: TimestampDefault;
  kyc_tier: Generated<number>;
}

export interface MerchantsTable {
  id: string;
  name: string;
  fee_bps: number;
  status: Generated<string>;
  created_at: TimestampDefault;
}

export interface WalletTopupsTable {
  id: string;
  account_id: string;
  customer_id: string;
  currency: string;
  amount_minor: Int8;
  channel: string;
  status: string;
  decision_id: string;
  entry_id: string | null;
  failure_code: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WalletWithdrawalsTable {
  id: string;
  account_id: string;
  customer_id: string;
  currency: string;
  amount_minor: Int8;
  channel: string;
  bank_account_masked: string;
  bank_account_fingerprint: string;
  bank_account_sealed: string | null;
  status: string;
  decision_id: string;
  hold_id: string;
  entry_id: string | null;
  failure_code: string | null;
  deadline_at: Timestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ChannelCallbacksTable {
  channel: string;
  event_id: string;
  received_at: TimestampDefault;
}

export interface SecurityKeysTable {
  id: string;
  purpose: 'field' | 'blind';
  version: number;
  kek_id: string;
  wrapped: string;
  created_at: TimestampDefault;
}

export interface AuditChainHeadTable {
  id: number;
  seq: Int8;
  hash: string;
}

export interface AuditLogTable {
  seq: Int8;
  id: string;
  at: Timestamp;
  actor_type: string;
  actor_id: string;
  actor_role: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  before: Json<Record<string, unknown>> | null;
  after: Json<Record<string, unknown>> | null;
  reason: string | null;
  request_id: string | null;
  ip: string | null;
  prev_hash: string;
  hash: string;
}

export interface CustomerLoginsTable {
  customer_id: string;
  phone_sealed: string | null;
  phone_index: string | null;
  phone_masked: string | null;
  email_sealed: string | null;
  email_index: string | null;
  email_masked: string | null;
  password_hash: string;
  password_changed_at: Timestamp;
  created_at: Timestamp;
}

export interface PasswordHistoryTable {
  subject_id: string;
  hash: string;
  created_at: Timestamp;
}

export interface ConsentsTable {
  id: string;
  subject_id: string;
  policy: string;
  version: string;
  accepted_at: Timestamp;
  ip: string | null;
  withdrawn_at: Timestamp | null;
}

export interface CustomerKycTable {
  customer_id: string;
  name_sealed: string;
  name_masked: string;
  document_type: string;
  document_sealed: string;
  document_index: string;
  document_masked: string;
  provider: string;
  basic_ref: string;
  basic_verified_at: Timestamp;
  images: Json<Record<string, string>> | null;
  liveness_ref: string | null;
  liveness_score: number | null;
  full_ref: string | null;
  full_verified_at: Timestamp | null;
  updated_at: Timestamp;
}

export interface KycAttemptsTable {
  id: string;
  customer_id: string;
  level: 'basic' | 'full';
  outcome: string;
  provider: string;
  detail: string | null;
  created_at: Timestamp;
}

export interface MfaFactorsTable {
  id: string;
  subject_type: 'customer' | 'staff';
  subject_id: string;
  kind: 'totp' | 'webauthn' | 'sms' | 'email';
  status: 'pending' | 'active' | 'removed';
  label: string | null;
  secret_sealed: string | null;
  last_step: Int8 | null;
  credential_id: string | null;
  public_key: string | null;
  sign_count: Int8 | null;
  transports: Json<string[]> | null;
  created_at: Timestamp;
  last_used_at: Timestamp | null;
}

export interface RecoveryCodesTable {
  subject_id: string;
  code_hash: string;
  created_at: Timestamp;
  used_at: Timestamp | null;
}

export interface AuthSessionsTable {
  id: string;
  subject_type: 'customer' | 'staff';
  subject_id: string;
  role: string;
  device_id: string | null;
  user_agent: string | null;
  ip: string | null;
  amr: Json<string[]>;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  expires_at: Timestamp;
  revoked_at: Timestamp | null;
  revoke_reason: string | null;
}

export interface RefreshTokensTable {
  id: string;
  session_id: string;
  token_hash: string;
  status: 'active' | 'rotated' | 'revoked';
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

export interface DevicesTable {
  subject_id: string;
  device_id: string;
  user_agent: string | null;
  first_ip: string | null;
  last_ip: string | null;
  first_seen_at: Timestamp;
  last_seen_at: Timestamp;
}

export interface LoginFailuresTable {
  key: string;
  failures: number;
  first_failure_at: Timestamp;
  last_failure_at: Timestamp;
  locked_until: Timestamp | null;
  lockouts: Generated<number>;
}

export interface OneTimeTokensTable {
  id: string;
  purpose: string;
  subject_id: string;
  token_hash: string;
  destination: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: Timestamp | null;
  attempts: Generated<number>;
}

export interface StepUpChallengesTable {
  id: string;
  subject_id: string;
  operation: string;
  binding: string;
  methods: Json<string[]>;
  reason: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  attempts: Generated<number>;
  verified_at: Timestamp | null;
  verified_method: string | null;
  proof_hash: string | null;
  used_at: Timestamp | null;
  webauthn_challenge: string | null;
}

export interface StaffUsersTable {
  id: string;
  email_sealed: string;
  email_index: string;
  email_masked: string;
  display_name: string;
  role: string;
  status: 'pending' | 'active' | 'disabled';
  password_hash: string | null;
  password_changed_at: Timestamp | null;
  created_at: Timestamp;
  created_by: string;
}

export interface ApiClientsTable {
  id: string;
  name: string;
  role: string;
  secret_hash: string;
  status: 'active' | 'revoked';
  created_at: Timestamp;
  created_by: string;
  revoked_at: Timestamp | null;
}

export interface ApprovalRequestsTable {
  id: string;
  action: string;
  payload: Json<Record<string, unknown>>;
  summary: string;
  reason: string;
  maker_id: string;
  maker_role: string;
  status: 'pending' | 'approved' | 'rejected' | 'expired' | 'failed' | 'cancelled';
  checker_id: string | null;
  checker_role: string | null;
  decision_reason: string | null;
  result: Json<Record<string, unknown>> | null;
  error: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
  decided_at: Timestamp | null;
}

export interface PaymentCardsTable {
  id: string;
  customer_id: string;
  token: string;
  fingerprint: string;
  last4: string;
  brand: string;
  expiry_month: number;
  expiry_year: number;
  status: 'active' | 'removed';
  created_at: Timestamp;
}

export interface CustomerLimitOverridesTable {
  customer_id: string;
  currency: string;
  single_minor: Int8;
  daily_minor: Int8;
  monthly_minor: Int8;
  balance_cap_minor: Int8;
  approval_id: string;
  created_at: Timestamp;
}

export interface RiskRulesTable {
  id: string;
  name: string;
  description: string;
  draft_version: number;
  expression: string;
  action: string;
  score: number;
  reason_code: string;
  message_key: string;
  warning_key: string | null;
  created_by: string;
  created_at: Timestamp;
  updated_by: string;
  updated_at: Timestamp;
}

export interface RiskRuleVersionsTable {
  rule_id: string;
  version: number;
  expression: string;
  action: string;
  score: number;
  reason_code: string;
  message_key: string;
  warning_key: string | null;
  state: 'draft' | 'shadow' | 'active' | 'retired';
  created_by: string;
  created_at: Timestamp;
  state_changed_by: string;
  state_changed_at: Timestamp;
  published_by: string | null;
  published_at: Timestamp | null;
  approval_id: string | null;
}

export interface RiskRuleSetHeadTable {
  id: number;
  revision: Int8;
  updated_at: Timestamp;
}

export interface Database extends CaseTables, NotifyTables, ScreeningTables, SupportTables {
  platform_settings: PlatformSettingsTable;
  idempotency_keys: IdempotencyKeysTable;
  outbox: OutboxTable;
  currencies: CurrenciesTable;
  risk_decisions: RiskDecisionsTable;
  ledger_accounts: LedgerAccountsTable;
  ledger_chain_head: LedgerChainHeadTable;
  ledger_entries: LedgerEntriesTable;
  ledger_postings: LedgerPostingsTable;
  ledger_holds: LedgerHoldsTable;
  ledger_hold_events: LedgerHoldEventsTable;
  customers: CustomersTable;
  merchants: MerchantsTable;
  wallet_topups: WalletTopupsTable;
  wallet_withdrawals: WalletWithdrawalsTable;
  channel_callbacks: ChannelCallbacksTable;
  security_keys: SecurityKeysTable;
  audit_chain_head: AuditChainHeadTable;
  audit_log: AuditLogTable;
  customer_logins: CustomerLoginsTable;
  password_history: PasswordHistoryTable;
  consents: ConsentsTable;
  customer_kyc: CustomerKycTable;
  kyc_attempts: KycAttemptsTable;
  mfa_factors: MfaFactorsTable;
  recovery_codes: RecoveryCodesTable;
  auth_sessions: AuthSessionsTable;
  refresh_tokens: RefreshTokensTable;
  devices: DevicesTable;
  login_failures: LoginFailuresTable;
  one_time_tokens: OneTimeTokensTable;
  step_up_challenges: StepUpChallengesTable;
  staff_users: StaffUsersTable;
  api_clients: ApiClientsTable;
  approval_requests: ApprovalRequestsTable;
  customer_limit_overrides: CustomerLimitOverridesTable;
  payment_cards: PaymentCardsTable;
  risk_rules: RiskRulesTable;
  risk_rule_versions: RiskRuleVersionsTable;
  risk_rule_set_head: RiskRuleSetHeadTable;
  risk_labels: RiskLabelsTable;
  risk_backtests: RiskBacktestsTable;
  risk_models: RiskModelsTable;
  risk_model_events: RiskModelEventsTable;
  risk_model_drift: RiskModelDriftTable;
}
