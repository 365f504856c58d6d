import { Anchor, Button, Code, Group, SimpleGrid, Stack, Table, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { ApiError } from '../api/errors.ts';
import { type Account, customer, customerOverview, revealResult } from '../api/resources.ts';
import { useApi, useAuth } from '../auth/session.tsx';
import { Id, OutcomeBadge, PageHeader, StatusBadge, useKindLabel } from '../components/Common.tsx';
import { SubjectCases } from '../components/cases/SubjectCases.tsx';
import { Field, KeyValues, PartialNotice, Section } from '../components/Detail.tsx';
import { CustomerNotifications } from '../components/notify/CustomerNotifications.tsx';
import { ReasonDialog } from '../components/ReasonDialog.tsx';
import { Empty, QueryView } from '../components/States.tsx';
import type { MessageKey } from '../i18n/en.ts';
import { useI18n } from '../i18n/index.tsx';

const PII_FIELDS = ['phone', 'email', 'name', 'document'] as const;
type PiiField = (typeof PII_FIELDS)[number];
const FIELD_LABELS: Record<PiiField, MessageKey> = {
  phone: 'field.phone',
  email: 'field.email',
  name: 'field.legalName',
  document: 'field.document',
};
export const REVEAL_REASON_MIN = 10;

/** The 360° view: GET /v1/customers/:id/overview, or the customer and wallets where that is not offered yet. */
export function CustomerDetail() {
  const { id = '' } = useParams();
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const auth = useAuth();
  const kindLabel = useKindLabel();
  const [revealing, setRevealing] = useState<PiiField | null>(null);
  // The dialog keeps its title while it closes.
  const [dialogField, setDialogField] = useState<PiiField>('phone');
  const [revealed, setRevealed] = useState<{ field: PiiField; value: string } | null>(null);
  const [revealError, setRevealError] = useState<string | null>(null);

  const q = useQuery({
    queryKey: ['customer', id],
    queryFn: async () => {
      try {
        return {
          full: true,
          view: await api.get(`/v1/customers/${encodeURIComponent(id)}/overview`, customerOverview),
        };
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 'NOT_AVAILABLE')) throw err;
        const c = await api.get(`/v1/customers/${encodeURIComponent(id)}`, customer);
        return {
          full: false,
          view: {
            customer: c,
            wallets: c.wallets,
            kyc: null,
            sessions: [],
            devices: [],
            decisions: [],
            holds: [],
          },
        };
      }
    },
  });

  const reveal = async ({ reason }: { reason: string }) => {
    if (!revealing) return;
    setRevealError(null);
    try {
      const r = await api.post(`/v1/customers/${encodeURIComponent(id)}/pii/reveal`, revealResult, {
        field: revealing,
        reason,
      });
      setRevealed({ field: revealing, value: r.value });
      setRevealing(null);
    } catch (err) {
      setRevealError(i18n.errorText(err));
    }
  };

  return (
    <QueryView query={q}>
      {({ full, view }) => {
        const c = view.customer;
        return (
          <>
            <PageHeader
              title={c.displayName || c.id}
              description={t('customer.subtitle', { id: c.id })}
              right={<StatusBadge status={c.status} />}
            />
            <Stack>
              {!full && <PartialNotice>{t('customer.partial')}</PartialNotice>}
              <SimpleGrid cols={{ base: 1, md: 2 }}>
                <Section title={t('customer.profile')}>
                  <KeyValues>
                    <Field label={t('field.id')} w={160}>
                      <Code>{c.id}</Code>
                    </Field>
                    <Field label={t('field.kycTier')}>
                      {(view.kyc?.tier ?? c.kycTier) === null
                        ? '—'
                        : t('customers.tier', { tier: view.kyc?.tier ?? c.kycTier ?? 0 })}
                    </Field>
                    <Field label={t('field.createdAt')}>{i18n.dateTime(c.createdAt)}</Field>
                    {PII_FIELDS.map((f) => {
                      const masked =
                        f === 'phone'
                          ? c.phone
                          : f === 'email'
                            ? c.email
                            : f === 'name'
                              ? (view.kyc?.name ?? null)
                              : (view.kyc?.documentNumber ?? null);
                      return (
                        <Table.Tr key={f}>
                          <Table.Th>{t(FIELD_LABELS[f])}</Table.Th>
                          <Table.Td>
                            <Group gap="xs" wrap="nowrap">
                              <Text span>{revealed?.field === f ? revealed.value : (masked ?? '—')}</Text>
                              {revealed?.field === f ? (
                                <Button size="compact-xs" variant="subtle" onClick={() => setRevealed(null)}>
                                  {t('reveal.hide')}
                                </Button>
                              ) : (
                                auth.can('pii.reveal') &&
                                masked !== null && (
                                  <Button
                                    size="compact-xs"
                                    variant="light"
                                    onClick={() => {
                                      setRevealError(null);
                                      setDialogField(f);
                                      setRevealing(f);
                                    }}
                                    aria-label={t('reveal.buttonFor', { field: t(FIELD_LABELS[f]) })}
                                  >
                                    {t('reveal.button')}
                                  </Button>
                                )
                              )}
                            </Group>
                          </Table.Td>
                        </Table.Tr>
                      );
                    })}
                  </KeyValues>
                </Section>
                <Section title={t('customer.wallets')}>
                  {view.wallets.length === 0 ? <Empty /> : <WalletTable wallets={view.wallets} />}
                </Section>
              </SimpleGrid>
              {full && (
                <>
                  <Section title={t('customer.pendingHolds')}>
                    {view.holds.length === 0 ? (
                      <Empty>{t('customer.noHolds')}</Empty>
                    ) : (
                      <Table>
                        <Table.Thead>
                          <Table.Tr>
                            <Table.Th>{t('field.kind')}</Table.Th>
                            <Table.Th ta="right">{t('field.amount')}</Table.Th>
                            <Table.Th>{t('field.createdAt')}</Table.Th>
                            <Table.Th>{t('field.expiresAt')}</Table.Th>
                          </Table.Tr>
                        </Table.Thead>
                        <Table.Tbody>
                          {view.holds.map((h) => (
                            <Table.Tr key={h.id}>
                              <Table.Td>
                                <Anchor component={Link} to={`/holds/${h.id}`}>
                                  {kindLabel(h.kind)}
                                </Anchor>
                              </Table.Td>
                              <Table.Td ta="right">{i18n.money(h.amountMinor, h.currency)}</Table.Td>
                              <Table.Td>{i18n.dateTime(h.createdAt)}</Table.Td>
                              <Table.Td>{i18n.dateTime(h.expiresAt)}</Table.Td>
                            </Table.Tr>
                          ))}
                        </Table.Tbody>
                      </Table>
                    )}
                  </Section>
                  <SimpleGrid cols={{ base: 1, md: 2 }}>
                    <Section title={t('customer.decisions')}>
                      {view.decisions.length === 0 ? (
                        <Empty />
                      ) : (
                        <Stack gap="xs">
                          {view.decisions.map((d) => (
                            <Group key={d.id || `${d.createdAt}`} gap="xs" wrap="nowrap">
                              <OutcomeBadge outcome={d.outcome} />
                              <Text size="sm">
                                {d.amountMinor && d.currency ? i18n.money(d.amountMinor, d.currency) : ''}{' '}
                                {d.reasonCodes.join(', ')}
                              </Text>
                              {d.id && auth.can('ledger.read') ? (
                                <Anchor component={Link} to={`/decisions/${d.id}`} size="xs" ml="auto">
                                  {i18n.dateTime(d.createdAt)}
                                </Anchor>
                              ) : (
                                <Text size="xs" c="dimmed" ml="auto">
                                  {i18n.dateTime(d.createdAt)}
                                </Text>
                              )}
                            </Group>
                          ))}
                        </Stack>
                      )}
                    </Section>
                    <Section title={t('customer.sessions')}>
                      {view.sessions.length + view.devices.length === 0 ? (
                        <Empty />
                      ) : (
                        <Stack gap="xs">
                          {[...view.sessions, ...view.devices].map((s, i) => (
                            <Group key={s.id || String(i)} gap="xs" wrap="nowrap">
                              <Id value={s.deviceId ?? s.id} />
                              <Text size="sm" lineClamp={1}>
                                {s.userAgent ?? ''} {s.ip ?? ''}
                              </Text>
                              <Text size="xs" c="dimmed" ml="auto">
                                {i18n.dateTime(s.lastSeenAt ?? s.createdAt)}
                              </Text>
                            </Group>
                          ))}
                        </Stack>
                      )}
                    </Section>
                  </SimpleGrid>
                </>
              )}
              {auth.can('case.read') && <SubjectCases subjectId={c.id} />}
              <CustomerNotifications customerId={c.id} />
            </Stack>
            <ReasonDialog
              opened={revealing !== null}
              onClose={() => setRevealing(null)}
              title={t('reveal.title', { field: t(FIELD_LABELS[dialogField]) })}
              description={t('reveal.description')}
              confirmLabel={t('reveal.confirm')}
              color="orange"
              minLength={REVEAL_REASON_MIN}
              onSubmit={reveal}
              error={revealError}
            />
          </>
        );
      }}
    </QueryView>
  );
}

export function WalletTable({ wallets }: { wallets: Account[] }) {
  const i18n = useI18n();
  const { t } = i18n;
  return (
    <Table data-testid="wallets-table">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>{t('field.currency')}</Table.Th>
          <Table.Th ta="right">{t('balance.posted')}</Table.Th>
          <Table.Th ta="right">{t('balance.held')}</Table.Th>
          <Table.Th ta="right">{t('balance.available')}</Table.Th>
          <Table.Th>{t('field.status')}</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {wallets.map((w) => (
          <Table.Tr key={w.id} data-testid={`wallet-${w.id}`}>
            <Table.Td>{w.currency}</Table.Td>
            <Table.Td ta="right" data-testid="balance-posted">
              {i18n.money(w.postedMinor, w.currency)}
            </Table.Td>
            <Table.Td ta="right" data-testid="balance-held">
              {i18n.money(w.heldMinor, w.currency)}
            </Table.Td>
            <Table.Td ta="right" data-testid="balance-available">
              {i18n.money(w.availableMinor, w.currency)}
            </Table.Td>
            <Table.Td>
              <StatusBadge status={w.status} />
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
