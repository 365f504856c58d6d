import { Stack, Table, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { type AmountRow, amountRows, type BacktestResult } from '../../api/backtests.ts';
import { useI18n } from '../../i18n/index.tsx';

function signed(n: number, text: string): string {
  return n > 0 ? `+${text}` : text;
}

/** One measure of both sets: the label, each set's value and the change. */
function Row({
  id,
  label,
  baseline,
  candidate,
  change,
}: {
  id: string;
  label: string;
  baseline: ReactNode;
  candidate: ReactNode;
  change: ReactNode;
}) {
  return (
    <Table.Tr data-testid={`bt-metric-${id}`}>
      <Table.Th>{label}</Table.Th>
      <Table.Td ta="right" data-testid="baseline">
        {baseline}
      </Table.Td>
      <Table.Td ta="right" data-testid="candidate">
        {candidate}
      </Table.Td>
      <Table.Td ta="right" data-testid="change">
        {change}
      </Table.Td>
    </Table.Tr>
  );
}

/** Amounts per currency, one line each; the change is signed. */
function Amounts({ rows, side }: { rows: AmountRow[]; side: 'baseline' | 'candidate' | 'change' }) {
  const i18n = useI18n();
  if (rows.length === 0) return <>{i18n.number(0)}</>;
  return (
    <Stack gap={0} align="flex-end">
      {rows.map((r) => {
        const text = i18n.money(r[side], r.currency);
        return (
          <span key={r.currency}>
            {side === 'change' && !r.change.startsWith('-') && r.change !== '0' ? `+${text}` : text}
          </span>
        );
      })}
    </Stack>
  );
}

/** The candidate beside the baseline: events, flagged, held and blocked amounts, labels, precision and recall. */
export function Compare({ result }: { result: BacktestResult }) {
  const i18n = useI18n();
  const { t } = i18n;
  const { baseline: b, candidate: c } = result;
  const count = (x: number, y: number) => signed(y - x, i18n.number(y - x));
  const ratio = (x: number | null, y: number | null) =>
    x === null || y === null
      ? '—'
      : t('backtest.points', {
          value: `${y - x > 0 ? '+' : ''}${i18n.number(Math.round((y - x) * 1000) / 10)}`,
        });
  const held = amountRows(b.heldMinor, c.heldMinor);
  const blocked = amountRows(b.blockedMinor, c.blockedMinor);
  return (
    <Stack gap="xs">
      <Table.ScrollContainer minWidth={560}>
        <Table data-testid="bt-compare" striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('backtest.metric')}</Table.Th>
              <Table.Th ta="right">{t('backtest.baseline')}</Table.Th>
              <Table.Th ta="right">{t('backtest.candidate')}</Table.Th>
              <Table.Th ta="right">{t('backtest.change')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            <Row
              id="events"
              label={t('backtest.events')}
              baseline={i18n.number(b.events)}
              candidate={i18n.number(c.events)}
              change={count(b.events, c.events)}
            />
            <Row
              id="flagged"
              label={t('backtest.flagged')}
              baseline={i18n.number(b.flagged)}
              candidate={i18n.number(c.flagged)}
              change={count(b.flagged, c.flagged)}
            />
            <Row
              id="held"
              label={t('backtest.held')}
              baseline={<Amounts rows={held} side="baseline" />}
              candidate={<Amounts rows={held} side="candidate" />}
              change={<Amounts rows={held} side="change" />}
            />
            <Row
              id="blocked"
              label={t('backtest.blocked')}
              baseline={<Amounts rows={blocked} side="baseline" />}
              candidate={<Amounts rows={blocked} side="candidate" />}
              change={<Amounts rows={blocked} side="change" />}
            />
            <Row
              id="labelled"
              label={t('backtest.labelled')}
              baseline={t('backtest.labelledValue', {
                labelled: i18n.number(b.labels.labelled),
                positives: i18n.number(b.labels.positives),
                negatives: i18n.number(b.labels.negatives),
              })}
              candidate={t('backtest.labelledValue', {
                labelled: i18n.number(c.labels.labelled),
                positives: i18n.number(c.labels.positives),
                negatives: i18n.number(c.labels.negatives),
              })}
              change=""
            />
            <Row
              id="precision"
              label={t('backtest.precision')}
              baseline={i18n.percent(b.labels.precision)}
              candidate={i18n.percent(c.labels.precision)}
              change={ratio(b.labels.precision, c.labels.precision)}
            />
            <Row
              id="recall"
              label={t('backtest.recall')}
              baseline={i18n.percent(b.labels.recall)}
              candidate={i18n.percent(c.labels.recall)}
              change={ratio(b.labels.recall, c.labels.recall)}
            />
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {result.warmupEvents > 0 && (
        <Text size="xs" c="dimmed">
          {t('backtest.warmupEvents', { count: i18n.number(result.warmupEvents) })}
        </Text>
      )}
      <Text size="xs" c="dimmed">
        {t('backtest.ratiosHint')}
      </Text>
    </Stack>
  );
}
