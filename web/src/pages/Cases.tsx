import { Anchor, Stack, Table, Text } from '@mantine/core';
import { Link } from 'react-router';
import {
  CASE_KEYS,
  CASE_KINDS,
  CASE_STATUSES,
  caseFiltersFrom,
  caseList,
  caseQuery,
  filtersToParams,
} from '../api/cases.ts';
import { useApi } from '../auth/session.tsx';
import { Id, PageHeader } from '../components/Common.tsx';
import {
  Assignee,
  CASE_KIND_KEYS,
  CASE_STATUS_KEYS,
  CaseStatusBadge,
  DISPOSITION_KEYS,
  Due,
  SeverityBadge,
  SubjectRef,
  useNow,
} from '../components/cases/labels.tsx';
import {
  AssigneeFilter,
  OverdueSwitch,
  QueueFilters,
  SelectFilter,
  useUrlFilters,
} from '../components/QueueFilters.tsx';
import { NOWRAP, OffsetQueueTable, useQueuePage } from '../components/QueueTable.tsx';
import { useI18n } from '../i18n/index.tsx';
import { REFRESH_MS } from './Overview.tsx';

/** The status filter's value for "every case not closed" (the server's default). */
const NOT_CLOSED = 'active';

/** Cases, most urgent first, filtered by status, kind, assignee and lateness. */
export function Cases() {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const nowMs = useNow();
  const [filters, setFilters] = useUrlFilters(caseFiltersFrom, filtersToParams, { page: 1 });
  const query = caseQuery(filters);
  const list = useQueuePage(CASE_KEYS.list(query), () => api.get('/v1/cases', caseList, query), REFRESH_MS);

  return (
    <>
      <PageHeader title={t('cases.title')} description={t('cases.description')} />
      <Stack>
        <QueueFilters>
          <SelectFilter
            label={t('cases.filter.status')}
            options={[
              { value: NOT_CLOSED, label: t('cases.filter.notClosed') },
              ...CASE_STATUSES.map((s) => ({ value: s, label: t(CASE_STATUS_KEYS[s]) })),
            ]}
            value={filters.status ?? NOT_CLOSED}
            onChange={(v) => setFilters({ status: v === NOT_CLOSED ? null : v })}
            required
            w={200}
            testId="filter-status"
          />
          <SelectFilter
            label={t('cases.filter.kind')}
            options={CASE_KINDS.map((k) => ({ value: k, label: t(CASE_KIND_KEYS[k]) }))}
            value={filters.kind}
            onChange={(kind) => setFilters({ kind })}
            w={160}
            testId="filter-kind"
          />
          <AssigneeFilter value={filters.assignee} onChange={(assignee) => setFilters({ assignee })} />
          <OverdueSwitch checked={filters.overdue} onChange={(overdue) => setFilters({ overdue })} />
        </QueueFilters>
        <OffsetQueueTable
          list={list}
          items={(data) => data.cases}
          page={filters.page}
          onPage={(page) => setFilters({ page })}
          testId="cases-table"
          minWidth={1000}
          empty={t('cases.empty')}
          head={
            <>
              <Table.Th style={NOWRAP}>{t('cases.col.severity')}</Table.Th>
              <Table.Th>{t('cases.col.case')}</Table.Th>
              <Table.Th>{t('cases.col.subject')}</Table.Th>
              <Table.Th style={NOWRAP}>{t('cases.col.status')}</Table.Th>
              <Table.Th>{t('cases.col.assignee')}</Table.Th>
              <Table.Th style={NOWRAP}>{t('cases.col.due')}</Table.Th>
              <Table.Th>{t('cases.col.disposition')}</Table.Th>
              <Table.Th>{t('cases.col.updated')}</Table.Th>
            </>
          }
          row={(c) => (
            <Table.Tr key={c.id} data-testid={`case-row-${c.id}`} data-status={c.status}>
              <Table.Td style={NOWRAP}>
                <SeverityBadge severity={c.severity} />
              </Table.Td>
              <Table.Td>
                <Anchor component={Link} to={`/cases/${encodeURIComponent(c.id)}`} fw={600}>
                  {t('case.heading', { kind: t(CASE_KIND_KEYS[c.kind]) })}
                </Anchor>
                <Text size="xs" c="dimmed">
                  <Id value={c.id} />
                </Text>
              </Table.Td>
              <Table.Td>
                <SubjectRef id={c.subjectId} />
              </Table.Td>
              <Table.Td style={NOWRAP}>
                <CaseStatusBadge status={c.status} />
              </Table.Td>
              <Table.Td>
                <Assignee id={c.assigneeId} />
              </Table.Td>
              <Table.Td>
                {c.status === 'closed' || c.status === 'decided' ? (
                  <Text size="sm">{i18n.dateTime(c.dueAt)}</Text>
                ) : (
                  <Due dueAt={c.dueAt} overdue={c.overdue} nowMs={nowMs} />
                )}
              </Table.Td>
              <Table.Td>
                <Text size="sm">{c.disposition ? t(DISPOSITION_KEYS[c.disposition]) : '—'}</Text>
              </Table.Td>
              <Table.Td>
                <Text size="sm">{i18n.dateTime(c.updatedAt)}</Text>
              </Table.Td>
            </Table.Tr>
          )}
        />
      </Stack>
    </>
  );
}
