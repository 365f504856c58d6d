import {
  Anchor,
  Badge,
  Button,
  Code,
  Group,
  Select,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { CURRENCY_CODES } from '../../../../src/platform/money.ts';
import { type CaseDetail, type CaseRights, caseDetail, compensationAnswer } from '../../api/cases.ts';
import type { Customer } from '../../api/resources.ts';
import { useApi } from '../../auth/session.tsx';
import { currencyExponent, minorToDecimal, parseMajorToMinor } from '../../format/money.ts';
import type { MessageKey } from '../../i18n/en.ts';
import { useI18n } from '../../i18n/index.tsx';
import { REASON_MIN } from './HeldMoney.tsx';
import { CaseDialog, type CaseRun, useIdempotencyKey } from './workspace.tsx';

const COMPENSATION_STATUS: Record<string, { key: MessageKey; color: string }> = {
  paid: { key: 'compensation.paid', color: 'green' },
  pending_approval: { key: 'compensation.pending_approval', color: 'blue' },
  rejected: { key: 'compensation.rejected', color: 'gray' },
};

/** What is left to compensate: the loss less what is paid or waiting for approval, in the loss's currency. */
export function compensationLeft(c: CaseDetail): bigint | null {
  if (c.lossMinor === null || c.currency === null) return null;
  let used = 0n;
  for (const x of c.compensations) {
    if (x.currency === c.currency && (x.status === 'paid' || x.status === 'pending_approval')) {
      used += BigInt(x.amountMinor);
    }
  }
  const left = BigInt(c.lossMinor) - used;
  return left > 0n ? left : 0n;
}

/** The loss recorded on the case and the compensations paid against it from the risk reserve. */
export function MoneyPanel({
  c,
  customer,
  rights,
  run,
}: {
  c: CaseDetail;
  customer: Customer | null;
  rights: CaseRights;
  run: CaseRun;
}) {
  const i18n = useI18n();
  const { t } = i18n;
  const [dialog, setDialog] = useState<'loss' | 'compensate' | null>(null);
  const open = c.status !== 'closed';
  const left = compensationLeft(c);
  return (
    <Stack gap="xs" data-testid="case-money">
      <Group justify="space-between">
        <div>
          <Text size="xs" c="dimmed">
            {t('case.loss')}
          </Text>
          <Text fw={700} data-testid="case-loss">
            {c.lossMinor !== null && c.currency !== null
              ? i18n.money(c.lossMinor, c.currency)
              : t('case.lossNone')}
          </Text>
        </div>
        {rights.work && open && (
          <Group gap="xs">
            <Button
              size="xs"
              variant="default"
              onClick={() => setDialog('loss')}
              data-testid="case-record-loss"
            >
              {t('case.recordLoss')}
            </Button>
            {rights.compensate && left !== null && left > 0n && (
              <Button size="xs" onClick={() => setDialog('compensate')} data-testid="case-compensate">
                {t('case.compensate')}
              </Button>
            )}
          </Group>
        )}
      </Group>
      {c.compensations.length > 0 && (
        <Table verticalSpacing={4} data-testid="case-compensations">
          <Table.Tbody>
            {c.compensations.map((x) => {
              const status = COMPENSATION_STATUS[x.status];
              return (
                <Table.Tr key={x.id}>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>
                    {i18n.money(x.amountMinor, x.currency)}
                  </Table.Td>
                  <Table.Td>
                    <Badge
                      color={status?.color ?? 'gray'}
                      variant="light"
                      size="sm"
                      style={{ minWidth: 'max-content' }}
                      data-status={x.status}
                    >
                      {status ? t(status.key) : x.status}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    {x.entryId ? (
                      <Anchor
                        component={Link}
                        to={`/ledger/entries/${encodeURIComponent(x.entryId)}`}
                        size="xs"
                      >
                        <Code>{x.entryId.slice(-8)}</Code>
                      </Anchor>
                    ) : x.approvalId ? (
                      <Anchor component={Link} to="/approvals" size="xs">
                        <Code>{x.approvalId.slice(-8)}</Code>
                      </Anchor>
                    ) : (
                      '—'
                    )}
                  </Table.Td>
                  <Table.Td ta="right">
                    <Text size="xs" c="dimmed" title={i18n.dateTime(x.paidAt ?? x.createdAt)}>
                      {i18n.time(x.paidAt ?? x.createdAt)}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      )}
      <LossDialog c={c} opened={dialog === 'loss'} onClose={() => setDialog(null)} run={run} />
      <CompensateDialog
        c={c}
        customer={customer}
        left={left}
        opened={dialog === 'compensate'}
        onClose={() => setDialog(null)}
        run={run}
      />
    </Stack>
  );
}

function LossDialog({
  c,
  opened,
  onClose,
  run,
}: {
  c: CaseDetail;
  opened: boolean;
  onClose(): void;
  run: CaseRun;
}) {
  const { t } = useI18n();
  const api = useApi();
  const [currency, setCurrency] = useState(c.currency ?? 'CNY');
  const [amount, setAmount] = useState('');
  const [touched, setTouched] = useState(false);
  // A loss already recorded is shown to be corrected rather than typed again.
  const recorded =
    c.lossMinor !== null && c.currency !== null
      ? (minorToDecimal(c.lossMinor, currencyExponent(c.currency)) ?? '')
      : '';
  useEffect(() => {
    if (opened) {
      setCurrency(c.currency ?? 'CNY');
      setAmount(recorded);
      setTouched(false);
    }
  }, [opened, c.currency, recorded]);
  const lossMinor = parseMajorToMinor(amount, currency);
  return (
    <CaseDialog
      opened={opened}
      onClose={onClose}
      title={t('case.lossTitle')}
      description={t('case.lossDescription')}
      confirmLabel={t('case.recordLoss')}
      onSubmit={async () => {
        setTouched(true);
        if (lossMinor === null) return undefined;
        return run(
          () =>
            api.post(`/v1/cases/${encodeURIComponent(c.id)}/loss`, caseDetail, {
              lossMinor,
              currency,
              version: c.version,
            }),
          () => ({ color: 'green', text: t('case.lossRecorded') }),
        );
      }}
    >
      <Group grow align="flex-start">
        <Select
          label={t('field.currency')}
          data={[...CURRENCY_CODES]}
          value={currency}
          onChange={(v) => v && setCurrency(v)}
          allowDeselect={false}
        />
        <TextInput
          label={t('case.lossAmount', { currency })}
          value={amount}
          onChange={(e) => setAmount(e.currentTarget.value)}
          inputMode="decimal"
          error={touched && lossMinor === null ? t('case.amountInvalid') : null}
          data-autofocus
          required
        />
      </Group>
    </CaseDialog>
  );
}

function CompensateDialog({
  c,
  customer,
  left,
  opened,
  onClose,
  run,
}: {
  c: CaseDetail;
  customer: Customer | null;
  left: bigint | null;
  opened: boolean;
  onClose(): void;
  run: CaseRun;
}) {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const currency = c.currency ?? 'CNY';
  const wallets = (customer?.wallets ?? []).filter((w) => w.currency === currency && w.status !== 'closed');
  const [walletId, setWalletId] = useState<string | null>(null);
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const [touched, setTouched] = useState(false);
  const key = useIdempotencyKey(opened, c.version);
  const firstWallet = wallets[0]?.id ?? null;
  useEffect(() => {
    if (opened) {
      setWalletId(firstWallet);
      setAmount('');
      setReason('');
      setTouched(false);
    }
  }, [opened, firstWallet]);
  const amountMinor = parseMajorToMinor(amount, currency);
  const amountError =
    amountMinor === null
      ? t('case.amountInvalid')
      : left !== null && BigInt(amountMinor) > left
        ? t('case.compensationTooLarge')
        : null;
  const reasonError = reason.trim().length < REASON_MIN ? t('reason.tooShort', { min: REASON_MIN }) : null;
  return (
    <CaseDialog
      opened={opened}
      onClose={onClose}
      title={t('case.compensateTitle')}
      description={t('case.compensateDescription')}
      confirmLabel={t('case.compensate')}
      onSubmit={async () => {
        setTouched(true);
        if (!walletId) return t('case.noWallet', { currency });
        if (amountError !== null || amountMinor === null || reasonError !== null) return undefined;
        return run(
          () =>
            api.post(
              `/v1/cases/${encodeURIComponent(c.id)}/compensations`,
              compensationAnswer,
              { version: c.version, walletId, amountMinor, reason: reason.trim() },
              { idempotencyKey: key },
            ),
          (answer) =>
            answer.kind === 'paid'
              ? {
                  color: 'green',
                  text: t('case.compensated', { amount: i18n.money(answer.amountMinor, answer.currency) }),
                }
              : {
                  color: 'blue',
                  text: t('case.compensationNeedsApproval', { amount: i18n.money(amountMinor, currency) }),
                  approvalId: answer.approval.id,
                },
        );
      }}
    >
      {wallets.length === 0 ? (
        <Text size="sm" c="red">
          {t('case.noWallet', { currency })}
        </Text>
      ) : (
        <Select
          label={t('case.wallet')}
          data={wallets.map((w) => ({
            value: w.id,
            label: `${w.id} · ${i18n.money(w.availableMinor, w.currency)}`,
          }))}
          value={walletId}
          onChange={setWalletId}
          allowDeselect={false}
        />
      )}
      <TextInput
        label={t('case.compensationAmount', { currency })}
        description={
          left !== null
            ? t('case.compensationLeft', { amount: i18n.money(left.toString(), currency) })
            : undefined
        }
        value={amount}
        onChange={(e) => setAmount(e.currentTarget.value)}
        inputMode="decimal"
        error={touched ? amountError : null}
        data-autofocus
        required
      />
      <Textarea
        label={t('reason.label')}
        description={t('reason.hint', { min: REASON_MIN })}
        value={reason}
        onChange={(e) => setReason(e.currentTarget.value)}
        error={touched ? reasonError : null}
        autosize
        minRows={2}
        maxLength={500}
        required
      />
    </CaseDialog>
  );
}
