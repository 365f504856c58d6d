import type { ColumnType, Generated } from 'kysely';
import type { Int8, Timestamp } from '../platform/schema.ts';

type Json<T> = ColumnType<T, string, string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export type RecipientType = 'customer' | 'merchant' | 'staff';
export type DeliveryChannel = 'webhook' | 'email';
export type DeliveryStatus = 'pending' | 'sending' | 'delivered' | 'failed';
export type AttemptOutcome = 'delivered' | 'retry' | 'failed' | 'interrupted';

export interface NotifyIntakeCursorTable {
  id: number;
  last_event_id: Int8;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface NotifyEventsTable {
  event_id: Int8;
  topic: string;
  outcome: 'notified' | 'invalid';
  notifications: number;
  deliveries: number;
  processed_at: Timestamp;
}

export interface NotifyNotificationsTable {
  id: string;
  event_id: Int8;
  topic: string;
  recipient_type: RecipientType;
  recipient_id: string;
  title_en: string;
  body_en: string;
  title_zh: string;
  body_zh: string;
  data: Json<Record<string, string>>;
  created_at: Timestamp;
  read_at: NullableTimestamp;
}

export interface NotifyWebhooksTable {
  id: string;
  url: string;
  description: string;
  topics: Json<string[]>;
  secret_sealed: string;
  enabled: boolean;
  created_by: string;
  created_at: Timestamp;
  updated_at: Timestamp;
  deleted_at: NullableTimestamp;
}

export interface NotifyDeliveriesTable {
  id: string;
  event_id: Int8;
  topic: string;
  channel: DeliveryChannel;
  /** A webhook endpoint (`whk_…`) or the customer an e-mail goes to (`cus_…`). */
  target_id: string;
  /** The webhook's request body, byte for byte; for an e-mail, `{"subject","text"}` as JSON. */
  body: string;
  status: DeliveryStatus;
  attempts: Generated<number>;
  max_attempts: number;
  next_attempt_at: Timestamp;
  claim_token: string | null;
  locked_until: NullableTimestamp;
  last_error: string | null;
  last_status_code: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  delivered_at: NullableTimestamp;
}

export interface NotifyDeliveryAttemptsTable {
  delivery_id: string;
  attempt: number;
  started_at: Timestamp;
  duration_ms: number;
  status_code: number | null;
  outcome: AttemptOutcome;
  error: string | null;
}

export interface NotifyEmailsTable {
  id: string;
  delivery_id: string;
  recipient_id: string;
  to_sealed: string;
  to_masked: string;
  subject: string;
  body_text: string;
  message_id: string;
  created_at: Timestamp;
}

/** Tables of the notify module (merged into `Database`). */
export interface NotifyTables {
  notify_intake_cursor: NotifyIntakeCursorTable;
  notify_events: NotifyEventsTable;
  notify_notifications: NotifyNotificationsTable;
  notify_webhooks: NotifyWebhooksTable;
  notify_deliveries: NotifyDeliveriesTable;
  notify_delivery_attempts: NotifyDeliveryAttemptsTable;
  notify_emails: NotifyEmailsTable;
}
