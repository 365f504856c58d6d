import { Alert, Anchor, Button, Checkbox, Group, Stack, Table, Text } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { type MouseEvent, useState } from 'react';
import { Link, useNavigate } from 'react-router';
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
  isAlertType,
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
import {
  NOWRAP,
  OffsetQueueTable,
  SelectPageBox,
  useQueuePage,
  useSelection,
} from '../components/QueueTable.tsx';
import { ReasonDialog } from '../components/ReasonDialog.tsx';
import { useI18n } from '../i18n/index.tsx';
import { REFRESH_MS } from './Overview.tsx';

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
  const [filters, setUrlFilters] = useUrlFilters(alertFiltersFrom, filtersToParams, { page: 1 });
  const query = alertQuery(filters);
  const list = useQueuePage(
    CASE_KEYS.alerts(query),
    () => api.get('/v1/alerts', alertQueue, query),
    REFRESH_MS,
  );
  const selection = useSelection();
  const [closing, setClosing] = useState(false);
  const [closeError, setCloseError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<Notice | null>(null);

  const worker = auth.can('case.work');
  const manager = auth.can('case.manage');
  const me = auth.staff?.id ?? null;
  const rows = list.data?.alerts ?? [];
  const chosen = rows.filter((r) => selection.has(r.id));
  // Several alerts can share a case: actions go to each case once, with the version the queue read.
  const byCase = new Map<string, number>();
  for (const r of chosen) byCase.set(r.caseId, r.caseVersion);
  const cases = [...byCase.entries()].map(([id, version]) => ({ id, version }));
  const takeable = chosen.every((r) => r.assigneeId === null || r.assigneeId === me || manager);

  const setFilters = (patch: Partial<AlertFilters>) => {
    selection.clear();
    setUrlFilters(patch);
  };

  const refresh = async () => {
    selection.clear();
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

  return (
    <>
      <PageHeader title={t('alerts.title')} description={t('alerts.description')} />
      <Stack>
        <QueueFilters>
          <SelectFilter
            label={t('alerts.filter.severity')}
            options={SEVERITIES.map((s) => ({ value: s, label: t(SEVERITY_KEYS[s]) }))}
            value={filters.severity}
            onChange={(severity) => setFilters({ severity })}
            w={150}
            testId="filter-severity"
          />
          <SelectFilter
            label={t('alerts.filter.type')}
            options={ALERT_TYPES.map((v) => ({ value: v, label: t(ALERT_TYPE_KEYS[v]) }))}
            value={filters.type}
            onChange={(type) => setFilters({ type })}
            w={190}
            testId="filter-type"
          />
          <SelectFilter
            label={t('alerts.filter.source')}
            options={ALERT_SOURCES.map((v) => ({ value: v, label: t(SOURCE_KEYS[v]) }))}
            value={filters.source}
            onChange={(source) => setFilters({ source })}
            w={170}
            testId="filter-source"
          />
          <AssigneeFilter value={filters.assignee} onChange={(assignee) => setFilters({ assignee })} />
          <OverdueSwitch checked={filters.overdue} onChange={(overdue) => setFilters({ overdue })} />
        </QueueFilters>
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
        <OffsetQueueTable
          list={list}
          items={(data) => data.alerts}
          page={filters.page}
          onPage={(page) => setFilters({ page })}
          testId="alerts-table"
          minWidth={1080}
          empty={
            filters.severity ||
            filters.type ||
            filters.source ||
            filters.overdue ||
            filters.assignee !== 'anyone'
              ? t('alerts.empty')
              : t('alerts.none')
          }
          head={
            <>
              {worker && (
                <Table.Th w={40}>
                  <SelectPageBox
                    ids={rows.map((r) => r.id)}
                    selection={selection}
                    label={t('alerts.selectAll')}
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
            </>
          }
          row={(r) => (
            <Table.Tr
              key={r.id}
              data-testid={`alert-row-${r.id}`}
              data-case={r.caseId}
              data-overdue={r.overdue ? 'true' : 'false'}
              onClick={(e) => openCase(e, r)}
              style={{ cursor: 'pointer' }}
              bg={selection.has(r.id) ? 'var(--mantine-primary-color-light)' : undefined}
            >
              {worker && (
                <Table.Td>
                  <Checkbox
                    aria-label={t('alerts.select', { id: r.id })}
                    checked={selection.has(r.id)}
                    onChange={(e) => selection.toggle(r.id, e.currentTarget.checked)}
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
                <SubjectRef id={r.subjectId} />
              </Table.Td>
              <Table.Td ta="right" style={NOWRAP}>
                {r.amountMinor !== null && r.currency !== null ? i18n.money(r.amountMinor, r.currency) : '—'}
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
          )}
        />
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
