import type { ColumnType, Generated } from 'kysely';
import type { Int8, Timestamp } from '../platform/schema.ts';

type Json<T> = ColumnType<T, string, string>;
type NullableInt8 = ColumnType<bigint | null, bigint | string | null | undefined, bigint | string | null>;

export interface AlertsTable {
  id: string;
  source: 'decision' | 'aml' | 'monitoring' | 'report' | 'dispute' | 'feedback';
  source_ref: string;
  type: string;
  severity: 'low' | 'medium' | 'high' | 'critical';
  priority: number;
  status: 'open' | 'closed';
  case_id: string;
  subject_id: string | null;
  amount_minor: NullableInt8;
  currency: string | null;
  decision_id: string | null;
  hold_id: string | null;
  withdrawal_id: string | null;
  title: string;
  entities: Json<Array<{ kind: string; id: string }>>;
  evidence: Json<Record<string, unknown>>;
  due_at: Timestamp;
  created_at: Timestamp;
  closed_at: Timestamp | null;
}

export interface CasesTable {
  id: string;
  kind: 'risk' | 'dispute' | 'feedback';
  status: 'open' | 'investigating' | 'pending_info' | 'decided' | 'closed';
  subject_id: string | null;
  title: string;
  severity: 'low' | 'medium' | 'high' | 'critical';
  priority: number;
  assignee_id: string | null;
  disposition: 'confirmed_fraud' | 'false_positive' | 'inconclusive' | null;
  summary: string | null;
  loss_minor: NullableInt8;
  currency: string | null;
  due_at: Timestamp;
  version: ColumnType<number, number | undefined, number>;
  reopened: ColumnType<number, number | undefined, number>;
  created_at: Timestamp;
  updated_at: Timestamp;
  decided_at: Timestamp | null;
  closed_at: Timestamp | null;
}

export interface CaseEntitiesTable {
  case_id: string;
  kind: string;
  ref: string;
  added_at: Timestamp;
}

export interface CaseEventsTable {
  id: Generated<Int8>;
  case_id: string;
  at: Timestamp;
  actor_type: string;
  actor_id: string;
  type: string;
  detail: Json<Record<string, unknown>>;
}

export interface CaseAttachmentsTable {
  id: string;
  case_id: string;
  filename: string;
  content_type: string;
  size_bytes: number;
  sha256: string;
  content: Uint8Array;
  created_by: string;
  created_at: Timestamp;
}

export interface CaseCompensationsTable {
  id: string;
  case_id: string;
  customer_id: string;
  wallet_id: string;
  currency: string;
  amount_minor: Int8;
  reason: string;
  status: 'pending_approval' | 'paid' | 'rejected';
  approval_id: string | null;
  entry_id: string | null;
  created_by: string;
  created_at: Timestamp;
  paid_at: Timestamp | null;
}

/** Tables of the cases module (merged into `Database`). */
export interface CaseTables {
  alerts: AlertsTable;
  cases: CasesTable;
  case_entities: CaseEntitiesTable;
  case_events: CaseEventsTable;
  case_attachments: CaseAttachmentsTable;
  case_compensations: CaseCompensationsTable;
}
