import { Alert, Anchor, Button, Card, Code, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { account, decision, hold, holdResult } from '../api/resources.ts';
import { useApi, useAuth } from '../auth/session.tsx';
import { OutcomeBadge, PageHeader, StatusBadge, useKindLabel } from '../components/Common.tsx';
import { Field, KeyValues, Section } from '../components/Detail.tsx';
import { MetadataRows } from '../components/Metadata.tsx';
import { ReasonDialog } from '../components/ReasonDialog.tsx';
import { ErrorState, Loading, QueryView } from '../components/States.tsx';
import { parseMajorToMinor } from '../format/money.ts';
import { useI18n } from '../i18n/index.tsx';

type Decide = 'release' | 'void';

function newIdempotencyKey(): string {
  return `console-${crypto.randomUUID()}`;
}

/** One held movement: what was decided and why, the account's balance, and release or void with a reason. */
export function HoldDetail() {
  const { id = '' } = useParams();
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const auth = useAuth();
  const queryClient = useQueryClient();
  const kindLabel = useKindLabel();
  const [deciding, setDeciding] = useState<Decide | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  // One key per opened dialog: a retry after a lost answer replays instead of acting twice.
  const idempotencyKey = useMemo(() => (deciding ? newIdempotencyKey() : ''), [deciding]);

  const h = useQuery({
    queryKey: ['hold', id],
    queryFn: () => api.get(`/v1/holds/${encodeURIComponent(id)}`, hold),
  });
  const accountId = h.data?.accountId;
  const acct = useQuery({
    queryKey: ['account', accountId],
    queryFn: () => api.get(`/v1/accounts/${encodeURIComponent(accountId ?? '')}`, account),
    enabled: accountId !== undefined,
  });
  const decisionId = h.data?.decisionId;
  const dec = useQuery({
    queryKey: ['decision', decisionId],
    queryFn: () => api.get(`/v1/decisions/${encodeURIComponent(decisionId ?? '')}`, decision),
    enabled: decisionId !== undefined && decisionId !== null && auth.can('ledger.read'),
  });

  const submit = async ({ reason, amount }: { reason: string; amount: string }) => {
    if (!deciding || !h.data) return;
    setError(null);
    const currency = h.data.currency;
    const amountMinor = amount ? parseMajorToMinor(amount, currency) : null;
    try {
      const path = `/v1/holds/${encodeURIComponent(id)}/${deciding === 'release' ? 'post' : 'void'}`;
      const body = deciding === 'release' && amountMinor ? { reason, amountMinor } : { reason };
      await api.post(path, holdResult, body, { idempotencyKey });
      setDone(deciding === 'release' ? t('hold.released') : t('hold.voided'));
      setDeciding(null);
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: ['hold', id] }),
        queryClient.invalidateQueries({ queryKey: ['account'] }),
        queryClient.invalidateQueries({ queryKey: ['holds'] }),
        queryClient.invalidateQueries({ queryKey: ['customer'] }),
        queryClient.invalidateQueries({ queryKey: ['overview'] }),
      ]);
    } catch (err) {
      setError(i18n.errorText(err));
    }
  };

  return (
    <QueryView query={h}>
      {(data) => {
        const pending = data.status === 'pending';
        return (
          <>
            <PageHeader
              title={t('hold.title', {
                kind: kindLabel(data.kind),
                amount: i18n.money(data.amountMinor, data.currency),
              })}
              description={t('hold.subtitle', { id: data.id })}
              right={<StatusBadge status={data.status} />}
            />
            <Stack>
              {done && (
                <Alert
                  color="green"
                  variant="light"
                  role="status"
                  data-testid="hold-done"
                  withCloseButton
                  onClose={() => setDone(null)}
                >
                  {done}
                </Alert>
              )}
              {pending && auth.can('hold.decide') && (
                <Group>
                  <Button
                    color="green"
                    onClick={() => {
                      setError(null);
                      setDeciding('release');
                    }}
                  >
                    {t('hold.release')}
                  </Button>
                  <Button
                    color="red"
                    variant="light"
                    onClick={() => {
                      setError(null);
                      setDeciding('void');
                    }}
                  >
                    {t('hold.void')}
                  </Button>
                </Group>
              )}
              {pending && !auth.can('hold.decide') && (
                <Text size="sm" c="dimmed">
                  {t('hold.cannotDecide')}
                </Text>
              )}
              <SimpleGrid cols={{ base: 1, md: 2 }}>
                <Section title={t('hold.details')}>
                  <KeyValues>
                    <Field label={t('field.amount')} w={170}>
                      {i18n.money(data.amountMinor, data.currency)}
                    </Field>
                    {data.postedMinor !== null && data.postedMinor !== '0' && (
                      <Field label={t('hold.postedAmount')}>
                        {i18n.money(data.postedMinor, data.currency)}
                      </Field>
                    )}
                    <Field label={t('field.kind')}>{kindLabel(data.kind)}</Field>
                    <Field label={t('field.account')}>
                      <Code>{data.accountId}</Code>
                    </Field>
                    {acct.data?.ownerId && (
                      <Field label={t('field.owner')}>
                        <Anchor component={Link} to={`/customers/${acct.data.ownerId}`}>
                          {acct.data.ownerId}
                        </Anchor>
                      </Field>
                    )}
                    <Field label={t('field.createdAt')}>{i18n.dateTime(data.createdAt)}</Field>
                    <Field label={t('field.expiresAt')}>{i18n.dateTime(data.expiresAt)}</Field>
                    {data.entryId && (
                      <Field label={t('field.entry')}>
                        <Anchor component={Link} to={`/ledger/entries/${data.entryId}`}>
                          {data.entryId}
                        </Anchor>
                      </Field>
                    )}
                    <MetadataRows metadata={data.metadata} currency={data.currency} />
                  </KeyValues>
                </Section>
                <Stack>
                  <Card withBorder data-testid="account-balance">
                    <Title order={3} size="h5" mb="xs">
                      {t('hold.balance')}
                    </Title>
                    {acct.isPending ? (
                      <Loading />
                    ) : acct.isError ? (
                      <ErrorState error={acct.error} onRetry={() => void acct.refetch()} />
                    ) : (
                      <SimpleGrid cols={3}>
                        <Balance
                          label={t('balance.posted')}
                          value={i18n.money(acct.data.postedMinor, acct.data.currency)}
                          testId="balance-posted"
                        />
                        <Balance
                          label={t('balance.held')}
                          value={i18n.money(acct.data.heldMinor, acct.data.currency)}
                          testId="balance-held"
                        />
                        <Balance
                          label={t('balance.available')}
                          value={i18n.money(acct.data.availableMinor, acct.data.currency)}
                          testId="balance-available"
                        />
                      </SimpleGrid>
                    )}
                  </Card>
                  <Section title={t('hold.decision')}>
                    {dec.data ? (
                      <Stack gap={6}>
                        <Group gap="xs">
                          <OutcomeBadge outcome={dec.data.outcome} />
                          <Text size="sm">{dec.data.reasonCodes.join(', ') || '—'}</Text>
                        </Group>
                        {dec.data.customerMessage && (
                          <Text size="sm" c="dimmed">
                            {t('hold.customerSaw', { message: dec.data.customerMessage })}
                          </Text>
                        )}
                        {data.decisionId && (
                          <Anchor
                            component={Link}
                            to={`/decisions/${data.decisionId}`}
                            size="sm"
                            data-testid="open-decision"
                          >
                            {t('hold.openDecision')}
                          </Anchor>
                        )}
                      </Stack>
                    ) : data.decision ? (
                      <Group gap="xs">
                        <OutcomeBadge outcome={data.decision.outcome} />
                        <Text size="sm">{data.decision.reasonCodes.join(', ') || '—'}</Text>
                      </Group>
                    ) : dec.isError ? (
                      <ErrorState error={dec.error} />
                    ) : dec.isFetching ? (
                      <Loading />
                    ) : (
                      <Text c="dimmed">{data.decisionId ?? '—'}</Text>
                    )}
                  </Section>
                </Stack>
              </SimpleGrid>
            </Stack>
            <ReasonDialog
              opened={deciding !== null}
              onClose={() => setDeciding(null)}
              title={deciding === 'release' ? t('hold.releaseTitle') : t('hold.voidTitle')}
              description={
                deciding === 'release'
                  ? t('hold.releaseDescription', { amount: i18n.money(data.amountMinor, data.currency) })
                  : t('hold.voidDescription', { amount: i18n.money(data.amountMinor, data.currency) })
              }
              confirmLabel={deciding === 'release' ? t('hold.release') : t('hold.void')}
              color={deciding === 'release' ? 'green' : 'red'}
              {...(deciding === 'release'
                ? {
                    amountLabel: t('hold.partialAmount', { currency: data.currency }),
                    amountHint: t('hold.partialHint'),
                    validateAmount: (typed: string) => {
                      const m = parseMajorToMinor(typed, data.currency);
                      if (m === null) return t('hold.amountInvalid');
                      return BigInt(m) > BigInt(data.amountMinor) ? t('hold.amountTooLarge') : null;
                    },
                  }
                : {})}
              onSubmit={submit}
              error={error}
            />
          </>
        );
      }}
    </QueryView>
  );
}

function Balance({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text fw={700} data-testid={testId}>
        {value}
      </Text>
    </div>
  );
}
