import { Anchor, Badge, Text, Tooltip } from '@mantine/core';
import { Link } from 'react-router';
import { secondsUntil } from '../../api/cases.ts';
import type {
  DisputeOutcome,
  DisputeReason,
  DisputeStatus,
  FeedbackCategory,
  FeedbackLine,
  FeedbackStatus,
  ProvisionalStatus,
  ReportKind,
} from '../../api/support.ts';
import { useAuth } from '../../auth/session.tsx';
import type { MessageKey } from '../../i18n/en.ts';
import { type I18n, useI18n } from '../../i18n/index.tsx';
import { Id } from '../Common.tsx';

/** The words and colours of disputes and feedback, shared by the queues and the detail pages. */

export const DISPUTE_STATUS_KEYS: Record<DisputeStatus, MessageKey> = {
  open: 'disputeStatus.open',
  deciding: 'disputeStatus.deciding',
  decided: 'disputeStatus.decided',
  withdrawn: 'disputeStatus.withdrawn',
};
const DISPUTE_STATUS_COLORS: Record<DisputeStatus, string> = {
  open: 'blue',
  deciding: 'violet',
  decided: 'teal',
  withdrawn: 'gray',
};

export const DISPUTE_REASON_KEYS: Record<DisputeReason, MessageKey> = {
  unauthorised: 'disputeReason.unauthorised',
  not_received: 'disputeReason.not_received',
  wrong_amount: 'disputeReason.wrong_amount',
  duplicate: 'disputeReason.duplicate',
  refund_not_received: 'disputeReason.refund_not_received',
};

export const PROVISIONAL_KEYS: Record<ProvisionalStatus, MessageKey> = {
  none: 'provisional.none',
  declined: 'provisional.declined',
  pending: 'provisional.pending',
  paid: 'provisional.paid',
  failed: 'provisional.failed',
  cancelled: 'provisional.cancelled',
  kept: 'provisional.kept',
  reversal_due: 'provisional.reversal_due',
  reversed: 'provisional.reversed',
  reversal_failed: 'provisional.reversal_failed',
};
const PROVISIONAL_COLORS: Record<ProvisionalStatus, string> = {
  none: 'gray',
  declined: 'gray',
  pending: 'yellow',
  paid: 'blue',
  failed: 'red',
  cancelled: 'gray',
  kept: 'teal',
  reversal_due: 'yellow',
  reversed: 'gray',
  reversal_failed: 'red',
};

export const OUTCOME_KEYS: Record<DisputeOutcome, MessageKey> = {
  upheld: 'disputeOutcome.upheld',
  rejected: 'disputeOutcome.rejected',
};

export const FEEDBACK_CATEGORY_KEYS: Record<FeedbackCategory, MessageKey> = {
  payment_problem: 'feedbackCategory.payment_problem',
  security_concern: 'feedbackCategory.security_concern',
  suspected_fraud: 'feedbackCategory.suspected_fraud',
  account_access: 'feedbackCategory.account_access',
  suggestion: 'feedbackCategory.suggestion',
};
const FEEDBACK_CATEGORY_COLORS: Record<FeedbackCategory, string> = {
  payment_problem: 'blue',
  security_concern: 'orange',
  suspected_fraud: 'red',
  account_access: 'grape',
  suggestion: 'teal',
};

export const FEEDBACK_STATUS_KEYS: Record<FeedbackStatus, MessageKey> = {
  open: 'feedbackStatus.open',
  answered: 'feedbackStatus.answered',
  closed: 'feedbackStatus.closed',
};
const FEEDBACK_STATUS_COLORS: Record<FeedbackStatus, string> = {
  open: 'blue',
  answered: 'teal',
  closed: 'gray',
};

export const REPORT_KIND_KEYS: Record<ReportKind, MessageKey> = {
  scam: 'reportKind.scam',
  compromised: 'reportKind.compromised',
};

const KEEP = { minWidth: 'max-content' } as const;

export function DisputeStatusBadge({ status }: { status: DisputeStatus }) {
  const { t } = useI18n();
  return (
    <Badge
      color={DISPUTE_STATUS_COLORS[status]}
      variant={status === 'withdrawn' ? 'outline' : 'light'}
      size="sm"
      style={KEEP}
      data-testid="dispute-status"
      data-status={status}
    >
      {t(DISPUTE_STATUS_KEYS[status])}
    </Badge>
  );
}

export function ProvisionalBadge({ status }: { status: ProvisionalStatus }) {
  const { t } = useI18n();
  if (status === 'none') {
    return (
      <Text span size="sm" c="dimmed" data-testid="provisional" data-status={status}>
        {t(PROVISIONAL_KEYS.none)}
      </Text>
    );
  }
  return (
    <Badge
      color={PROVISIONAL_COLORS[status]}
      variant="light"
      size="sm"
      style={KEEP}
      data-testid="provisional"
      data-status={status}
    >
      {t(PROVISIONAL_KEYS[status])}
    </Badge>
  );
}

export function OutcomeBadge({ outcome }: { outcome: DisputeOutcome }) {
  const { t } = useI18n();
  return (
    <Badge
      color={outcome === 'upheld' ? 'teal' : 'red'}
      variant="filled"
      style={KEEP}
      data-testid="dispute-outcome"
      data-outcome={outcome}
    >
      {t(OUTCOME_KEYS[outcome])}
    </Badge>
  );
}

export function CategoryBadge({ category }: { category: FeedbackCategory }) {
  const { t } = useI18n();
  return (
    <Badge
      color={FEEDBACK_CATEGORY_COLORS[category]}
      variant="light"
      size="sm"
      style={KEEP}
      data-testid="feedback-category"
    >
      {t(FEEDBACK_CATEGORY_KEYS[category])}
    </Badge>
  );
}

export function FeedbackStatusBadge({ status }: { status: FeedbackStatus }) {
  const { t } = useI18n();
  return (
    <Badge
      color={FEEDBACK_STATUS_COLORS[status]}
      variant={status === 'closed' ? 'outline' : 'light'}
      size="sm"
      style={KEEP}
      data-testid="feedback-status"
      data-status={status}
    >
      {t(FEEDBACK_STATUS_KEYS[status])}
    </Badge>
  );
}

export function ReportBadge({ kind }: { kind: ReportKind }) {
  const { t } = useI18n();
  return (
    <Badge color="red" variant="outline" size="sm" style={KEEP} data-testid="feedback-report">
      {t(REPORT_KIND_KEYS[kind])}
    </Badge>
  );
}

const DAY_S = 86_400;

/** A wait in words: days once it is two days or more (deadlines are a week), else hours, minutes… */
export function waitText(i18n: I18n, seconds: number): string {
  const s = Math.abs(seconds);
  if (s < 2 * DAY_S) return i18n.duration(s);
  return new Intl.NumberFormat(i18n.locale, { style: 'unit', unit: 'day', unitDisplay: 'long' }).format(
    Math.ceil(s / DAY_S),
  );
}

/**
 * A deadline: "in 7 days", or "3 hours overdue" in red; the exact time in a tooltip. Once
 * the item no longer waits (`settled`), just the time.
 */
export function Deadline({
  dueAt,
  overdue,
  settled,
  nowMs,
}: {
  dueAt: string;
  overdue: boolean;
  settled?: boolean;
  nowMs: number;
}) {
  const i18n = useI18n();
  const seconds = secondsUntil(dueAt, nowMs);
  if (seconds === null) return <>—</>;
  if (settled) {
    return (
      <Text span size="sm" c="dimmed" data-testid="due" data-overdue="false" style={{ whiteSpace: 'nowrap' }}>
        {i18n.dateTime(dueAt)}
      </Text>
    );
  }
  const late = overdue || seconds < 0;
  const text = late
    ? i18n.t('cases.dueOverdue', { time: waitText(i18n, seconds) })
    : i18n.t('cases.dueIn', { time: waitText(i18n, seconds) });
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

/** A customer id, linked to the customer when the reader may open customers. */
export function CustomerRef({ id }: { id: string | null }) {
  const auth = useAuth();
  if (id?.startsWith('cus_') && auth.can('customer.read')) {
    return (
      <Anchor component={Link} to={`/customers/${encodeURIComponent(id)}`}>
        <Id value={id} />
      </Anchor>
    );
  }
  return <Id value={id} />;
}

/** A journal entry id, linked to its story when the reader may read the ledger. */
export function EntryRef({ id }: { id: string | null }) {
  const auth = useAuth();
  if (id && auth.can('ledger.read')) {
    return (
      <Anchor component={Link} to={`/ledger/entries/${encodeURIComponent(id)}`}>
        <Id value={id} />
      </Anchor>
    );
  }
  return <Id value={id} />;
}

/** A case id, linked to the case workspace (the support pages already need case.read). */
export function CaseRef({ id, testId }: { id: string | null; testId?: string }) {
  const { t } = useI18n();
  if (!id) return <>—</>;
  return (
    <Anchor component={Link} to={`/cases/${encodeURIComponent(id)}`} size="sm" data-testid={testId}>
      {t('cases.open')} <Id value={id} />
    </Anchor>
  );
}

/** Stars for a 1–5 rating, with the score in words for screen readers. */
export function Stars({ score }: { score: number }) {
  const { t } = useI18n();
  const n = Math.max(0, Math.min(5, Math.round(score)));
  return (
    <Text span c="yellow.7" fw={700} aria-label={t('feedback.ratingOf', { score: n })} data-score={n}>
      {'★'.repeat(n)}
      <Text span c="dimmed" inherit>
        {'☆'.repeat(5 - n)}
      </Text>
    </Text>
  );
}

/** When a person first answered, or when the first answer is due (red once late). */
export function FirstResponse({
  f,
  nowMs,
}: {
  f: Pick<FeedbackLine, 'firstResponseAt' | 'firstResponseDueAt' | 'overdue' | 'status'>;
  nowMs: number;
}) {
  const i18n = useI18n();
  if (f.firstResponseAt) {
    return (
      <Text size="sm" style={{ whiteSpace: 'nowrap' }} data-testid="first-response">
        {i18n.t('feedback.answeredAt', { time: i18n.dateTime(f.firstResponseAt) })}
      </Text>
    );
  }
  if (f.status === 'closed') {
    return (
      <Text size="sm" c="dimmed" data-testid="first-response">
        {i18n.t('feedback.closedUnanswered')}
      </Text>
    );
  }
  return <Deadline dueAt={f.firstResponseDueAt} overdue={f.overdue} nowMs={nowMs} />;
}
