import { lazy, Suspense, useMemo } from 'react';
import { useI18n } from '../../i18n/index.tsx';
import type { ChartOption } from '../Chart.tsx';
import { Loading } from '../States.tsx';

const Chart = lazy(() => import('../Chart.tsx'));

/** The model's feature contributions as horizontal bars, the largest at the top. */
export function ModelContributions({
  contributions,
}: {
  contributions: Array<{ feature: string; value: number }>;
}) {
  const { t } = useI18n();
  const option = useMemo<ChartOption>(() => {
    // ECharts draws the first category at the bottom: reversed, the largest is on top.
    const rows = [...contributions].sort((a, b) => Math.abs(a.value) - Math.abs(b.value));
    return {
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      grid: { left: 8, right: 24, top: 8, bottom: 24, containLabel: true },
      xAxis: { type: 'value' },
      yAxis: { type: 'category', data: rows.map((r) => r.feature) },
      series: [
        {
          name: t('decision.contributions'),
          type: 'bar',
          data: rows.map((r) => ({
            value: r.value,
            itemStyle: { color: r.value >= 0 ? '#e8590c' : '#1c7ed6' },
          })),
        },
      ],
    };
  }, [contributions, t]);
  return (
    <Suspense fallback={<Loading label={t('overview.chartLoading')} />}>
      <Chart
        option={option}
        label={t('decision.contributions')}
        height={Math.max(160, contributions.length * 28 + 48)}
      />
    </Suspense>
  );
}
