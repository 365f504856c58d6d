import { Anchor, Group, Stack, Table, Text } from '@mantine/core';
import { Link } from 'react-router';
import {
  ANY,
  FEEDBACK_CATEGORIES,
  FEEDBACK_STATUSES,
  type FeedbackFilters,
  feedbackFiltersFrom,
  feedbackFiltersToParams,
  feedbackQuery,
  feedbackQueue,
  SUPPORT_KEYS,
} from '../api/support.ts';
import { useApi } from '../auth/session.tsx';
import { Id, PageHeader } from '../components/Common.tsx';
import { CursorTable, useCursorList } from '../components/CursorList.tsx';
import { useNow } from '../components/cases/labels.tsx';
import { OverdueSwitch, QueueFilters, SelectFilter, useUrlFilters } from '../components/QueueFilters.tsx';
import { NOWRAP } from '../components/QueueTable.tsx';
import { FeedbackSummary } from '../components/support/FeedbackSummary.tsx';
import {
  CategoryBadge,
  CustomerRef,
  FEEDBACK_CATEGORY_KEYS,
  FEEDBACK_STATUS_KEYS,
  FeedbackStatusBadge,
  FirstResponse,
  ReportBadge,
  Stars,
} from '../components/support/labels.tsx';
import { useI18n } from '../i18n/index.tsx';
import { REFRESH_MS } from './Overview.tsx';

/** Feedback and complaints: the summary for managers, then the queue, soonest first answer due first. */
export function Feedback() {
  const { t } = useI18n();
  const [filters, setFilters] = useUrlFilters(feedbackFiltersFrom, feedbackFiltersToParams);
  return (
    <>
      <PageHeader title={t('feedback.title')} description={t('feedback.description')} />
      <Stack>
        <FeedbackSummary />
        <QueueFilters>
          <SelectFilter
            label={t('feedback.filter.status')}
            options={[
              ...FEEDBACK_STATUSES.map((s) => ({ value: s, label: t(FEEDBACK_STATUS_KEYS[s]) })),
              { value: ANY, label: t('support.anyStatus') },
            ]}
            value={filters.status}
            onChange={(status) => setFilters({ status: status ?? 'open' })}
            required
            w={200}
            testId="filter-status"
          />
          <SelectFilter
            label={t('feedback.filter.category')}
            options={FEEDBACK_CATEGORIES.map((c) => ({ value: c, label: t(FEEDBACK_CATEGORY_KEYS[c]) }))}
            value={filters.category}
            onChange={(category) => setFilters({ category })}
            w={200}
            testId="filter-category"
          />
          <OverdueSwitch
            label={t('feedback.overdueOnly')}
            checked={filters.overdue}
            onChange={(overdue) => setFilters({ overdue })}
          />
        </QueueFilters>
        {/* Other filters are another list: its pages start again from the first. */}
        <FeedbackList key={JSON.stringify(filters)} filters={filters} />
      </Stack>
    </>
  );
}

function FeedbackList({ filters }: { filters: FeedbackFilters }) {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const nowMs = useNow();
  const { pager, list } = useCursorList(
    SUPPORT_KEYS.feedback(feedbackQuery(filters, undefined)),
    (cursor) => api.get('/v1/staff/feedback', feedbackQueue, feedbackQuery(filters, cursor)),
    (page) => (page === 1 ? REFRESH_MS : false),
  );
  const defaults = filters.status === 'open' && filters.category === null && !filters.overdue;
  return (
    <CursorTable
      list={list}
      pager={pager}
      testId="feedback-table"
      minWidth={1000}
      empty={defaults ? t('feedback.none') : t('feedback.empty')}
      head={
        <>
          <Table.Th>{t('feedback.col.category')}</Table.Th>
          <Table.Th>{t('feedback.col.subject')}</Table.Th>
          <Table.Th>{t('feedback.col.customer')}</Table.Th>
          <Table.Th style={NOWRAP}>{t('feedback.col.status')}</Table.Th>
          <Table.Th style={NOWRAP}>{t('feedback.col.firstResponse')}</Table.Th>
          <Table.Th style={NOWRAP}>{t('feedback.col.rating')}</Table.Th>
          <Table.Th style={NOWRAP}>{t('feedback.col.received')}</Table.Th>
        </>
      }
      row={(f) => (
        <Table.Tr
          key={f.id}
          data-testid={`feedback-row-${f.id}`}
          data-overdue={f.overdue ? 'true' : 'false'}
          bg={f.overdue ? 'var(--mantine-color-red-light)' : undefined}
        >
          <Table.Td>
            <Group gap={4} wrap="nowrap">
              <CategoryBadge category={f.category} />
              {f.report && <ReportBadge kind={f.report} />}
            </Group>
          </Table.Td>
          <Table.Td maw={360}>
            <Anchor
              component={Link}
              to={`/feedback/${encodeURIComponent(f.id)}`}
              fw={600}
              lineClamp={2}
              data-testid={`feedback-link-${f.id}`}
            >
              {f.subject || t('feedback.noSubject')}
            </Anchor>
            <Text size="xs" c="dimmed">
              <Id value={f.id} />
            </Text>
          </Table.Td>
          <Table.Td>
            <CustomerRef id={f.customerId} />
          </Table.Td>
          <Table.Td style={NOWRAP}>
            <FeedbackStatusBadge status={f.status} />
          </Table.Td>
          <Table.Td>
            <FirstResponse f={f} nowMs={nowMs} />
          </Table.Td>
          <Table.Td style={NOWRAP}>{f.rating ? <Stars score={f.rating.score} /> : '—'}</Table.Td>
          <Table.Td style={NOWRAP}>
            <Text size="sm">{i18n.dateTime(f.createdAt)}</Text>
          </Table.Td>
        </Table.Tr>
      )}
    />
  );
}
