import { Table, Text } from '@mantine/core';
import { lazy, Suspense, useMemo } from 'react';
import { type BacktestResult, OUTCOME_ORDER, outcomeRows } from '../../api/backtests.ts';
import { useI18n } from '../../i18n/index.tsx';
import type { ChartOption } from '../Chart.tsx';
import { OutcomeBadge, useKindLabel, useOutcomeLabel } from '../Common.tsx';
import { Loading } from '../States.tsx';

const Chart = lazy(() => import('../Chart.tsx'));

const OUTCOME_COLORS: Record<string, string> = {
  ALLOW: '#2f9e44',
  CHALLENGE: '#1c7ed6',
  REVIEW: '#f08c00',
  BLOCK: '#e03131',
  BLOCK_AND_FREEZE: '#862e9c',
};

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Candidate bars are hatched so the two bars of an event type tell apart without colour. */
const HATCH = {
  symbol: 'rect',
  dashArrayX: [1, 0],
  dashArrayY: [3, 4],
  rotation: -Math.PI / 4,
  color: 'rgba(255,255,255,0.45)',
};

/**
 * Outcomes by event type of both sets: a grouped bar chart (per event type, the baseline's
 * bar stacked by outcome on the left, the candidate's on the right) and the same counts as a table.
 */
export function Outcomes({ result }: { result: BacktestResult }) {
  const i18n = useI18n();
  const { t } = i18n;
  const kindLabel = useKindLabel();
  const outcomeLabel = useOutcomeLabel();
  const rows = useMemo(() => outcomeRows(result), [result]);

  const option = useMemo<ChartOption>(() => {
    const types = [...new Set(rows.map((r) => r.eventType))];
    const outcomes = [...new Set(rows.map((r) => r.outcome))].sort(
      (a, b) => OUTCOME_ORDER.indexOf(a) - OUTCOME_ORDER.indexOf(b),
    );
    const value = (side: 'baseline' | 'candidate', type: string, outcome: string) =>
      rows.find((r) => r.eventType === type && r.outcome === outcome)?.counts[side] ?? 0;
    const sets = [
      { side: 'baseline' as const, name: t('backtest.baseline') },
      { side: 'candidate' as const, name: t('backtest.candidate') },
    ];
    return {
      tooltip: {
        trigger: 'item',
        formatter: (p: unknown) => {
          if (typeof p !== 'object' || p === null) return '';
          const seriesId = 'seriesId' in p && typeof p.seriesId === 'string' ? p.seriesId : '';
          const name = 'name' in p && typeof p.name === 'string' ? p.name : '';
          const v = 'value' in p && typeof p.value === 'number' ? p.value : 0;
          const [side = '', outcome = ''] = seriesId.split(':');
          const set = sets.find((s) => s.side === side)?.name ?? '';
          return `${escapeHtml(`${name} · ${set}`)}<br/>${escapeHtml(`${outcomeLabel(outcome)}: ${i18n.number(v)}`)}`;
        },
      },
      legend: { top: 0 },
      grid: { left: 44, right: 16, top: 36, bottom: 28 },
      xAxis: { type: 'category', data: types.map((ty) => kindLabel(ty)) },
      yAxis: { type: 'value', minInterval: 1 },
      series: sets.flatMap(({ side }) =>
        outcomes.map((o) => ({
          id: `${side}:${o}`,
          // Both sets' series of an outcome share the name: one legend entry toggles both.
          name: outcomeLabel(o),
          type: 'bar',
          stack: side,
          barMaxWidth: 48,
          itemStyle: {
            color: OUTCOME_COLORS[o] ?? '#868e96',
            ...(side === 'candidate' ? { decal: HATCH } : {}),
          },
          data: types.map((ty) => value(side, ty, o)),
        })),
      ),
    };
  }, [rows, t, i18n, kindLabel, outcomeLabel]);

  if (rows.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        {t('state.noData')}
      </Text>
    );
  }
  return (
    <>
      <Text size="xs" c="dimmed" mb="xs">
        {t('backtest.outcomesChart')}
      </Text>
      <Suspense fallback={<Loading label={t('overview.chartLoading')} />}>
        <Chart option={option} label={t('backtest.outcomesChart')} height={280} />
      </Suspense>
      <Table.ScrollContainer minWidth={420}>
        <Table data-testid="bt-outcomes" mt="sm">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('backtest.col.eventType')}</Table.Th>
              <Table.Th>{t('backtest.col.outcome')}</Table.Th>
              <Table.Th ta="right">{t('backtest.baseline')}</Table.Th>
              <Table.Th ta="right">{t('backtest.candidate')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((r) => (
              <Table.Tr key={`${r.eventType}:${r.outcome}`}>
                <Table.Td>{kindLabel(r.eventType)}</Table.Td>
                <Table.Td>
                  <OutcomeBadge outcome={r.outcome} />
                </Table.Td>
                <Table.Td ta="right">{i18n.number(r.counts.baseline)}</Table.Td>
                <Table.Td ta="right" fw={r.counts.baseline !== r.counts.candidate ? 700 : undefined}>
                  {i18n.number(r.counts.candidate)}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </>
  );
}
