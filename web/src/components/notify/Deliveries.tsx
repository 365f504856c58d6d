import { Alert, Button, Card, Code, Group, SegmentedControl, Stack, Table, Text, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import {
  canRedeliver,
  DELIVERY_PAGE_SIZE,
  DELIVERY_STATUSES,
  type Delivery,
  type DeliveryStatus,
  delivery as deliveryDecoder,
  deliveryPage,
  isDeliveryStatus,
  NOTIFY_KEYS,
  type Webhook,
} from '../../api/notify.ts';
import { newIdempotencyKey } from '../../api/rules.ts';
import { useApi, useAuth } from '../../auth/session.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { Id } from '../Common.tsx';
import { CursorTable, useCursorList } from '../CursorList.tsx';
import { ATTEMPT_OUTCOME_KEYS, DELIVERY_STATUS_KEYS, DeliveryStatusBadge } from './labels.tsx';

/** The first page follows new deliveries and retries this often. */
const LOG_REFRESH_MS = 15_000;
const NOWRAP = { whiteSpace: 'nowrap' } as const;

/**
 * An endpoint's delivery log, newest first: each delivery's status, attempts, last answer,
 * last error and next attempt, its attempts on demand, and — for users who manage
 * notifications — sending a finished delivery once more.
 */
export function DeliveryLog({
  webhook,
  status,
  onStatus,
}: {
  webhook: Webhook;
  status: DeliveryStatus | null;
  onStatus(status: DeliveryStatus | null): void;
}) {
  const { t } = useI18n();
  return (
    <Card withBorder data-testid="delivery-log">
      <Group justify="space-between" mb="sm" align="flex-start">
        <Stack gap={0} style={{ minWidth: 0 }}>
          <Title order={3} size="h5">
            {t('deliveries.title')}
          </Title>
          <Text size="xs" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
            {webhook.url}
          </Text>
        </Stack>
        <SegmentedControl
          size="xs"
          aria-label={t('deliveries.filter')}
          value={status ?? 'all'}
          onChange={(v) => onStatus(isDeliveryStatus(v) ? v : null)}
          data={[
            { value: 'all', label: t('deliveries.all') },
            ...DELIVERY_STATUSES.map((s) => ({ value: s, label: t(DELIVERY_STATUS_KEYS[s]) })),
          ]}
          data-testid="delivery-filter"
        />
      </Group>
      {/* Another endpoint or filter is another list: its pages start again from the first. */}
      <Log key={`${webhook.id}-${status ?? 'all'}`} webhookId={webhook.id} status={status} />
    </Card>
  );
}

function Log({ webhookId, status }: { webhookId: string; status: DeliveryStatus | null }) {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const auth = useAuth();
  const queryClient = useQueryClient();
  const manage = auth.can('notify.manage');
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const [busy, setBusy] = useState<string | null>(null);
  const [notice, setNotice] = useState<{ color: 'green' | 'red'; text: string } | null>(null);
  const { pager, list } = useCursorList(
    NOTIFY_KEYS.deliveries(webhookId, status ?? 'all'),
    (cursor) =>
      api.get(`/v1/notify/webhooks/${encodeURIComponent(webhookId)}/deliveries`, deliveryPage, {
        status: status ?? undefined,
        limit: DELIVERY_PAGE_SIZE,
        cursor,
      }),
    (page) => (page === 1 ? LOG_REFRESH_MS : false),
  );

  const toggle = (id: string) =>
    setOpen((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  const redeliver = async (d: Delivery) => {
    setBusy(d.id);
    setNotice(null);
    try {
      await api.post(
        `/v1/notify/deliveries/${encodeURIComponent(d.id)}/redeliver`,
        deliveryDecoder,
        {},
        {
          idempotencyKey: newIdempotencyKey(),
        },
      );
      setNotice({ color: 'green', text: t('deliveries.redelivered', { id: d.id }) });
      await queryClient.invalidateQueries({ queryKey: ['notify', 'deliveries', webhookId] });
    } catch (err) {
      setNotice({ color: 'red', text: i18n.errorText(err) });
    } finally {
      setBusy(null);
    }
  };

  return (
    <Stack gap="sm">
      {notice && (
        <Alert
          color={notice.color}
          variant="light"
          role={notice.color === 'red' ? 'alert' : 'status'}
          withCloseButton
          onClose={() => setNotice(null)}
          data-testid="deliveries-notice"
        >
          {notice.text}
        </Alert>
      )}
      <CursorTable
        list={list}
        pager={pager}
        testId="deliveries-table"
        minWidth={1000}
        empty={status ? t('deliveries.emptyStatus') : t('deliveries.none')}
        head={
          <>
            <Table.Th style={NOWRAP}>{t('deliveries.col.created')}</Table.Th>
            <Table.Th>{t('deliveries.col.topic')}</Table.Th>
            <Table.Th>{t('deliveries.col.status')}</Table.Th>
            <Table.Th style={NOWRAP}>{t('deliveries.col.attempts')}</Table.Th>
            <Table.Th style={NOWRAP}>{t('deliveries.col.statusCode')}</Table.Th>
            <Table.Th style={NOWRAP}>{t('deliveries.col.error')}</Table.Th>
            <Table.Th style={NOWRAP}>{t('deliveries.col.next')}</Table.Th>
            <Table.Th />
          </>
        }
        row={(d) => (
          <Fragment key={d.id}>
            <Table.Tr data-testid={`delivery-${d.id}`} data-status={d.status}>
              <Table.Td style={NOWRAP}>
                <Text size="sm">{i18n.dateTime(d.createdAt)}</Text>
                <Id value={d.id} />
              </Table.Td>
              <Table.Td>
                <Code>{d.topic}</Code>
              </Table.Td>
              <Table.Td>
                <DeliveryStatusBadge status={d.status} />
                {d.deliveredAt && (
                  <Text size="xs" c="dimmed" style={NOWRAP}>
                    {i18n.dateTime(d.deliveredAt)}
                  </Text>
                )}
              </Table.Td>
              <Table.Td style={NOWRAP} data-testid="delivery-attempts">
                {t('deliveries.attemptsOf', {
                  attempts: i18n.number(d.attempts),
                  max: i18n.number(d.maxAttempts),
                })}
              </Table.Td>
              <Table.Td data-testid="delivery-code">
                {d.lastStatusCode === null ? (
                  '—'
                ) : (
                  <Text size="sm" fw={600} c={d.lastStatusCode < 300 ? 'teal' : 'red'}>
                    {d.lastStatusCode}
                  </Text>
                )}
              </Table.Td>
              <Table.Td maw={240}>
                <Text
                  size="sm"
                  c={d.lastError ? 'red' : 'dimmed'}
                  lineClamp={2}
                  title={d.lastError ?? undefined}
                >
                  {d.lastError ?? '—'}
                </Text>
              </Table.Td>
              <Table.Td style={NOWRAP}>
                <Text size="sm">{d.nextAttemptAt ? i18n.dateTime(d.nextAttemptAt) : '—'}</Text>
              </Table.Td>
              <Table.Td>
                <Stack gap={4} align="flex-end">
                  <Button
                    size="compact-xs"
                    variant="subtle"
                    disabled={d.log.length === 0}
                    onClick={() => toggle(d.id)}
                    aria-expanded={open.has(d.id)}
                    data-testid={`delivery-toggle-${d.id}`}
                  >
                    {open.has(d.id) ? t('deliveries.hideAttempts') : t('deliveries.showAttempts')}
                  </Button>
                  {manage && canRedeliver(d) && (
                    <Button
                      size="compact-xs"
                      variant="light"
                      loading={busy === d.id}
                      onClick={() => void redeliver(d)}
                      data-testid={`redeliver-${d.id}`}
                    >
                      {t('deliveries.redeliver')}
                    </Button>
                  )}
                </Stack>
              </Table.Td>
            </Table.Tr>
            {open.has(d.id) && (
              <Table.Tr>
                <Table.Td colSpan={8} bg="var(--mantine-color-default-hover)">
                  <Attempts d={d} />
                </Table.Td>
              </Table.Tr>
            )}
          </Fragment>
        )}
      />
    </Stack>
  );
}

function Attempts({ d }: { d: Delivery }) {
  const i18n = useI18n();
  const { t } = i18n;
  return (
    <Table verticalSpacing={4} data-testid={`attempts-${d.id}`}>
      <Table.Thead>
        <Table.Tr>
          <Table.Th>{t('deliveries.attempt')}</Table.Th>
          <Table.Th>{t('deliveries.startedAt')}</Table.Th>
          <Table.Th ta="right">{t('deliveries.duration')}</Table.Th>
          <Table.Th>{t('deliveries.col.statusCode')}</Table.Th>
          <Table.Th>{t('deliveries.outcome')}</Table.Th>
          <Table.Th>{t('deliveries.col.error')}</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {d.log.map((a) => (
          <Table.Tr key={a.attempt}>
            <Table.Td>{i18n.number(a.attempt)}</Table.Td>
            <Table.Td style={NOWRAP}>{i18n.dateTime(a.startedAt)}</Table.Td>
            <Table.Td ta="right">{t('deliveries.ms', { ms: i18n.number(a.durationMs) })}</Table.Td>
            <Table.Td>{a.statusCode ?? '—'}</Table.Td>
            <Table.Td>{t(ATTEMPT_OUTCOME_KEYS[a.outcome])}</Table.Td>
            <Table.Td>
              <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
                {a.error ?? '—'}
              </Text>
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
