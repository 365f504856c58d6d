import { Anchor, Card, Group, SegmentedControl, Select, Stack, Switch, Table, Text } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import {
  CASE_KEYS,
  CASE_KINDS,
  CASE_STATUSES,
  type CaseFilters,
  caseFiltersFrom,
  caseList,
  caseQuery,
  filtersToParams,
  isCaseKind,
  isCaseStatus,
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
  useNow,
} from '../components/cases/labels.tsx';
import { OffsetPager } from '../components/cases/OffsetPager.tsx';
import { Empty, ErrorState, Loading } from '../components/States.tsx';
import { useI18n } from '../i18n/index.tsx';
import { REFRESH_MS } from './Overview.tsx';

const NOWRAP = { whiteSpace: 'nowrap' } as const;
/** The status filter's value for "every case not closed" (the server's default). */
const NOT_CLOSED = 'active';

/** Cases, most urgent first, filtered by status, kind, assignee and lateness. */
export function Cases() {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const nowMs = useNow();
  const [params, setParams] = useSearchParams();
  const filters = caseFiltersFrom(params);
  const query = caseQuery(filters);
  const list = useQuery({
    queryKey: CASE_KEYS.list(query),
    queryFn: () => api.get('/v1/cases', caseList, query),
    placeholderData: keepPreviousData,
    refetchInterval: REFRESH_MS,
  });
  const setFilters = (patch: Partial<CaseFilters>) =>
    setParams(filtersToParams({ ...filters, page: 1, ...patch }), { replace: true });
  const rows = list.data?.cases ?? [];

  return (
    <>
      <PageHeader title={t('cases.title')} description={t('cases.description')} />
      <Stack>
        <Card withBorder>
          <Group align="flex-end" gap="md">
            <Select
              label={t('cases.filter.status')}
              data={[
                { value: NOT_CLOSED, label: t('cases.filter.notClosed') },
                ...CASE_STATUSES.map((s) => ({ value: s, label: t(CASE_STATUS_KEYS[s]) })),
              ]}
              value={filters.status ?? NOT_CLOSED}
              onChange={(v) => setFilters({ status: v && isCaseStatus(v) ? v : null })}
              allowDeselect={false}
              w={200}
              data-testid="filter-status"
            />
            <Select
              label={t('cases.filter.kind')}
              placeholder={t('cases.any')}
              data={CASE_KINDS.map((k) => ({ value: k, label: t(CASE_KIND_KEYS[k]) }))}
              value={filters.kind}
              onChange={(v) => setFilters({ kind: v && isCaseKind(v) ? v : null })}
              clearable
              w={160}
              data-testid="filter-kind"
            />
            <Stack gap={4}>
              <Text size="sm" fw={500}>
                {t('alerts.filter.assignee')}
              </Text>
              <SegmentedControl
                aria-label={t('alerts.filter.assignee')}
                value={filters.assignee}
                onChange={(v) => setFilters({ assignee: v === 'me' || v === 'none' ? v : 'anyone' })}
                data={[
                  { value: 'anyone', label: t('assignee.anyone') },
                  { value: 'me', label: t('assignee.me') },
                  { value: 'none', label: t('assignee.none') },
                ]}
              />
            </Stack>
            <Switch
              label={t('cases.overdueOnly')}
              checked={filters.overdue}
              onChange={(e) => setFilters({ overdue: e.currentTarget.checked })}
              mb={8}
            />
          </Group>
        </Card>
        {list.isPending ? (
          <Loading />
        ) : list.isError ? (
          <ErrorState error={list.error} onRetry={() => void list.refetch()} />
        ) : rows.length === 0 ? (
          <Empty>{t('cases.empty')}</Empty>
        ) : (
          <Card withBorder padding={0}>
            <Table.ScrollContainer minWidth={1000}>
              <Table highlightOnHover verticalSpacing="sm" data-testid="cases-table">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th style={NOWRAP}>{t('cases.col.severity')}</Table.Th>
                    <Table.Th>{t('cases.col.case')}</Table.Th>
                    <Table.Th>{t('cases.col.subject')}</Table.Th>
                    <Table.Th style={NOWRAP}>{t('cases.col.status')}</Table.Th>
                    <Table.Th>{t('cases.col.assignee')}</Table.Th>
                    <Table.Th style={NOWRAP}>{t('cases.col.due')}</Table.Th>
                    <Table.Th>{t('cases.col.disposition')}</Table.Th>
                    <Table.Th>{t('cases.col.updated')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {rows.map((c) => (
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
                        {c.subjectId?.startsWith('cus_') ? (
                          <Anchor component={Link} to={`/customers/${encodeURIComponent(c.subjectId)}`}>
                            <Id value={c.subjectId} />
                          </Anchor>
                        ) : (
                          <Id value={c.subjectId} />
                        )}
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
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          </Card>
        )}
        {list.data && list.data.total > 0 && (
          <OffsetPager
            page={filters.page}
            shown={rows.length}
            total={list.data.total}
            loading={list.isFetching}
            onPage={(page) => setFilters({ page })}
          />
        )}
      </Stack>
    </>
  );
}
