import { Anchor, Badge, Text, Tooltip } from '@mantine/core';
import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import type { EntityKind } from '../../../../src/cases/model.ts';
import {
  type AlertSource,
  type CaseKind,
  type CaseStatus,
  type Disposition,
  isAlertType,
  type Severity,
  secondsUntil,
} from '../../api/cases.ts';
import { useAuth } from '../../auth/session.tsx';
import type { MessageKey } from '../../i18n/en.ts';
import { useI18n } from '../../i18n/index.tsx';
import { Id } from '../Common.tsx';
import type { Relation } from './network.ts';

/** The words and colours of the cases vocabulary, shared by the queue, the lists and the workspace. */

export const SEVERITY_KEYS: Record<Severity, MessageKey> = {
  low: 'severity.low',
  medium: 'severity.medium',
  high: 'severity.high',
  critical: 'severity.critical',
};
const SEVERITY_COLORS: Record<Severity, string> = {
  low: 'gray',
  medium: 'yellow',
  high: 'orange',
  critical: 'red',
};

export const CASE_STATUS_KEYS: Record<CaseStatus, MessageKey> = {
  open: 'caseStatus.open',
  investigating: 'caseStatus.investigating',
  pending_info: 'caseStatus.pending_info',
  decided: 'caseStatus.decided',
  closed: 'caseStatus.closed',
};
const CASE_STATUS_COLORS: Record<CaseStatus, string> = {
  open: 'blue',
  investigating: 'violet',
  pending_info: 'yellow',
  decided: 'teal',
  closed: 'gray',
};

export const CASE_KIND_KEYS: Record<CaseKind, MessageKey> = {
  risk: 'caseKind.risk',
  dispute: 'caseKind.dispute',
  feedback: 'caseKind.feedback',
};

export const DISPOSITION_KEYS: Record<Disposition, MessageKey> = {
  confirmed_fraud: 'disposition.confirmed_fraud',
  false_positive: 'disposition.false_positive',
  inconclusive: 'disposition.inconclusive',
};

export const SOURCE_KEYS: Record<AlertSource, MessageKey> = {
  decision: 'alertSource.decision',
  aml: 'alertSource.aml',
  monitoring: 'alertSource.monitoring',
  report: 'alertSource.report',
  dispute: 'alertSource.dispute',
  feedback: 'alertSource.feedback',
};

export const ALERT_TYPE_KEYS = {
  'risk.review': 'alertType.risk.review',
  'risk.freeze': 'alertType.risk.freeze',
  'report.scam': 'alertType.report.scam',
  'report.compromised': 'alertType.report.compromised',
  'aml.detection': 'alertType.aml.detection',
  'monitoring.alert': 'alertType.monitoring.alert',
  'dispute.opened': 'alertType.dispute.opened',
  'feedback.overdue': 'alertType.feedback.overdue',
} as const satisfies Record<string, MessageKey>;

export const ENTITY_KEYS: Record<EntityKind, MessageKey> = {
  customer: 'entity.customer',
  merchant: 'entity.merchant',
  account: 'entity.account',
  device: 'entity.device',
  ip: 'entity.ip',
  bank_account: 'entity.bank_account',
  transaction: 'entity.transaction',
  decision: 'entity.decision',
  hold: 'entity.hold',
  withdrawal: 'entity.withdrawal',
  dispute: 'entity.dispute',
  feedback: 'entity.feedback',
};

export const RELATION_KEYS: Record<Relation, MessageKey> = {
  initiated: 'relation.initiated',
  payee: 'relation.payee',
  held: 'relation.held',
  device: 'relation.device',
  ip: 'relation.ip',
  withdrawal: 'relation.withdrawal',
  linked: 'relation.linked',
};

/** An alert type in words; a type this console does not know shows as its code. */
export function useAlertTypeLabel(): (type: string) => string {
  const { t } = useI18n();
  return (type) => (isAlertType(type) ? t(ALERT_TYPE_KEYS[type]) : type);
}

export function SeverityBadge({ severity }: { severity: Severity }) {
  const { t } = useI18n();
  return (
    <Badge
      color={SEVERITY_COLORS[severity]}
      variant={severity === 'critical' ? 'filled' : 'light'}
      style={{ minWidth: 'max-content' }}
      data-testid="severity"
      data-severity={severity}
    >
      {t(SEVERITY_KEYS[severity])}
    </Badge>
  );
}

export function CaseStatusBadge({ status, size }: { status: CaseStatus; size?: 'sm' | 'md' | 'lg' }) {
  const { t } = useI18n();
  return (
    <Badge
      color={CASE_STATUS_COLORS[status]}
      variant={status === 'closed' ? 'outline' : 'light'}
      size={size ?? 'sm'}
      style={{ minWidth: 'max-content' }}
      data-testid="case-status"
      data-status={status}
    >
      {t(CASE_STATUS_KEYS[status])}
    </Badge>
  );
}

/** Who a staff id is to the reader: "You", unassigned, or the id. */
export function Assignee({ id }: { id: string | null }) {
  const { t } = useI18n();
  const auth = useAuth();
  if (id === null) {
    return (
      <Text span size="sm" c="dimmed">
        {t('assignee.none')}
      </Text>
    );
  }
  if (id === auth.staff?.id) {
    return (
      <Text span size="sm" fw={600}>
        {t('cases.you')}
      </Text>
    );
  }
  return <Id value={id} />;
}

/** Who did something on a timeline: the system, you, or a staff id. */
export function Actor({ actor }: { actor: { type: string; id: string } }) {
  const { t } = useI18n();
  if (actor.type === 'system') {
    return (
      <Text span size="xs" c="dimmed">
        {t('cases.system')}
      </Text>
    );
  }
  return <Assignee id={actor.id} />;
}

/** A due time as "in 2 hours" or "3 minutes overdue" (red), the exact time in a tooltip. */
export function Due({ dueAt, overdue, nowMs }: { dueAt: string; overdue: boolean; nowMs: number }) {
  const i18n = useI18n();
  const seconds = secondsUntil(dueAt, nowMs);
  if (seconds === null) return <>—</>;
  const late = overdue || seconds < 0;
  const text = late
    ? i18n.t('cases.dueOverdue', { time: i18n.duration(Math.abs(seconds)) })
    : i18n.t('cases.dueIn', { time: i18n.duration(seconds) });
  return (
    <Tooltip label={i18n.dateTime(dueAt)}>
      <Text
        span
        size="sm"
        c={late ? 'red' : undefined}
        fw={late ? 600 : undefined}
        data-testid="due"
        data-overdue={late ? 'true' : 'false'}
        style={{ whiteSpace: 'nowrap' }}
      >
        {text}
      </Text>
    </Tooltip>
  );
}

/** How long something has waited, from its creation. */
export function Age({ since, nowMs }: { since: string; nowMs: number }) {
  const i18n = useI18n();
  const seconds = secondsUntil(since, nowMs);
  if (seconds === null) return <>—</>;
  return (
    <Tooltip label={i18n.dateTime(since)}>
      <Text span size="sm" style={{ whiteSpace: 'nowrap' }}>
        {i18n.duration(Math.max(1, -seconds))}
      </Text>
    </Tooltip>
  );
}

/** The time now, moving on every half minute, so waits and due times age on screen. */
export function useNow(stepMs = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), stepMs);
    return () => clearInterval(timer);
  }, [stepMs]);
  return now;
}

/** The subject of an alert or case: a customer links to their page, anything else is shown as its id. */
export function SubjectRef({ id }: { id: string | null }) {
  if (id?.startsWith('cus_')) {
    return (
      <Anchor component={Link} to={`/customers/${encodeURIComponent(id)}`}>
        <Id value={id} />
      </Anchor>
    );
  }
  return <Id value={id} />;
}
