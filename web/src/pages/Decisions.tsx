import { Anchor, Card, Group, SegmentedControl, Stack, Table, Text } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { decisionsPage } from '../api/resources.ts';
import { useApi } from '../auth/session.tsx';
import { Id, OutcomeBadge, PageHeader, useKindLabel } from '../components/Common.tsx';
import { Pager, useCursor } from '../components/Pager.tsx';
import { Empty, ErrorState, Loading } from '../components/States.tsx';
import { useI18n } from '../i18n/index.tsx';
import { REFRESH_MS } from './Overview.tsx';

const PAGE_SIZE = 50;

/** The stream of risk decisions, newest first; the first page follows new decisions. */
export function Decisions() {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const kindLabel = useKindLabel();
  const pager = useCursor();
  const [outcome, setOutcome] = useState('all');
  const list = useQuery({
    queryKey: ['decisions', outcome, pager.cursor],
    queryFn: () =>
      api.get('/v1/decisions', decisionsPage, {
        outcome: outcome === 'all' ? undefined : outcome,
        limit: PAGE_SIZE,
        cursor: pager.cursor,
      }),
    placeholderData: keepPreviousData,
    refetchInterval: pager.page === 1 ? REFRESH_MS : false,
  });

  return (
    <>
      <PageHeader
        title={t('decisions.title')}
        description={t('decisions.description')}
        right={
          <SegmentedControl
            aria-label={t('decisions.filter')}
            data-testid="outcome-filter"
            value={outcome}
            onChange={(v) => {
              pager.reset();
              setOutcome(v);
            }}
            data={[
              { value: 'all', label: t('decisions.all') },
              { value: 'ALLOW', label: t('outcome.ALLOW') },
              { value: 'REVIEW', label: t('outcome.REVIEW') },
              { value: 'BLOCK', label: t('outcome.BLOCK') },
            ]}
          />
        }
      />
      <Stack>
        {list.isPending ? (
          <Loading />
        ) : list.isError ? (
          <ErrorState error={list.error} onRetry={() => void list.refetch()} />
        ) : list.data.items.length === 0 ? (
          <Empty />
        ) : (
          <Card withBorder padding={0}>
            <Table.ScrollContainer minWidth={900}>
              <Table highlightOnHover data-testid="decisions-table">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('field.time')}</Table.Th>
                    <Table.Th>{t('field.decision')}</Table.Th>
                    <Table.Th>{t('field.kind')}</Table.Th>
                    <Table.Th ta="right">{t('field.amount')}</Table.Th>
                    <Table.Th>{t('field.reasons')}</Table.Th>
                    <Table.Th>{t('field.subject')}</Table.Th>
                    <Table.Th>{t('field.result')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {list.data.items.map((d, i) => (
                    <Table.Tr key={d.id || String(i)}>
                      <Table.Td>{i18n.dateTime(d.createdAt)}</Table.Td>
                      <Table.Td>
                        <OutcomeBadge outcome={d.outcome} />
                      </Table.Td>
                      <Table.Td>{d.eventType ? kindLabel(d.eventType) : '—'}</Table.Td>
                      <Table.Td ta="right">
                        {d.amountMinor && d.currency ? i18n.money(d.amountMinor, d.currency) : '—'}
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm">{d.reasonCodes.join(', ') || '—'}</Text>
                      </Table.Td>
                      <Table.Td>
                        {d.customerId?.startsWith('cus_') ? (
                          <Anchor component={Link} to={`/customers/${d.customerId}`}>
                            <Id value={d.customerId} />
                          </Anchor>
                        ) : (
                          <Id value={d.customerId} />
                        )}
                      </Table.Td>
                      <Table.Td>
                        <Group gap={4}>
                          {d.entryId && (
                            <Anchor component={Link} to={`/ledger/entries/${d.entryId}`} size="sm">
                              {t('decisions.entry')}
                            </Anchor>
                          )}
                          {d.holdId && (
                            <Anchor component={Link} to={`/holds/${d.holdId}`} size="sm">
                              {t('decisions.hold')}
                            </Anchor>
                          )}
                          {!d.entryId && !d.holdId && '—'}
                        </Group>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          </Card>
        )}
        {list.data && <Pager pager={pager} nextCursor={list.data.nextCursor} loading={list.isFetching} />}
      </Stack>
    </>
  );
}
