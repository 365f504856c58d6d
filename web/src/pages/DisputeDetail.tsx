import { Alert, Group, Stack, Text } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { CASE_KEYS } from '../api/cases.ts';
import {
  type DisputeDetail as DisputeView,
  disputeAwaitsDecision,
  disputeDetail,
  SUPPORT_KEYS,
} from '../api/support.ts';
import { useApi, useAuth } from '../auth/session.tsx';
import { Id, useKindLabel } from '../components/Common.tsx';
import { useNow } from '../components/cases/labels.tsx';
import { DetailLayout, Field, KeyValues, RoutedDetail, Section } from '../components/Detail.tsx';
import { DecisionPanel } from '../components/support/DecisionPanel.tsx';
import { EvidenceFiles } from '../components/support/EvidenceFiles.tsx';
import {
  CaseRef,
  CustomerRef,
  Deadline,
  DISPUTE_REASON_KEYS,
  DisputeStatusBadge,
  EntryRef,
  OUTCOME_KEYS,
  ProvisionalBadge,
} from '../components/support/labels.tsx';
import { useI18n } from '../i18n/index.tsx';

/** Someone else may decide the dispute meanwhile: the page reads it again this often. */
const DISPUTE_REFRESH_MS = 30_000;
const LABEL_W = 170;

/** One dispute: what the user says and sent, the money at stake, the provisional credit, and the decision. */
export function DisputeDetail() {
  const api = useApi();
  return (
    <RoutedDetail
      queryKey={SUPPORT_KEYS.dispute}
      fetch={(id) => api.get(`/v1/staff/disputes/${encodeURIComponent(id)}`, disputeDetail)}
      refetchMs={DISPUTE_REFRESH_MS}
    >
      {(d) => <Dispute d={d} />}
    </RoutedDetail>
  );
}

function Dispute({ d }: { d: DisputeView }) {
  const i18n = useI18n();
  const { t } = i18n;
  const auth = useAuth();
  const nowMs = useNow();
  const kindLabel = useKindLabel();
  const queryClient = useQueryClient();
  const [notice, setNotice] = useState<string | null>(null);
  const canDecide = auth.can('case.work');

  const decided = async (next: DisputeView) => {
    queryClient.setQueryData(SUPPORT_KEYS.dispute(next.id), next);
    if (next.decision) setNotice(t('dispute.decided', { outcome: t(OUTCOME_KEYS[next.decision.outcome]) }));
    // The queue, the dispute's case and the reserve have all moved.
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: SUPPORT_KEYS.all }),
      queryClient.invalidateQueries({ queryKey: CASE_KEYS.all }),
      queryClient.invalidateQueries({ queryKey: ['reserve'] }),
    ]);
  };
  const failed = () => void queryClient.invalidateQueries({ queryKey: SUPPORT_KEYS.dispute(d.id) });

  return (
    <DetailLayout
      title={t('dispute.heading', { reason: t(DISPUTE_REASON_KEYS[d.reason]) })}
      description={t('dispute.subtitle', { id: d.id })}
      back={{ to: '/disputes', label: t('dispute.back') }}
      testIdPrefix="dispute"
      status={d.status}
      notice={notice}
      onNoticeClose={() => setNotice(null)}
      main={
        <>
          <Section title={t('dispute.description')}>
            <Text size="sm" style={{ whiteSpace: 'pre-wrap' }} data-testid="dispute-description">
              {d.description || '—'}
            </Text>
          </Section>
          <Section title={t('dispute.evidence', { count: d.attachments.length })}>
            <EvidenceFiles disputeId={d.id} files={d.attachments} />
          </Section>
          <Section title={t('dispute.decision')}>
            <DecisionPanel d={d} canDecide={canDecide} onDecided={(n) => void decided(n)} onFailed={failed} />
          </Section>
          <Section title={t('dispute.userMessage')}>
            <Stack gap={6}>
              <Text size="sm">{d.message.en ?? '—'}</Text>
              <Text size="sm" lang="zh-CN">
                {d.message.zh ?? '—'}
              </Text>
            </Stack>
          </Section>
        </>
      }
      side={
        <>
          <Section title={t('dispute.facts')}>
            <KeyValues>
              <Field label={t('field.status')} w={LABEL_W}>
                <DisputeStatusBadge status={d.status} />
              </Field>
              <Field label={t('dispute.reason')} w={LABEL_W}>
                {t(DISPUTE_REASON_KEYS[d.reason])}
              </Field>
              <Field label={t('dispute.amount')} w={LABEL_W}>
                <Text span fw={600} data-testid="dispute-amount">
                  {i18n.money(d.amountMinor, d.currency)}
                </Text>
              </Field>
              <Field label={t('dispute.transaction')} w={LABEL_W}>
                <Group gap={6}>
                  <Text span size="sm">
                    {kindLabel(d.entryKind)}
                  </Text>
                  <EntryRef id={d.entryId} />
                </Group>
              </Field>
              <Field label={t('dispute.customer')} w={LABEL_W}>
                <CustomerRef id={d.customerId} />
              </Field>
              <Field label={t('dispute.merchant')} w={LABEL_W}>
                <Id value={d.merchantId} />
              </Field>
              <Field label={t('dispute.filed')} w={LABEL_W}>
                {i18n.dateTime(d.createdAt)}
              </Field>
              <Field label={t('dispute.deadline')} w={LABEL_W}>
                <Deadline
                  dueAt={d.dueAt}
                  overdue={d.overdue}
                  settled={!disputeAwaitsDecision(d.status)}
                  nowMs={nowMs}
                />
              </Field>
              <Field label={t('dispute.case')} w={LABEL_W}>
                <CaseRef id={d.caseId} testId="dispute-case-link" />
              </Field>
            </KeyValues>
          </Section>
          <Section title={t('dispute.provisional')}>
            <KeyValues>
              <Field label={t('field.status')} w={LABEL_W}>
                <ProvisionalBadge status={d.provisionalCredit.status} />
              </Field>
              {d.provisionalCredit.amountMinor !== null && (
                <Field label={t('field.amount')} w={LABEL_W}>
                  {i18n.money(d.provisionalCredit.amountMinor, d.currency)}
                </Field>
              )}
              {d.provisionalCredit.entryId && (
                <Field label={t('dispute.creditEntry')} w={LABEL_W}>
                  <EntryRef id={d.provisionalCredit.entryId} />
                </Field>
              )}
              {d.provisionalCredit.reversalEntryId && (
                <Field label={t('dispute.reversalEntry')} w={LABEL_W}>
                  <EntryRef id={d.provisionalCredit.reversalEntryId} />
                </Field>
              )}
            </KeyValues>
            {d.provisionalNote && (
              <Text size="xs" c="dimmed" mt="xs">
                {d.provisionalNote}
              </Text>
            )}
            {(d.provisionalCredit.status === 'failed' ||
              d.provisionalCredit.status === 'reversal_failed') && (
              <Alert color="red" variant="light" mt="xs">
                {t('dispute.provisionalProblem')}
              </Alert>
            )}
          </Section>
        </>
      }
    />
  );
}
