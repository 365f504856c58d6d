/**
 * The vocabulary of alerts and cases: sources, severities, the case state machine, the
 * priority formula and the service levels. Pure: no storage here.
 */

export const ALERT_SOURCES = ['decision', 'aml', 'monitoring', 'report', 'dispute', 'feedback'] as const;
export type AlertSource = (typeof ALERT_SOURCES)[number];

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const CASE_KINDS = ['risk', 'dispute', 'feedback'] as const;
export type CaseKind = (typeof CASE_KINDS)[number];

export const CASE_STATUSES = ['open', 'investigating', 'pending_info', 'decided', 'closed'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

export const DISPOSITIONS = ['confirmed_fraud', 'false_positive', 'inconclusive'] as const;
export type Disposition = (typeof DISPOSITIONS)[number];

/** What an entity linked to a case is. */
export const ENTITY_KINDS = [
  'customer',
  'merchant',
  'account',
  'device',
  'ip',
  'bank_account',
  'transaction',
  'decision',
  'hold',
  'withdrawal',
  'dispute',
  'feedback',
] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number];
export interface EntityRef {
  kind: EntityKind;
  id: string;
}

/**
 * The case state machine. `reopen` is the only way out of `closed`; a decided case can go
 * back to investigating when new facts arrive; closing requires a disposition for risk
 * cases (checked by the service, which knows the kind).
 */
export const TRANSITIONS: Record<CaseStatus, readonly CaseStatus[]> = {
  open: ['investigating', 'pending_info', 'decided', 'closed'],
  investigating: ['pending_info', 'decided', 'closed'],
  pending_info: ['investigating', 'decided', 'closed'],
  decided: ['investigating', 'closed'],
  closed: ['investigating'],
};

export function canTransition(from: CaseStatus, to: CaseStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

const SEVERITY_WEIGHT: Record<Severity, number> = { low: 100, medium: 200, high: 300, critical: 400 };

/**
 * Priority at raise time: severity first (100 points a step), then the amount at stake
 * (up to 99 points: 20 per factor of ten of the major-unit amount). The queue adds age
 * (2 points an hour, at most 100) when it sorts, so an old medium alert overtakes a new one.
 */
export function priorityOf(severity: Severity, amountMinor: bigint | null, exponent = 2): number {
  let amountPoints = 0;
  if (amountMinor !== null && amountMinor > 0n) {
    const digits = amountMinor.toString().length - exponent;
    amountPoints = Math.max(0, Math.min(99, Math.round(digits * 20)));
  }
  return SEVERITY_WEIGHT[severity] + amountPoints;
}

export function maxSeverity(a: Severity, b: Severity): Severity {
  return SEVERITY_WEIGHT[a] >= SEVERITY_WEIGHT[b] ? a : b;
}

/** Age points the queue adds to an alert's priority: 2 an hour, capped at 100. */
export const AGE_POINTS_PER_HOUR = 2;
export const AGE_POINTS_MAX = 100;

/**
 * Service levels per alert type, in minutes: how long until an alert's case must be decided.
 * A held payment's customer is told "within 2 hours" (see the engine's messages), so a
 * review is due in 2; a frozen account and a user's scam report are more urgent.
 */
export const DEFAULT_SLA_MINUTES: Record<string, number> = {
  'risk.review': 120,
  'risk.freeze': 60,
  'report.scam': 30,
  'report.compromised': 30,
  'aml.detection': 24 * 60,
  'monitoring.alert': 4 * 60,
  'dispute.opened': 7 * 24 * 60,
  'feedback.overdue': 4 * 60,
};
export const FALLBACK_SLA_MINUTES = 24 * 60;

export function slaMinutes(type: string, table: Record<string, number> = DEFAULT_SLA_MINUTES): number {
  return table[type] ?? FALLBACK_SLA_MINUTES;
}
