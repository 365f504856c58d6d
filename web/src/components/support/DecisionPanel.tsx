import { Alert, Button, Group, Paper, Stack, Text, Textarea, TextInput } from '@mantine/core';
import { useEffect, useState } from 'react';
import { newIdempotencyKey } from '../../api/rules.ts';
import {
  checkDecision,
  DECISION_REASON_MAX,
  type DisputeDetail,
  type DisputeOutcome,
  disputeDetail,
  majorText,
  refundCause,
  refundsFromMerchant,
} from '../../api/support.ts';
import { useApi } from '../../auth/session.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { Assignee } from '../cases/labels.tsx';
import { CaseDialog } from '../cases/workspace.tsx';
import { EntryRef, OUTCOME_KEYS, OutcomeBadge } from './labels.tsx';

/**
 * The decision on a dispute: what was decided and why (as the user reads it), or, for a
 * user who may work cases, upholding or rejecting it with the reason shown to the user
 * and, for a payment, the refund the merchant makes.
 */
export function DecisionPanel({
  d,
  canDecide,
  onDecided,
  onFailed,
}: {
  d: DisputeDetail;
  canDecide: boolean;
  onDecided(next: DisputeDetail): void;
  /** A failed decision may have moved the dispute (a refund that failed reopens it): read it again. */
  onFailed(): void;
}) {
  const i18n = useI18n();
  const { t } = i18n;
  const [deciding, setDeciding] = useState<DisputeOutcome | null>(null);

  if (d.decision) {
    const x = d.decision;
    return (
      <Stack gap="sm" data-testid="dispute-decision" data-outcome={x.outcome}>
        <Group gap="sm">
          <OutcomeBadge outcome={x.outcome} />
          <Text size="sm" c="dimmed">
            {t('dispute.decidedBy')} <Assignee id={d.decidedBy} /> · {i18n.dateTime(x.decidedAt)}
          </Text>
        </Group>
        <ReasonText label={t('dispute.reasonShownEn')} text={x.reason.en} testId="decision-reason-en" />
        <ReasonText label={t('dispute.reasonShownZh')} text={x.reason.zh} testId="decision-reason-zh" />
        {x.refundMinor !== null && (
          <Text size="sm" data-testid="decision-refund">
            {t('dispute.refunded', { amount: i18n.money(x.refundMinor, d.currency) })}{' '}
            <EntryRef id={x.refundEntryId} />
          </Text>
        )}
      </Stack>
    );
  }

  if (d.status === 'withdrawn') {
    return (
      <Text size="sm" c="dimmed" data-testid="dispute-withdrawn">
        {t('dispute.withdrawn', { time: i18n.dateTime(d.withdrawnAt) })}
      </Text>
    );
  }

  const pending = d.status === 'deciding' ? d.pendingOutcome : null;
  return (
    <Stack gap="sm">
      {pending && (
        <Alert color="yellow" variant="light" data-testid="dispute-deciding">
          {t('dispute.inProgress', {
            outcome: t(OUTCOME_KEYS[pending]),
            attempts: i18n.number(d.refundAttempts),
          })}
        </Alert>
      )}
      {d.status === 'open' && d.refundAttempts > 0 && (
        <Alert color="yellow" variant="light" data-testid="dispute-refund-failed">
          {t('dispute.refundFailedBefore', { attempts: i18n.number(d.refundAttempts) })}
        </Alert>
      )}
      {canDecide ? (
        <>
          <Text size="sm" c="dimmed">
            {t('dispute.decideHint')}
          </Text>
          <Group gap="xs" data-testid="dispute-actions">
            <Button
              color="teal"
              disabled={pending === 'rejected'}
              onClick={() => setDeciding('upheld')}
              data-testid="dispute-uphold"
            >
              {t('dispute.uphold')}
            </Button>
            <Button
              color="red"
              variant="light"
              disabled={pending === 'upheld'}
              onClick={() => setDeciding('rejected')}
              data-testid="dispute-reject"
            >
              {t('dispute.reject')}
            </Button>
          </Group>
        </>
      ) : (
        <Text size="sm" c="dimmed" data-testid="dispute-read-only">
          {t('dispute.readOnly')}
        </Text>
      )}
      <DecisionDialog
        d={d}
        outcome={deciding}
        onClose={() => setDeciding(null)}
        onDecided={onDecided}
        onFailed={onFailed}
      />
    </Stack>
  );
}

function ReasonText({ label, text, testId }: { label: string; text: string | null; testId: string }) {
  const { t } = useI18n();
  return (
    <Paper withBorder p="xs" radius="sm">
      <Text size="xs" c="dimmed" mb={2}>
        {label}
      </Text>
      <Text size="sm" style={{ whiteSpace: 'pre-wrap' }} c={text ? undefined : 'dimmed'} data-testid={testId}>
        {text ?? t('dispute.reasonMissing')}
      </Text>
    </Paper>
  );
}

function DecisionDialog({
  d,
  outcome,
  onClose,
  onDecided,
  onFailed,
}: {
  d: DisputeDetail;
  outcome: DisputeOutcome | null;
  onClose(): void;
  onDecided(next: DisputeDetail): void;
  onFailed(): void;
}) {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const opened = outcome !== null;
  const [reasonEn, setReasonEn] = useState('');
  const [reasonZh, setReasonZh] = useState('');
  const [refund, setRefund] = useState('');
  const [touched, setTouched] = useState(false);
  // One key per filled-in form: a retry of the same decision replays, a changed one is a new request.
  const [key, setKey] = useState(newIdempotencyKey);
  useEffect(() => {
    if (!opened) return;
    setReasonEn('');
    setReasonZh('');
    setRefund(majorText(d.pendingRefundMinor ?? d.amountMinor, d.currency));
    setTouched(false);
    setKey(newIdempotencyKey());
  }, [opened, d.pendingRefundMinor, d.amountMinor, d.currency]);
  const edit = (set: (v: string) => void) => (v: string) => {
    set(v);
    setKey(newIdempotencyKey());
  };

  const chosen = outcome ?? 'upheld';
  const input = { outcome: chosen, reasonEn, reasonZh, refund };
  const check = checkDecision(d, input);
  const reasonError = touched && !check.ok && check.reason ? t('dispute.reasonRequired') : null;
  const refundError =
    touched && !check.ok && check.refund
      ? check.refund === 'tooLarge'
        ? t('dispute.refundTooLarge', { amount: i18n.money(d.amountMinor, d.currency) })
        : t('case.amountInvalid')
      : null;
  const withRefund = chosen === 'upheld' && refundsFromMerchant(d);
  const provisionalPaid = d.provisionalCredit.status === 'paid';
  const amount = i18n.money(d.amountMinor, d.currency);

  const submit = async (): Promise<string | null | undefined> => {
    setTouched(true);
    if (!check.ok) return undefined;
    try {
      const next = await api.post(
        `/v1/disputes/${encodeURIComponent(d.id)}/decision`,
        disputeDetail,
        check.body,
        {
          idempotencyKey: key,
        },
      );
      onDecided(next);
      return null;
    } catch (err) {
      onFailed();
      const cause = refundCause(err);
      const text = i18n.errorText(err);
      return cause ? `${text} ${t('dispute.refundCause', { cause: i18n.errorText(cause) })}` : text;
    }
  };

  const description =
    chosen === 'rejected'
      ? t(provisionalPaid ? 'dispute.rejectDescriptionCredit' : 'dispute.rejectDescription')
      : withRefund
        ? t(provisionalPaid ? 'dispute.upholdPaymentCredit' : 'dispute.upholdPayment')
        : t('dispute.upholdOther');

  return (
    <CaseDialog
      opened={opened}
      onClose={onClose}
      title={t(chosen === 'upheld' ? 'dispute.upholdTitle' : 'dispute.rejectTitle', { amount })}
      description={description}
      confirmLabel={t(chosen === 'upheld' ? 'dispute.uphold' : 'dispute.reject')}
      color={chosen === 'upheld' ? 'teal' : 'red'}
      onSubmit={submit}
    >
      <Text size="xs" c="dimmed">
        {t('dispute.reasonHint')}
      </Text>
      <Textarea
        label={t('dispute.reasonEn')}
        value={reasonEn}
        onChange={(e) => edit(setReasonEn)(e.currentTarget.value)}
        error={reasonError}
        autosize
        minRows={2}
        maxLength={DECISION_REASON_MAX}
        data-autofocus
        data-testid="decision-reason-en-input"
      />
      <Textarea
        label={t('dispute.reasonZh')}
        lang="zh-CN"
        value={reasonZh}
        onChange={(e) => edit(setReasonZh)(e.currentTarget.value)}
        error={reasonError !== null}
        autosize
        minRows={2}
        maxLength={DECISION_REASON_MAX}
        data-testid="decision-reason-zh-input"
      />
      {withRefund && (
        <TextInput
          label={t('dispute.refundLabel', { currency: d.currency })}
          description={t('dispute.refundHint', { amount })}
          value={refund}
          onChange={(e) => edit(setRefund)(e.currentTarget.value)}
          inputMode="decimal"
          error={refundError}
          w={340}
          data-testid="decision-refund-input"
        />
      )}
    </CaseDialog>
  );
}
