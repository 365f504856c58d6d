import { Card, Grid, Group, SegmentedControl, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { lazy, type ReactNode, Suspense, useMemo, useState } from 'react';
import {
  FEEDBACK_CATEGORIES,
  FEEDBACK_STATUSES,
  feedbackSummary,
  SUPPORT_KEYS,
  type FeedbackSummary as Summary,
  weeklySeries,
} from '../../api/support.ts';
import { useApi } from '../../auth/session.tsx';
import type { MessageKey } from '../../i18n/en.ts';
import { useI18n } from '../../i18n/index.tsx';
import type { ChartOption } from '../Chart.tsx';
import { ErrorState, Loading } from '../States.tsx';
import { FEEDBACK_CATEGORY_KEYS, FEEDBACK_STATUS_KEYS } from './labels.tsx';

const Chart = lazy(() => import('../Chart.tsx'));

const PERIODS = ['30', '90', '365'] as const;
type Period = (typeof PERIODS)[number];
const PERIOD_KEYS: Record<Period, MessageKey> = {
  '30': 'feedbackSummary.period30',
  '90': 'feedbackSummary.period90',
  '365': 'feedbackSummary.period365',
};
const DAY_MS = 86_400_000;

function isPeriod(v: string): v is Period {
  return (PERIODS as readonly string[]).includes(v);
}

/**
 * How feedback is handled, for managers: counts by category and status, how fast a person
 * answered, what users thought, and the weekly trend by category.
 */
export function FeedbackSummary() {
  const { t } = useI18n();
  const api = useApi();
  const [period, setPeriod] = useState<Period>('30');
  // The period's start is fixed when it is chosen, so refetches ask the same question.
  const from = useMemo(() => new Date(Date.now() - Number(period) * DAY_MS).toISOString(), [period]);
  const q = useQuery({
    queryKey: SUPPORT_KEYS.summary(from),
    queryFn: () => api.get('/v1/staff/feedback/summary', feedbackSummary, { from }),
    placeholderData: keepPreviousData,
  });
  return (
    <Card withBorder data-testid="feedback-summary">
      <Group justify="space-between" mb="sm">
        <Title order={3} size="h5">
          {t('feedbackSummary.title')}
        </Title>
        <SegmentedControl
          size="xs"
          aria-label={t('feedbackSummary.period')}
          value={period}
          onChange={(v) => setPeriod(isPeriod(v) ? v : '30')}
          data={PERIODS.map((p) => ({ value: p, label: t(PERIOD_KEYS[p]) }))}
          data-testid="summary-period"
        />
      </Group>
      {q.isPending ? (
        <Loading />
      ) : q.isError ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} />
      ) : (
        <Figures s={q.data} />
      )}
    </Card>
  );
}

/** A day in the reader's locale ("Nov 22, 2026"): the summary's range is whole days in effect. */
function day(locale: string, iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? '—' : new Intl.DateTimeFormat(locale, { dateStyle: 'medium' }).format(ms);
}

function Stat({
  label,
  value,
  hint,
  testId,
}: {
  label: string;
  value: ReactNode;
  hint?: ReactNode;
  testId: string;
}) {
  return (
    <Card withBorder padding="sm" data-testid={testId}>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text size="xl" fw={700} mt={2} component="div" data-testid="stat-value">
        {value}
      </Text>
      {hint && (
        <Text size="xs" c="dimmed" component="div">
          {hint}
        </Text>
      )}
    </Card>
  );
}

function Figures({ s }: { s: Summary }) {
  const i18n = useI18n();
  const { t } = i18n;
  const median = s.firstResponse.medianMinutes;
  const trend = useMemo<ChartOption | null>(() => {
    const { weeks, series } = weeklySeries(s);
    if (weeks.length === 0) return null;
    return {
      tooltip: { trigger: 'axis' },
      legend: { bottom: 0, type: 'scroll' },
      grid: { left: 40, right: 16, top: 16, bottom: 48 },
      xAxis: { type: 'category', data: weeks },
      yAxis: { type: 'value', minInterval: 1 },
      series: series.map((x) => ({
        name: t(FEEDBACK_CATEGORY_KEYS[x.category]),
        type: 'bar',
        stack: 'feedback',
        barMaxWidth: 48,
        data: x.counts,
      })),
    };
  }, [s, t]);

  return (
    <Stack gap="md">
      <SimpleGrid cols={{ base: 2, md: 3, xl: 6 }} spacing="sm">
        <Stat
          label={t('feedbackSummary.total')}
          value={i18n.number(s.total)}
          hint={t('feedbackSummary.range', { from: day(i18n.locale, s.from), to: day(i18n.locale, s.to) })}
          testId="summary-total"
        />
        <Stat
          label={t('feedbackSummary.median')}
          value={
            median === null ? '—' : median < 1 ? t('feedbackSummary.underMinute') : i18n.duration(median * 60)
          }
          hint={t('feedbackSummary.answered', { count: i18n.number(s.firstResponse.answered) })}
          testId="summary-median"
        />
        <Stat
          label={t('feedbackSummary.within24h')}
          value={i18n.percent(s.firstResponse.shareWithin24h)}
          hint={t('feedbackSummary.withinOf', {
            within: i18n.number(s.firstResponse.answeredWithin24h),
            due: i18n.number(s.firstResponse.due),
          })}
          testId="summary-within"
        />
        <Stat
          label={t('feedbackSummary.rating')}
          value={
            s.rating.mean === null
              ? '—'
              : t('feedbackSummary.ratingValue', { mean: i18n.number(s.rating.mean) })
          }
          hint={t('feedbackSummary.ratings', { count: i18n.number(s.rating.count) })}
          testId="summary-rating"
        />
        <Stat
          label={t('feedbackSummary.escalated')}
          value={i18n.number(s.escalated)}
          hint={t('feedbackSummary.escalatedHint')}
          testId="summary-escalated"
        />
        <Stat
          label={t('feedbackSummary.reports')}
          value={i18n.number(s.reports.scam + s.reports.compromised)}
          hint={t('feedbackSummary.reportsHint', {
            scam: i18n.number(s.reports.scam),
            compromised: i18n.number(s.reports.compromised),
          })}
          testId="summary-reports"
        />
      </SimpleGrid>
      <Grid gap="md">
        <Grid.Col span={{ base: 12, lg: 4 }}>
          <Table verticalSpacing={4} data-testid="summary-categories">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('feedbackSummary.byCategory')}</Table.Th>
                <Table.Th ta="right">{t('feedbackSummary.count')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {FEEDBACK_CATEGORIES.map((c) => (
                <Table.Tr key={c} data-testid={`summary-category-${c}`}>
                  <Table.Td>{t(FEEDBACK_CATEGORY_KEYS[c])}</Table.Td>
                  <Table.Td ta="right">{i18n.number(s.byCategory[c])}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('feedbackSummary.byStatus')}</Table.Th>
                <Table.Th ta="right">{t('feedbackSummary.count')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {FEEDBACK_STATUSES.map((st) => (
                <Table.Tr key={st} data-testid={`summary-status-${st}`}>
                  <Table.Td>{t(FEEDBACK_STATUS_KEYS[st])}</Table.Td>
                  <Table.Td ta="right">{i18n.number(s.byStatus[st])}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 8 }}>
          <Stack gap={4}>
            <Text size="sm" fw={600}>
              {t('feedbackSummary.trend')}
            </Text>
            {trend === null ? (
              <Text size="sm" c="dimmed">
                {t('feedbackSummary.trendNone')}
              </Text>
            ) : (
              <Suspense fallback={<Loading label={t('overview.chartLoading')} />}>
                <Chart option={trend} label={t('feedbackSummary.trend')} height={240} />
              </Suspense>
            )}
          </Stack>
        </Grid.Col>
      </Grid>
    </Stack>
  );
}
