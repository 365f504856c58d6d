import {
  Alert,
  Anchor,
  Button,
  Card,
  Code,
  Divider,
  Group,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useMemo, useState } from 'react';
import { Link } from 'react-router';
import { CURRENCY_CODES } from '../../../src/platform/money.ts';
import { CASE_KEYS, fundAnswer, type ReserveCurrency, reserveReport } from '../api/cases.ts';
import { newIdempotencyKey } from '../api/rules.ts';
import { useApi, useAuth } from '../auth/session.tsx';
import { Id, PageHeader } from '../components/Common.tsx';
import { REASON_MIN } from '../components/cases/HeldMoney.tsx';
import { Empty, ErrorState, Loading } from '../components/States.tsx';
import { parseMajorToMinor } from '../format/money.ts';
import type { MessageKey } from '../i18n/en.ts';
import { useI18n } from '../i18n/index.tsx';

const PERIODS = ['all', '30d', '7d'] as const;
type Period = (typeof PERIODS)[number];
const PERIOD_KEYS: Record<Period, MessageKey> = {
  all: 'reserve.period.all',
  '30d': 'reserve.period.30d',
  '7d': 'reserve.period.7d',
};
const PERIOD_DAYS: Record<Period, number | null> = { all: null, '30d': 30, '7d': 7 };
const DAY_MS = 86_400_000;

const KIND_KEYS: Record<string, MessageKey> = {
  reserve_funding: 'reserve.kind.reserve_funding',
  compensation: 'reserve.kind.compensation',
  provisional_credit: 'reserve.kind.provisional_credit',
};
const SOURCE_KEYS: Record<string, MessageKey> = {
  fees: 'reserve.source.fees',
  revenue: 'reserve.source.revenue',
};

function isPeriod(v: string): v is Period {
  return (PERIODS as readonly string[]).includes(v);
}

/** The risk compensation reserve: what it holds per currency, what came in and went out, and its latest movements. */
export function Reserve() {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const auth = useAuth();
  const [period, setPeriod] = useState<Period>('all');
  // The period's start is fixed when it is chosen, so refetches ask the same question.
  const from = useMemo(() => {
    const days = PERIOD_DAYS[period];
    return days === null ? undefined : new Date(Date.now() - days * DAY_MS).toISOString();
  }, [period]);
  const report = useQuery({
    queryKey: CASE_KEYS.reserve(period),
    queryFn: () => api.get('/v1/reserve', reserveReport, { from }),
    placeholderData: keepPreviousData,
  });

  return (
    <>
      <PageHeader
        title={t('reserve.title')}
        description={t('reserve.description')}
        right={
          <SegmentedControl
            aria-label={t('reserve.period')}
            value={period}
            onChange={(v) => setPeriod(isPeriod(v) ? v : 'all')}
            data={PERIODS.map((p) => ({ value: p, label: t(PERIOD_KEYS[p]) }))}
            data-testid="reserve-period"
          />
        }
      />
      <Stack>
        {auth.can('reserve.fund') && (
          <FundForm currencies={report.data?.currencies.map((c) => c.currency) ?? []} />
        )}
        {report.isPending ? (
          <Loading />
        ) : report.isError ? (
          <ErrorState error={report.error} onRetry={() => void report.refetch()} />
        ) : (
          <>
            {report.data.currencies.length === 0 ? (
              <Empty>{t('reserve.none')}</Empty>
            ) : (
              <SimpleGrid cols={{ base: 1, md: 2, xl: 3 }}>
                {report.data.currencies.map((c) => (
                  <CurrencyCard key={c.currency} c={c} />
                ))}
              </SimpleGrid>
            )}
            <Card withBorder padding={0}>
              <Title order={3} size="h5" p="md" pb="xs">
                {t('reserve.recent')}
              </Title>
              {report.data.recent.length === 0 ? (
                <Empty>{t('reserve.recentNone')}</Empty>
              ) : (
                <Table.ScrollContainer minWidth={860}>
                  <Table verticalSpacing="xs" data-testid="reserve-recent">
                    <Table.Thead>
                      <Table.Tr>
                        <Table.Th>{t('reserve.col.time')}</Table.Th>
                        <Table.Th>{t('reserve.col.kind')}</Table.Th>
                        <Table.Th ta="right">{t('reserve.col.amount')}</Table.Th>
                        <Table.Th>{t('reserve.col.case')}</Table.Th>
                        <Table.Th>{t('reserve.col.reason')}</Table.Th>
                        <Table.Th>{t('reserve.col.entry')}</Table.Th>
                      </Table.Tr>
                    </Table.Thead>
                    <Table.Tbody>
                      {report.data.recent.map((m) => {
                        const kind = KIND_KEYS[m.kind];
                        const source = m.source ? SOURCE_KEYS[m.source] : undefined;
                        const outflow = m.kind !== 'reserve_funding';
                        return (
                          <Table.Tr key={m.entryId} data-testid={`reserve-movement-${m.entryId}`}>
                            <Table.Td style={{ whiteSpace: 'nowrap' }}>{i18n.dateTime(m.at)}</Table.Td>
                            <Table.Td>
                              <Text size="sm">{kind ? t(kind) : m.kind}</Text>
                              {source && (
                                <Text size="xs" c="dimmed">
                                  {t(source)}
                                </Text>
                              )}
                            </Table.Td>
                            <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }}>
                              <Text size="sm" c={outflow ? 'red' : 'green'} fw={600}>
                                {`${outflow ? '−' : '+'}${i18n.money(m.amountMinor, m.currency)}`}
                              </Text>
                            </Table.Td>
                            <Table.Td>
                              {m.caseId && auth.can('case.read') ? (
                                <Anchor
                                  component={Link}
                                  to={`/cases/${encodeURIComponent(m.caseId)}`}
                                  size="sm"
                                >
                                  <Id value={m.caseId} />
                                </Anchor>
                              ) : (
                                <Id value={m.caseId} />
                              )}
                            </Table.Td>
                            <Table.Td maw={320}>
                              <Text size="sm" truncate title={m.reason ?? undefined}>
                                {m.reason ?? '—'}
                              </Text>
                            </Table.Td>
                            <Table.Td>
                              {auth.can('ledger.read') ? (
                                <Anchor
                                  component={Link}
                                  to={`/ledger/entries/${encodeURIComponent(m.entryId)}`}
                                  size="sm"
                                >
                                  <Id value={m.entryId} />
                                </Anchor>
                              ) : (
                                <Id value={m.entryId} />
                              )}
                            </Table.Td>
                          </Table.Tr>
                        );
                      })}
                    </Table.Tbody>
                  </Table>
                </Table.ScrollContainer>
              )}
            </Card>
          </>
        )}
      </Stack>
    </>
  );
}

function CurrencyCard({ c }: { c: ReserveCurrency }) {
  const i18n = useI18n();
  const { t } = i18n;
  const money = (minor: string) => i18n.money(minor, c.currency);
  return (
    <Card withBorder data-testid={`reserve-${c.currency}`}>
      <Group justify="space-between" align="flex-start">
        <div>
          <Text size="xs" c="dimmed">
            {t('reserve.balanceNow')}
          </Text>
          <Text fz={26} fw={700} data-testid="reserve-balance">
            {money(c.balanceMinor)}
          </Text>
        </div>
        <Code>{c.currency}</Code>
      </Group>
      <Divider my="sm" />
      <SimpleGrid cols={2} spacing="md">
        <Stack gap={4}>
          <Text size="sm" fw={600}>
            {t('reserve.inflows')}
          </Text>
          <Row label={t('reserve.fees')} value={money(c.inflows.feesMinor)} />
          <Row label={t('reserve.revenue')} value={money(c.inflows.revenueMinor)} />
          <Text size="xs" c="dimmed">
            {t('reserve.count', { count: i18n.number(c.inflows.count) })}
          </Text>
        </Stack>
        <Stack gap={4}>
          <Text size="sm" fw={600}>
            {t('reserve.payouts')}
          </Text>
          <Row label={t('reserve.compensation')} value={money(c.payouts.compensationMinor)} />
          <Row label={t('reserve.provisional')} value={money(c.payouts.provisionalMinor)} />
          <Row label={t('reserve.reversed')} value={money(c.payouts.reversedMinor)} />
          <Text size="xs" c="dimmed">
            {t('reserve.count', { count: i18n.number(c.payouts.count) })}
          </Text>
        </Stack>
      </SimpleGrid>
    </Card>
  );
}

function Row({ label, value }: { label: string; value: string }) {
  return (
    <Group justify="space-between" gap="xs" wrap="nowrap">
      <Text size="sm" c="dimmed">
        {label}
      </Text>
      <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
        {value}
      </Text>
    </Group>
  );
}

/** Moves fee revenue into the reserve; one key per filled-in form, so a retry does not move it twice. */
function FundForm({ currencies }: { currencies: string[] }) {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const queryClient = useQueryClient();
  const [currency, setCurrency] = useState(currencies[0] ?? 'CNY');
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [key, setKey] = useState(newIdempotencyKey);
  const amountMinor = parseMajorToMinor(amount, currency);
  const amountError = touched && amountMinor === null ? t('case.amountInvalid') : null;
  const reasonError =
    touched && reason.trim().length < REASON_MIN ? t('reason.tooShort', { min: REASON_MIN }) : null;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    setDone(null);
    if (amountMinor === null || reason.trim().length < REASON_MIN) return;
    setBusy(true);
    setError(null);
    try {
      const r = await api.post(
        '/v1/reserve/fundings',
        fundAnswer,
        { currency, amountMinor, reason: reason.trim() },
        { idempotencyKey: key },
      );
      setDone(t('reserve.funded', { amount: i18n.money(amountMinor, currency), id: r.entryId }));
      setAmount('');
      setReason('');
      setTouched(false);
      setKey(newIdempotencyKey());
      await queryClient.invalidateQueries({ queryKey: ['reserve'] });
    } catch (err) {
      setError(i18n.errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const edit =
    <T,>(set: (v: T) => void) =>
    (v: T) => {
      set(v);
      // A changed request is a new request: a retry of the old one must not replay into it.
      setKey(newIdempotencyKey());
    };

  return (
    <Card withBorder data-testid="reserve-fund">
      <Title order={3} size="h5">
        {t('reserve.fund')}
      </Title>
      <Text size="xs" c="dimmed" mb="sm">
        {t('reserve.fundDescription')}
      </Text>
      <form onSubmit={submit} noValidate>
        <Group align="flex-start" gap="sm">
          <Select
            label={t('field.currency')}
            data={[...CURRENCY_CODES]}
            value={currency}
            onChange={(v) => v && edit(setCurrency)(v)}
            allowDeselect={false}
            w={110}
          />
          <TextInput
            label={t('reserve.fundAmount', { currency })}
            value={amount}
            onChange={(e) => edit(setAmount)(e.currentTarget.value)}
            inputMode="decimal"
            error={amountError}
            w={180}
            required
          />
          <Textarea
            label={t('reason.label')}
            value={reason}
            onChange={(e) => edit(setReason)(e.currentTarget.value)}
            error={reasonError}
            autosize
            minRows={1}
            maxLength={500}
            style={{ flex: 1, minWidth: 240 }}
            required
          />
          <Button type="submit" loading={busy} mt={25}>
            {t('reserve.fund')}
          </Button>
        </Group>
      </form>
      {error && (
        <Alert color="red" variant="light" role="alert" mt="sm">
          {error}
        </Alert>
      )}
      {done && (
        <Alert color="green" variant="light" role="status" mt="sm" data-testid="reserve-funded">
          {done}
        </Alert>
      )}
    </Card>
  );
}
