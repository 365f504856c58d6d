import { Anchor, Badge, Card, Group, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { lazy, type ReactNode, Suspense, useMemo } from 'react';
import { Link } from 'react-router';
import {
  ALERT_AGE_BUCKETS,
  ALERT_SEVERITIES,
  type Dashboard,
  dashboard,
  HOLD_AGE_BUCKETS,
  type HoldAgeBucket,
} from '../api/overview.ts';
import { useApi, useAuth } from '../auth/session.tsx';
import type { ChartOption } from '../components/Chart.tsx';
import { OutcomeBadge, PageHeader, useOutcomeLabel } from '../components/Common.tsx';
import { SeverityBadge } from '../components/cases/labels.tsx';
import { Loading, QueryView } from '../components/States.tsx';
import type { MessageKey } from '../i18n/en.ts';
import { useI18n } from '../i18n/index.tsx';

const Chart = lazy(() => import('../components/Chart.tsx'));
export const REFRESH_MS = 15_000;

const AGE_LABELS: Record<HoldAgeBucket, MessageKey> = {
  underOneHour: 'overview.ageUnderOneHour',
  oneToTwentyFourHours: 'overview.ageOneToTwentyFour',
  overTwentyFourHours: 'overview.ageOverTwentyFour',
};

function Stat({
  label,
  value,
  hint,
  testId,
}: {
  label: string;
  value: ReactNode;
  hint?: ReactNode;
  testId?: string;
}) {
  return (
    <Card withBorder padding="md" data-testid={testId}>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text size="xl" fw={700} mt={4} component="div">
        {value}
      </Text>
      {hint && (
        <Text size="xs" c="dimmed" mt={2} component="div">
          {hint}
        </Text>
      )}
    </Card>
  );
}

/** Open alerts by age and severity; those past their deadline stand out and lead to the queue filtered to them. */
function AlertsCard({ alerts }: { alerts: NonNullable<Dashboard['alerts']> }) {
  const i18n = useI18n();
  const { t } = i18n;
  const late = alerts.overdue > 0;
  return (
    <Card withBorder data-testid="overview-alerts">
      <Group justify="space-between" align="baseline" mb="xs">
        <Title order={3} size="h5">
          {t('overview.alertsTitle')}
        </Title>
        <Anchor component={Link} to="/alerts" size="sm">
          {t('overview.alertsQueueLink')}
        </Anchor>
      </Group>
      {alerts.open === 0 ? (
        <Text c="dimmed">{t('overview.alertsNone')}</Text>
      ) : (
        <Stack gap="sm">
          <Group gap="md" align="baseline">
            <Text fw={700} size="xl" data-testid="alerts-open">
              {t('overview.alertsOpen', { count: i18n.number(alerts.open) })}
            </Text>
            <Anchor
              component={Link}
              to="/alerts?overdue=true"
              c={late ? 'red' : 'dimmed'}
              fw={late ? 700 : 400}
              data-testid="alerts-overdue"
              data-overdue={late ? 'true' : 'false'}
              aria-label={`${t('overview.alertsOverdueLink')}: ${t('overview.alertsOverdue', {
                count: i18n.number(alerts.overdue),
              })}`}
            >
              {t('overview.alertsOverdue', { count: i18n.number(alerts.overdue) })}
            </Anchor>
          </Group>
          <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
            {t('overview.alertsByAge')}
          </Text>
          <Group>
            {ALERT_AGE_BUCKETS.map((b) => (
              <Stat key={b} label={t(AGE_LABELS[b])} value={i18n.number(alerts.byAge[b])} />
            ))}
          </Group>
          <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
            {t('overview.alertsBySeverity')}
          </Text>
          <Group>
            {ALERT_SEVERITIES.map((s) => (
              <Group key={s} gap={6} data-testid={`alerts-severity-${s}`}>
                <SeverityBadge severity={s} />
                <Text fw={600}>{i18n.number(alerts.bySeverity[s])}</Text>
              </Group>
            ))}
          </Group>
        </Stack>
      )}
    </Card>
  );
}

function ChartCard({ title, children }: { title: string; children: ReactNode }) {
  const { t } = useI18n();
  return (
    <Card withBorder padding="md">
      <Title order={3} size="h5" mb="xs">
        {title}
      </Title>
      <Suspense fallback={<Loading label={t('overview.chartLoading')} />}>{children}</Suspense>
    </Card>
  );
}

/** The dashboard: figures and series from GET /v1/overview, refreshed every 15 s. */
export function Overview() {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const auth = useAuth();
  const outcomeLabel = useOutcomeLabel();
  const q = useQuery({
    queryKey: ['overview'],
    queryFn: () => api.get('/v1/overview', dashboard),
    refetchInterval: REFRESH_MS,
  });
  const d = q.data;

  const seriesOption = useMemo<ChartOption | null>(() => {
    if (!d || d.movements.perMinute.length === 0) return null;
    return {
      tooltip: { trigger: 'axis' },
      grid: { left: 44, right: 16, top: 16, bottom: 28 },
      xAxis: {
        type: 'category',
        data: d.movements.perMinute.map((p) => i18n.time(p.minute)),
        boundaryGap: false,
      },
      yAxis: { type: 'value', minInterval: 1 },
      series: [
        {
          name: t('overview.movements'),
          type: 'line',
          showSymbol: false,
          areaStyle: { opacity: 0.15 },
          data: d.movements.perMinute.map((p) => p.count),
        },
      ],
    };
  }, [d, i18n, t]);
  const agesOption = useMemo<ChartOption | null>(() => {
    if (!d) return null;
    return {
      tooltip: { trigger: 'axis' },
      grid: { left: 44, right: 16, top: 16, bottom: 28 },
      xAxis: { type: 'category', data: HOLD_AGE_BUCKETS.map((b) => t(AGE_LABELS[b])) },
      yAxis: { type: 'value', minInterval: 1 },
      series: [
        { name: t('overview.holds'), type: 'bar', data: HOLD_AGE_BUCKETS.map((b) => d.holds.byAge[b]) },
      ],
    };
  }, [d, t]);

  return (
    <QueryView query={q}>
      {(data) => {
        const last = data.movements.perMinute[data.movements.perMinute.length - 1];
        return (
          <>
            <PageHeader
              title={t('overview.title')}
              description={t('overview.updated', {
                time: i18n.dateTime(data.at ?? new Date(q.dataUpdatedAt).toISOString()),
              })}
              right={
                <Badge variant="dot" color="green">
                  {t('overview.live')}
                </Badge>
              }
            />
            <Stack>
              <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }}>
                <Stat
                  label={t('overview.perMinute')}
                  testId="stat-per-minute"
                  value={last ? i18n.number(last.count) : '—'}
                  hint={t('overview.lastHour', { count: i18n.number(data.movements.total) })}
                />
                <Stat
                  label={t('overview.pendingHolds')}
                  testId="stat-holds"
                  value={i18n.number(data.holds.pending)}
                  hint={t('overview.pendingApprovalsHint', {
                    count: i18n.number(data.pendingApprovals ?? 0),
                  })}
                />
                <Stat
                  label={t('overview.custody')}
                  testId="stat-custody"
                  value={
                    data.custody ? (
                      <Badge color={data.custody.ok ? 'green' : 'red'} size="lg" variant="light">
                        {data.custody.ok ? t('overview.custodyOk') : t('overview.custodyMismatch')}
                      </Badge>
                    ) : (
                      '—'
                    )
                  }
                  hint={data.custody ? i18n.dateTime(data.custody.checkedAt) : undefined}
                />
                <Stat
                  label={t('overview.chainHead')}
                  testId="stat-chain"
                  value={data.chain ? i18n.number(data.chain.seq) : '—'}
                  hint={data.chain ? `${data.chain.hash.slice(0, 16)}…` : undefined}
                />
              </SimpleGrid>
              <SimpleGrid cols={{ base: 1, lg: 2 }}>
                <ChartCard title={t('overview.seriesTitle')}>
                  {seriesOption ? (
                    <Chart option={seriesOption} label={t('overview.seriesTitle')} />
                  ) : (
                    <Text c="dimmed">{t('state.noData')}</Text>
                  )}
                </ChartCard>
                <ChartCard title={t('overview.agesTitle')}>
                  {agesOption && <Chart option={agesOption} label={t('overview.agesTitle')} />}
                </ChartCard>
              </SimpleGrid>
              <SimpleGrid cols={{ base: 1, lg: 2 }}>
                <Card withBorder>
                  <Title order={3} size="h5" mb="xs">
                    {t('overview.outcomes')}
                  </Title>
                  {data.decisions.outcomes.length === 0 ? (
                    <Text c="dimmed">{t('state.noData')}</Text>
                  ) : (
                    <Table>
                      <Table.Thead>
                        <Table.Tr>
                          <Table.Th>{t('field.decision')}</Table.Th>
                          <Table.Th ta="right">{t('overview.count')}</Table.Th>
                          <Table.Th ta="right">{t('overview.rate')}</Table.Th>
                        </Table.Tr>
                      </Table.Thead>
                      <Table.Tbody>
                        {data.decisions.outcomes.map((o) => (
                          <Table.Tr key={o.outcome}>
                            <Table.Td>
                              <OutcomeBadge outcome={o.outcome} />
                            </Table.Td>
                            <Table.Td ta="right">{i18n.number(o.count)}</Table.Td>
                            <Table.Td
                              ta="right"
                              aria-label={`${outcomeLabel(o.outcome)} ${t('overview.rate')}`}
                            >
                              {i18n.percent(
                                o.rate ?? (data.decisions.total > 0 ? o.count / data.decisions.total : null),
                              )}
                            </Table.Td>
                          </Table.Tr>
                        ))}
                      </Table.Tbody>
                    </Table>
                  )}
                  <Text size="xs" c="dimmed" mt="xs">
                    {t('overview.outcomesWindow', { count: i18n.number(data.decisions.total) })}
                  </Text>
                </Card>
                <Card withBorder>
                  <Title order={3} size="h5" mb="xs">
                    {t('overview.heldTitle')}
                  </Title>
                  {data.holds.byCurrency.length === 0 ? (
                    <Text c="dimmed">{t('overview.noHeld')}</Text>
                  ) : (
                    <Group>
                      {data.holds.byCurrency.map((h) => (
                        <Stat
                          key={h.currency}
                          label={h.currency}
                          value={i18n.money(h.amountMinor, h.currency)}
                          hint={t('overview.holdsCount', { count: i18n.number(h.count) })}
                        />
                      ))}
                    </Group>
                  )}
                </Card>
              </SimpleGrid>
              {data.alerts && auth.can('case.read') && <AlertsCard alerts={data.alerts} />}
            </Stack>
          </>
        );
      }}
    </QueryView>
  );
}
