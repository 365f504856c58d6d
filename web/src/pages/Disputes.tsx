import { Anchor, Stack, Table, Text } from '@mantine/core';
import { Link } from 'react-router';
import {
  ANY,
  DISPUTE_STATUSES,
  type DisputeFilters,
  disputeAwaitsDecision,
  disputeFiltersFrom,
  disputeFiltersToParams,
  disputeQuery,
  disputeQueue,
  SUPPORT_KEYS,
} from '../api/support.ts';
import { useApi } from '../auth/session.tsx';
import { Id, PageHeader } from '../components/Common.tsx';
import { CursorTable, useCursorList } from '../components/CursorList.tsx';
import { useNow } from '../components/cases/labels.tsx';
import { OverdueSwitch, QueueFilters, SelectFilter, useUrlFilters } from '../components/QueueFilters.tsx';
import { NOWRAP } from '../components/QueueTable.tsx';
import {
  CaseRef,
  CustomerRef,
  Deadline,
  DISPUTE_REASON_KEYS,
  DISPUTE_STATUS_KEYS,
  DisputeStatusBadge,
  ProvisionalBadge,
} from '../components/support/labels.tsx';
import { useI18n } from '../i18n/index.tsx';
import { REFRESH_MS } from './Overview.tsx';

/** The dispute queue: soonest deadline first, filtered by status and lateness, a page at a time. */
export function Disputes() {
  const { t } = useI18n();
  const [filters, setFilters] = useUrlFilters(disputeFiltersFrom, disputeFiltersToParams);
  return (
    <>
      <PageHeader title={t('disputes.title')} description={t('disputes.description')} />
      <Stack>
        <QueueFilters>
          <SelectFilter
            label={t('disputes.filter.status')}
            options={[
              ...DISPUTE_STATUSES.map((s) => ({ value: s, label: t(DISPUTE_STATUS_KEYS[s]) })),
              { value: ANY, label: t('support.anyStatus') },
            ]}
            value={filters.status}
            onChange={(status) => setFilters({ status: status ?? 'open' })}
            required
            w={200}
            testId="filter-status"
          />
          <OverdueSwitch checked={filters.overdue} onChange={(overdue) => setFilters({ overdue })} />
        </QueueFilters>
        {/* Other filters are another list: its pages start again from the first. */}
        <DisputeList key={JSON.stringify(filters)} filters={filters} />
      </Stack>
    </>
  );
}

function DisputeList({ filters }: { filters: DisputeFilters }) {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const nowMs = useNow();
  const { pager, list } = useCursorList(
    SUPPORT_KEYS.disputes(disputeQuery(filters, undefined)),
    (cursor) => api.get('/v1/staff/disputes', disputeQueue, disputeQuery(filters, cursor)),
    (page) => (page === 1 ? REFRESH_MS : false),
  );
  return (
    <CursorTable
      list={list}
      pager={pager}
      testId="disputes-table"
      minWidth={1080}
      empty={filters.status === 'open' && !filters.overdue ? t('disputes.none') : t('disputes.empty')}
      head={
        <>
          <Table.Th>{t('disputes.col.reason')}</Table.Th>
          <Table.Th>{t('disputes.col.customer')}</Table.Th>
          <Table.Th>{t('disputes.col.merchant')}</Table.Th>
          <Table.Th ta="right">{t('disputes.col.amount')}</Table.Th>
          <Table.Th style={NOWRAP}>{t('disputes.col.provisional')}</Table.Th>
          <Table.Th style={NOWRAP}>{t('disputes.col.status')}</Table.Th>
          <Table.Th style={NOWRAP}>{t('disputes.col.deadline')}</Table.Th>
          <Table.Th>{t('disputes.col.case')}</Table.Th>
        </>
      }
      row={(d) => (
        <Table.Tr
          key={d.id}
          data-testid={`dispute-row-${d.id}`}
          data-overdue={d.overdue ? 'true' : 'false'}
          bg={d.overdue ? 'var(--mantine-color-red-light)' : undefined}
        >
          <Table.Td>
            <Anchor
              component={Link}
              to={`/disputes/${encodeURIComponent(d.id)}`}
              fw={600}
              data-testid={`dispute-link-${d.id}`}
            >
              {t(DISPUTE_REASON_KEYS[d.reason])}
            </Anchor>
            <Text size="xs" c="dimmed">
              <Id value={d.id} />
            </Text>
          </Table.Td>
          <Table.Td>
            <CustomerRef id={d.customerId} />
          </Table.Td>
          <Table.Td>{d.merchantId ? <Id value={d.merchantId} /> : <Text size="sm">—</Text>}</Table.Td>
          <Table.Td ta="right" style={NOWRAP}>
            {i18n.money(d.amountMinor, d.currency)}
          </Table.Td>
          <Table.Td style={NOWRAP}>
            <ProvisionalBadge status={d.provisionalStatus} />
          </Table.Td>
          <Table.Td style={NOWRAP}>
            <DisputeStatusBadge status={d.status} />
          </Table.Td>
          <Table.Td>
            <Deadline
              dueAt={d.dueAt}
              overdue={d.overdue}
              settled={!disputeAwaitsDecision(d.status)}
              nowMs={nowMs}
            />
          </Table.Td>
          <Table.Td>
            <CaseRef id={d.caseId} />
          </Table.Td>
        </Table.Tr>
      )}
    />
  );
}
