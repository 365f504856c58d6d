import type { ColumnType, Generated, JSONColumnType } from 'kysely';

/** Column types of every table, for Kysely. Each module owns the tables named after it. */
type Int8 = ColumnType<bigint, bigint | string, bigint | string>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Int8Default = ColumnType<bigint, bigint | string | undefined, bigint | string>;
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

export interface Database {
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
}
