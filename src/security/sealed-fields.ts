/**
 * Every column that holds a sealed personal value or secret, in one place. The sealed
 * value's associated data is `<table>.<column>:<row key>` (see `sealContext`), so a
 * ciphertext copied to another row or column does not open. Key rotation walks this list.
 */
export interface SealedField {
  table: string;
  /** The row's primary-key column (text). */
  key: string;
  column: string;
}

export const SEALED_FIELDS: readonly SealedField[] = [
  { table: 'wallet_withdrawals', key: 'id', column: 'bank_account_sealed' },
  { table: 'customer_logins', key: 'customer_id', column: 'phone_sealed' },
  { table: 'customer_logins', key: 'customer_id', column: 'email_sealed' },
  { table: 'customer_kyc', key: 'customer_id', column: 'name_sealed' },
  { table: 'customer_kyc', key: 'customer_id', column: 'document_sealed' },
  { table: 'mfa_factors', key: 'id', column: 'secret_sealed' },
  { table: 'staff_users', key: 'id', column: 'email_sealed' },
  { table: 'notify_webhooks', key: 'id', column: 'secret_sealed' },
  { table: 'notify_emails', key: 'id', column: 'to_sealed' },
  // Platform secrets kept sealed (the access-token signing key); plain settings are skipped.
  { table: 'platform_settings', key: 'key', column: 'value' },
];

/** The associated data binding a sealed value to its place. */
export function sealContext(table: string, column: string, rowKey: string): string {
  return `${table}.${column}:${rowKey}`;
}
