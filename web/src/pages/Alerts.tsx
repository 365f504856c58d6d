import {
  Alert,
  Anchor,
  Button,
  Card,
  Checkbox,
  Group,
  SegmentedControl,
  Select,
  Stack,
  Switch,
  Table,
  Text,
} from '@mantine/core';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { type MouseEvent, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import {
  ALERT_SOURCES,
  ALERT_TYPES,
  type AlertFilters,
  type AlertRow,
  alertFiltersFrom,
  alertQuery,
  alertQueue,
  assignAnswer,
  CASE_KEYS,
  type CloseResult,
  closeAnswer,
  filtersToParams,
  isAlertSource,
  isAlertType,
  isSeverity,
  SEVERITIES,
} from '../api/cases.ts';
import { useApi, useAuth } from '../auth/session.tsx';
import { Id, PageHeader } from '../components/Common.tsx';
import { REASON_MIN } from '../components/cases/HeldMoney.tsx';
import {
  Age,
  ALERT_TYPE_KEYS,
  Assignee,
  CaseStatusBadge,
  Due,
  SEVERITY_KEYS,
  SeverityBadge,
  SOURCE_KEYS,
  useNow,
} from '../components/cases/labels.tsx';
import { OffsetPager } from '../components/cases/OffsetPager.tsx';
import { ReasonDialog } from '../components/ReasonDialog.tsx';
import { Empty, ErrorState, Loading } from '../components/States.tsx';
import { useI18n } from '../i18n/index.tsx';
import { REFRESH_MS } from './Overview.tsx';

const NOWRAP = { whiteSpace: 'nowrap' } as const;

type Notice = { color: 'green' | 'yellow'; text: string; failures: Array<{ id: string; text: string }> };

/** The alert queue: open alerts by priority, filtered, a page at a time; selected alerts' cases are taken, assigned or closed together. */
export function Alerts() {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const auth = useAuth();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const nowMs = useNow();
  const [params, setParams] = useSearchParams();
  const filters = alertFiltersFrom(params);
  const query = alertQuery(filters);
  const list = useQuery({
    queryKey: CASE_KEYS.alerts(query),
    queryFn: () => api.get('/v1/alerts', alertQueue, query),
    placeholderData: keepPreviousData,
    refetchInterval: REFRESH_MS,
  });
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [closing, setClosing] = useState(false);
  const [closeError, setCloseError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<Notice | null>(null);

  const worker = auth.can('case.work');
  const manager = auth.can('case.manage');
  const me = auth.staff?.id ?? null;
  const rows = list.data?.alerts ?? [];
  const chosen = rows.filter((r) => selected.has(r.id));
  // Several alerts can share a case: actions go to each case once, with the version the queue read.
  const byCase = new Map<string, number>();
  for (const r of chosen) byCase.set(r.caseId, r.caseVersion);
  const cases = [...byCase.entries()].map(([id, version]) => ({ id, version }));
  const takeable = chosen.every((r) => r.assigneeId === null || r.assigneeId === me || manager);

  const setFilters = (patch: Partial<AlertFilters>) => {
    setSelected(new Set());
    setParams(filtersToParams({ ...filters, page: 1, ...patch }), { replace: true });
  };
  const toggle = (id: string, on: boolean) =>
    setSelected((s) => {
      const next = new Set(s);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });

  const refresh = async () => {
    setSelected(new Set());
    await queryClient.invalidateQueries({ queryKey: CASE_KEYS.all });
  };

  const assign = async (to: 'me' | 'auto') => {
    setBusy(true);
    setNotice(null);
    try {
      const r = await api.post('/v1/cases/assign', assignAnswer, { caseIds: cases.map((c) => c.id), to });
      setNotice({
        color: 'green',
        text: t(to === 'me' ? 'alerts.taken' : 'alerts.assigned', { count: r.assigned.length }),
        failures: [],
      });
      await refresh();
    } catch (err) {
      setNotice({ color: 'yellow', text: i18n.errorText(err), failures: [] });
    } finally {
      setBusy(false);
    }
  };

  const close = async ({ reason }: { reason: string }) => {
    setCloseError(null);
    let results: CloseResult[];
    try {
      results = await api.post('/v1/cases/close', closeAnswer, {
        cases,
        disposition: 'false_positive',
        note: reason,
      });
    } catch (err) {
      setCloseError(i18n.errorText(err));
      return;
    }
    const failures = results.flatMap((r) => (r.error ? [{ id: r.id, text: i18n.errorText(r.error) }] : []));
    const closed = results.length - failures.length;
    setNotice({
      color: failures.length === 0 ? 'green' : 'yellow',
      text: t('alerts.closed', { count: closed }),
      failures,
    });
    setClosing(false);
    await refresh();
  };

  const openCase = (e: MouseEvent<HTMLTableRowElement>, r: AlertRow) => {
    // Links, buttons and the selection box act on their own; the rest of the row opens the case.
    if (e.target instanceof Element && e.target.closest('a,button,input,label')) return;
    navigate(`/cases/${encodeURIComponent(r.caseId)}`);
  };

  const allOnPage = rows.length > 0 && rows.every((r) => selected.has(r.id));
  const someOnPage = rows.some((r) => selected.has(r.id));

  return (
    <>
      <PageHeader title={t('alerts.title')} description={t('alerts.description')} />
      <Stack>
        <Card withBorder>
          <Group align="flex-end" gap="md">
            <Select
              label={t('alerts.filter.severity')}
              placeholder={t('cases.any')}
              data={SEVERITIES.map((s) => ({ value: s, label: t(SEVERITY_KEYS[s]) }))}
              value={filters.severity}
              onChange={(v) => setFilters({ severity: v && isSeverity(v) ? v : null })}
              clearable
              w={150}
              data-testid="filter-severity"
            />
            <Select
              label={t('alerts.filter.type')}
              placeholder={t('cases.any')}
              data={ALERT_TYPES.map((v) => ({ value: v, label: t(ALERT_TYPE_KEYS[v]) }))}
              value={filters.type}
              onChange={(v) => setFilters({ type: v && isAlertType(v) ? v : null })}
              clearable
              w={190}
              data-testid="filter-type"
            />
            <Select
              label={t('alerts.filter.source')}
              placeholder={t('cases.any')}
              data={ALERT_SOURCES.map((v) => ({ value: v, label: t(SOURCE_KEYS[v]) }))}
              value={filters.source}
              onChange={(v) => setFilters({ source: v && isAlertSource(v) ? v : null })}
              clearable
              w={170}
              data-testid="filter-source"
            />
            <Stack gap={4}>
              <Text size="sm" fw={500}>
                {t('alerts.filter.assignee')}
              </Text>
              <SegmentedControl
                aria-label={t('alerts.filter.assignee')}
                data-testid="filter-assignee"
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
              data-testid="filter-overdue"
            />
          </Group>
        </Card>
        {notice && (
          <Alert
            color={notice.color}
            variant="light"
            role="status"
            withCloseButton
            onClose={() => setNotice(null)}
            data-testid="alerts-notice"
          >
            <Text size="sm">{notice.text}</Text>
            {notice.failures.length > 0 && (
              <Stack gap={2} mt={4}>
                <Text size="sm" fw={600}>
                  {t('alerts.closeFailed', { count: notice.failures.length })}
                </Text>
                {notice.failures.map((f) => (
                  <Group key={f.id} gap={6}>
                    <Anchor component={Link} to={`/cases/${encodeURIComponent(f.id)}`} size="sm">
                      <Id value={f.id} />
                    </Anchor>
                    <Text size="sm">{f.text}</Text>
                  </Group>
                ))}
              </Stack>
            )}
          </Alert>
        )}
        {worker && (
          <Group gap="xs" data-testid="bulk-actions">
            <Text size="sm" c="dimmed" miw={160}>
              {t('alerts.selected', { count: chosen.length, cases: cases.length })}
            </Text>
            <Button
              size="xs"
              disabled={cases.length === 0 || !takeable}
              loading={busy}
              onClick={() => void assign('me')}
              data-testid="bulk-take"
            >
              {t('alerts.take')}
            </Button>
            {manager && (
              <Button
                size="xs"
                variant="default"
                disabled={cases.length === 0}
                loading={busy}
                onClick={() => void assign('auto')}
                data-testid="bulk-assign"
              >
                {t('alerts.assignAuto')}
              </Button>
            )}
            <Button
              size="xs"
              variant="light"
              color="gray"
              disabled={cases.length === 0}
              onClick={() => {
                setCloseError(null);
                setClosing(true);
              }}
              data-testid="bulk-close"
            >
              {t('alerts.closeFalsePositive')}
            </Button>
          </Group>
        )}
        {list.isPending ? (
          <Loading />
        ) : list.isError ? (
          <ErrorState error={list.error} onRetry={() => void list.refetch()} />
        ) : rows.length === 0 ? (
          <Empty>
            {filters.severity ||
            filters.type ||
            filters.source ||
            filters.overdue ||
            filters.assignee !== 'anyone'
              ? t('alerts.empty')
              : t('alerts.none')}
          </Empty>
        ) : (
          <Card withBorder padding={0}>
            <Table.ScrollContainer minWidth={1080}>
              <Table highlightOnHover verticalSpacing="sm" data-testid="alerts-table">
                <Table.Thead>
                  <Table.Tr>
                    {worker && (
                      <Table.Th w={40}>
                        <Checkbox
                          aria-label={t('alerts.selectAll')}
                          checked={allOnPage}
                          indeterminate={someOnPage && !allOnPage}
                          onChange={(e) => {
                            const on = e.currentTarget.checked;
                            setSelected(on ? new Set(rows.map((r) => r.id)) : new Set());
                          }}
                        />
                      </Table.Th>
                    )}
                    <Table.Th style={NOWRAP}>{t('alerts.col.severity')}</Table.Th>
                    <Table.Th>{t('alerts.col.alert')}</Table.Th>
                    <Table.Th>{t('alerts.col.subject')}</Table.Th>
                    <Table.Th ta="right">{t('alerts.col.amount')}</Table.Th>
                    <Table.Th style={NOWRAP}>{t('alerts.col.age')}</Table.Th>
                    <Table.Th style={NOWRAP}>{t('alerts.col.due')}</Table.Th>
                    <Table.Th>{t('alerts.col.case')}</Table.Th>
                    <Table.Th>{t('alerts.col.assignee')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {rows.map((r) => (
                    <Table.Tr
                      key={r.id}
                      data-testid={`alert-row-${r.id}`}
                      data-case={r.caseId}
                      data-overdue={r.overdue ? 'true' : 'false'}
                      onClick={(e) => openCase(e, r)}
                      style={{ cursor: 'pointer' }}
                      bg={selected.has(r.id) ? 'var(--mantine-primary-color-light)' : undefined}
                    >
                      {worker && (
                        <Table.Td>
                          <Checkbox
                            aria-label={t('alerts.select', { id: r.id })}
                            checked={selected.has(r.id)}
                            onChange={(e) => toggle(r.id, e.currentTarget.checked)}
                            data-testid={`select-${r.id}`}
                          />
                        </Table.Td>
                      )}
                      <Table.Td style={NOWRAP}>
                        <SeverityBadge severity={r.severity} />
                      </Table.Td>
                      <Table.Td>
                        <Anchor
                          component={Link}
                          to={`/cases/${encodeURIComponent(r.caseId)}`}
                          fw={600}
                          title={r.title}
                          data-testid={`alert-link-${r.id}`}
                        >
                          {isAlertType(r.type) ? t(ALERT_TYPE_KEYS[r.type]) : r.type}
                        </Anchor>
                        <Text size="xs" c="dimmed">
                          {t(SOURCE_KEYS[r.source])}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        {r.subjectId?.startsWith('cus_') ? (
                          <Anchor component={Link} to={`/customers/${encodeURIComponent(r.subjectId)}`}>
                            <Id value={r.subjectId} />
                          </Anchor>
                        ) : (
                          <Id value={r.subjectId} />
                        )}
                      </Table.Td>
                      <Table.Td ta="right" style={NOWRAP}>
                        {r.amountMinor !== null && r.currency !== null
                          ? i18n.money(r.amountMinor, r.currency)
                          : '—'}
                      </Table.Td>
                      <Table.Td>
                        <Age since={r.createdAt} nowMs={nowMs} />
                      </Table.Td>
                      <Table.Td>
                        <Due dueAt={r.dueAt} overdue={r.overdue} nowMs={nowMs} />
                      </Table.Td>
                      <Table.Td style={NOWRAP}>
                        <CaseStatusBadge status={r.caseStatus} />
                      </Table.Td>
                      <Table.Td>
                        <Assignee id={r.assigneeId} />
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
      <ReasonDialog
        opened={closing}
        onClose={() => setClosing(false)}
        title={t('alerts.closeTitle', { count: cases.length })}
        description={t('alerts.closeDescription')}
        confirmLabel={t('alerts.closeFalsePositive')}
        minLength={REASON_MIN}
        onSubmit={close}
        error={closeError}
      />
    </>
  );
}
