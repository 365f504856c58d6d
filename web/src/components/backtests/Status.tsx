import { Badge, Button, Code, Group, Progress, Stack, Text } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import {
  BACKTEST_KEYS,
  type BacktestParams,
  type BacktestStatus,
  type BacktestSummary,
  backtest,
  isActive,
} from '../../api/backtests.ts';
import { newIdempotencyKey } from '../../api/rules.ts';
import { useApi, useAuth } from '../../auth/session.tsx';
import type { MessageKey } from '../../i18n/en.ts';
import { useI18n } from '../../i18n/index.tsx';

const STATUS: Record<BacktestStatus, { key: MessageKey; color: string }> = {
  queued: { key: 'backtestStatus.queued', color: 'gray' },
  running: { key: 'backtestStatus.running', color: 'blue' },
  done: { key: 'backtestStatus.done', color: 'green' },
  failed: { key: 'backtestStatus.failed', color: 'red' },
  cancelled: { key: 'backtestStatus.cancelled', color: 'dark' },
};

export function BacktestStatusBadge({ status }: { status: BacktestStatus }) {
  const { t } = useI18n();
  return (
    <Badge color={STATUS[status].color} variant="light" data-testid="backtest-status" data-status={status}>
      {t(STATUS[status].key)}
    </Badge>
  );
}

/** How far a run has got: a bar that moves while it runs, and the events replayed of the total. */
export function BacktestProgress({ b }: { b: BacktestSummary }) {
  const i18n = useI18n();
  const { t } = i18n;
  const percent = Math.round(Math.min(1, Math.max(0, b.progress)) * 100);
  return (
    <Stack gap={2} miw={160}>
      <Progress
        value={percent}
        animated={b.status === 'running'}
        striped={isActive(b.status)}
        color={STATUS[b.status].color}
        aria-label={t('backtests.col.progress')}
        data-testid="backtest-progress"
      />
      <Text size="xs" c="dimmed">
        {t('backtests.progress', { processed: i18n.number(b.processed), total: i18n.number(b.total) })}
      </Text>
    </Stack>
  );
}

/** The period of a run, in the user's locale. */
export function PeriodText({ params }: { params: BacktestParams }) {
  const i18n = useI18n();
  return (
    <>{i18n.t('backtests.period', { from: i18n.dateTime(params.from), to: i18n.dateTime(params.to) })}</>
  );
}

/** The candidate of a run: the active set, or the versions that act in it. */
export function CandidateText({ params }: { params: BacktestParams }) {
  const { t } = useI18n();
  if (params.candidateVersions.length === 0) return <Text size="sm">{t('backtests.activeSet')}</Text>;
  return (
    <Group gap={4}>
      {params.candidateVersions.map((v) => (
        <Code key={v}>{v}</Code>
      ))}
    </Group>
  );
}

/** Cancels a queued or running back-test; the list and the run are read again after. */
export function CancelButton({ b }: { b: BacktestSummary }) {
  const { t, errorText } = useI18n();
  const api = useApi();
  const auth = useAuth();
  const queryClient = useQueryClient();
  const cancel = useMutation({
    mutationFn: () =>
      api.post(
        `/v1/risk/backtests/${encodeURIComponent(b.id)}/cancel`,
        backtest,
        {},
        {
          idempotencyKey: newIdempotencyKey(),
        },
      ),
    onSettled: () => queryClient.invalidateQueries({ queryKey: BACKTEST_KEYS.all }),
  });
  if (!auth.can('rule.write') || !isActive(b.status)) return null;
  return (
    <Stack gap={2} align="flex-start">
      <Button
        size="xs"
        variant="default"
        color="red"
        onClick={() => cancel.mutate()}
        loading={cancel.isPending}
        disabled={b.cancelRequested}
        aria-label={t('backtests.cancelFor', { id: b.id })}
        data-testid="backtest-cancel"
      >
        {b.cancelRequested ? t('backtests.stopping') : t('backtests.cancel')}
      </Button>
      {cancel.isError && (
        <Text size="xs" c="red" role="alert">
          {errorText(cancel.error)}
        </Text>
      )}
    </Stack>
  );
}
