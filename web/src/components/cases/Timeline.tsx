import { Anchor, Code, Group, Timeline as MantineTimeline, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { isCaseKind, isCaseStatus, isDisposition, isSeverity, type TimelineEvent } from '../../api/cases.ts';
import { useAuth } from '../../auth/session.tsx';
import type { MessageKey } from '../../i18n/en.ts';
import { useI18n } from '../../i18n/index.tsx';
import {
  Actor,
  Assignee,
  CASE_KIND_KEYS,
  CASE_STATUS_KEYS,
  DISPOSITION_KEYS,
  SEVERITY_KEYS,
  useAlertTypeLabel,
} from './labels.tsx';

const EVENT_KEYS: Record<string, MessageKey> = {
  'case.opened': 'event.case.opened',
  'alert.joined': 'event.alert.joined',
  'case.assigned': 'event.case.assigned',
  'case.status': 'event.case.status',
  'case.reopened': 'event.case.reopened',
  'case.labelled': 'event.case.labelled',
  note: 'event.note',
  'case.loss': 'event.case.loss',
  'case.linked': 'event.case.linked',
  'attachment.added': 'event.attachment.added',
  'hold.released': 'event.hold.released',
  'hold.voided': 'event.hold.voided',
  'owner.frozen': 'event.owner.frozen',
  'owner.unfreeze.requested': 'event.owner.unfreeze.requested',
  'transaction.reversed': 'event.transaction.reversed',
  'compensation.paid': 'event.compensation.paid',
  'compensation.requested': 'event.compensation.requested',
};

/** Every event of the case, newest first, with who did it and when. */
export function CaseTimeline({ events }: { events: TimelineEvent[] }) {
  const i18n = useI18n();
  const newestFirst = [...events].reverse();
  return (
    <MantineTimeline active={newestFirst.length} bulletSize={12} lineWidth={2} data-testid="case-timeline">
      {newestFirst.map((e) => {
        const key = EVENT_KEYS[e.type];
        return (
          <MantineTimeline.Item
            key={e.id}
            title={
              <Text size="sm" fw={600}>
                {key ? i18n.t(key) : e.type}
              </Text>
            }
            data-testid="timeline-event"
            data-type={e.type}
          >
            <Stack gap={2}>
              <EventBody e={e} />
              <Group gap={4}>
                <Actor actor={e.actor} />
                <Text size="xs" c="dimmed">
                  · {i18n.dateTime(e.at)}
                </Text>
              </Group>
            </Stack>
          </MantineTimeline.Item>
        );
      })}
    </MantineTimeline>
  );
}

function Line({ children }: { children: ReactNode }) {
  return (
    <Text size="xs" component="div">
      {children}
    </Text>
  );
}

/** The facts of one event, in words; members the console does not know are not shown. */
function EventBody({ e }: { e: TimelineEvent }) {
  const i18n = useI18n();
  const { t } = i18n;
  const auth = useAuth();
  const alertType = useAlertTypeLabel();
  const d = e.detail;
  const status = (s: string | undefined) => (s && isCaseStatus(s) ? t(CASE_STATUS_KEYS[s]) : (s ?? '—'));
  const amount = (minor: string | undefined) => (minor && d.currency ? i18n.money(minor, d.currency) : null);
  const lines: ReactNode[] = [];

  switch (e.type) {
    case 'case.opened':
      if (d.kind && isCaseKind(d.kind)) lines.push(t('case.heading', { kind: t(CASE_KIND_KEYS[d.kind]) }));
      break;
    case 'alert.joined':
      if (d.type) {
        const severity = d.severity && isSeverity(d.severity) ? ` · ${t(SEVERITY_KEYS[d.severity])}` : '';
        lines.push(`${alertType(d.type)}${severity}`);
      }
      break;
    case 'case.assigned':
      if (d.to)
        lines.push(
          <Group gap={4}>
            {t('timeline.assignedTo')} <Assignee id={d.to} />
          </Group>,
        );
      break;
    case 'case.status':
    case 'case.reopened':
      lines.push(`${status(d.from)} → ${status(d.to)}`);
      if (d.disposition && isDisposition(d.disposition)) lines.push(t(DISPOSITION_KEYS[d.disposition]));
      if (d.summary) lines.push(d.summary);
      if (d.note) lines.push(t('timeline.note', { text: d.note }));
      break;
    case 'case.labelled':
      if (d.label) {
        const label =
          d.label === 'fraud' ? t('label.fraud') : d.label === 'legit' ? t('label.legit') : d.label;
        const count = d.decisions ? d.decisions.split(', ').length : 0;
        lines.push(t('timeline.labelled', { label, count }));
      }
      break;
    case 'note':
      if (d.text) lines.push(t('timeline.note', { text: d.text }));
      break;
    case 'case.loss': {
      const loss = amount(d.lossMinor);
      if (loss) lines.push(t('timeline.amount', { amount: loss }));
      break;
    }
    case 'case.linked':
      if (d.entities) lines.push(<Code>{d.entities}</Code>);
      break;
    case 'attachment.added':
      if (d.filename)
        lines.push(t('timeline.file', { name: d.filename, sha: (d.sha256 ?? '').slice(0, 12) }));
      break;
    case 'hold.released':
    case 'hold.voided':
      if (d.holdId) lines.push(<EntityLink to={`/holds/${encodeURIComponent(d.holdId)}`} id={d.holdId} />);
      break;
    case 'transaction.reversed':
      if (d.entryId && auth.can('ledger.read'))
        lines.push(<EntityLink to={`/ledger/entries/${encodeURIComponent(d.entryId)}`} id={d.entryId} />);
      if (d.amountMinor && d.amountMinor !== 'null') lines.push(<Code>{d.amountMinor}</Code>);
      break;
    case 'owner.unfreeze.requested':
    case 'compensation.requested':
    case 'compensation.paid': {
      const paid = amount(d.amountMinor);
      if (paid) lines.push(t('timeline.amount', { amount: paid }));
      if (d.approvalId)
        lines.push(
          <Anchor component={Link} to="/approvals" size="xs">
            {t('timeline.request', { id: d.approvalId })}
          </Anchor>,
        );
      break;
    }
    default:
      break;
  }
  if (d.reason && e.type !== 'note') lines.push(t('timeline.reason', { reason: d.reason }));
  return (
    <>
      {lines.map((line, i) => (
        // Lines are derived from one immutable event in a fixed order: the index is a stable key.
        // biome-ignore lint/suspicious/noArrayIndexKey: see above
        <Line key={i}>{line}</Line>
      ))}
    </>
  );
}

function EntityLink({ to, id }: { to: string; id: string }) {
  return (
    <Anchor component={Link} to={to} size="xs">
      <Code>{id}</Code>
    </Anchor>
  );
}
