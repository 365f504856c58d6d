import { Alert, Anchor, Code, Group, SimpleGrid, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { BACKTEST_KEYS, BACKTEST_POLL_MS, type Backtest, backtest, isActive } from '../api/backtests.ts';
import { useApi } from '../auth/session.tsx';
import { Compare } from '../components/backtests/Compare.tsx';
import { Outcomes } from '../components/backtests/Outcomes.tsx';
import {
  BacktestProgress,
  BacktestStatusBadge,
  CancelButton,
  CandidateText,
  PeriodText,
} from '../components/backtests/Status.tsx';
import { Agreement, Diff, RuleHits, Scenarios } from '../components/backtests/Tables.tsx';
import { PageHeader } from '../components/Common.tsx';
import { Field, KeyValues, Section } from '../components/Detail.tsx';
import { QueryView } from '../components/States.tsx';
import { useI18n } from '../i18n/index.tsx';

/** One back-test: what it replays, its progress while it runs, and once done the candidate beside the baseline. */
export function BacktestDetail() {
  const { id = '' } = useParams();
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const q = useQuery({
    queryKey: BACKTEST_KEYS.one(id),
    queryFn: () => api.get(`/v1/risk/backtests/${encodeURIComponent(id)}`, backtest),
    refetchInterval: (query) => {
      const status = query.state.data?.status;
      return status !== undefined && isActive(status) ? BACKTEST_POLL_MS : false;
    },
  });

  return (
    <QueryView query={q}>
      {(b) => (
        <>
          <PageHeader
            title={t('backtest.title', { id: b.id })}
            description={t('backtest.subtitle', { time: i18n.dateTime(b.createdAt) })}
            right={
              <Anchor component={Link} to="/backtests" size="sm">
                {t('backtest.back')}
              </Anchor>
            }
          />
          <Stack>
            <SimpleGrid cols={{ base: 1, md: 2 }}>
              <Section title={t('backtest.params')}>
                <Params b={b} />
              </Section>
              <Section title={t('backtests.col.status')}>
                <Stack gap="sm">
                  <Group>
                    <BacktestStatusBadge status={b.status} />
                    <CancelButton b={b} />
                  </Group>
                  <BacktestProgress b={b} />
                  <StateNotice b={b} />
                </Stack>
              </Section>
            </SimpleGrid>
            {b.status === 'done' && b.result && (
              <>
                <Section title={t('backtest.compare')}>
                  <Compare result={b.result} />
                </Section>
                <Section title={t('backtest.outcomes')}>
                  <Outcomes result={b.result} />
                </Section>
                <Section title={t('backtest.diff')}>
                  <Diff result={b.result} />
                </Section>
                <Section title={t('backtest.ruleHits')}>
                  <RuleHits result={b.result} />
                </Section>
                <SimpleGrid cols={{ base: 1, lg: 2 }}>
                  <Section title={t('backtest.scenarios')}>
                    <Scenarios result={b.result} />
                  </Section>
                  <Section title={t('backtest.agreement')}>
                    <Agreement result={b.result} />
                  </Section>
                </SimpleGrid>
              </>
            )}
          </Stack>
        </>
      )}
    </QueryView>
  );
}

function Params({ b }: { b: Backtest }) {
  const i18n = useI18n();
  const { t } = i18n;
  return (
    <KeyValues>
      <Field label={t('backtests.col.period')} w={190}>
        <PeriodText params={b.params} />
      </Field>
      <Field label={t('backtest.baselineRevision')}>
        <Code>{b.params.baselineRevision ?? '—'}</Code>
      </Field>
      <Field label={t('backtests.col.candidate')}>
        <CandidateText params={b.params} />
      </Field>
      {b.params.candidateRevision && b.params.candidateRevision !== b.params.baselineRevision && (
        <Field label={t('backtest.candidateRevision')}>
          <Code>{b.params.candidateRevision}</Code>
        </Field>
      )}
      <Field label={t('backtests.warmup')}>{t('backtest.warmupDays', { days: b.params.warmupDays })}</Field>
      <Field label={t('backtests.col.created')}>{i18n.dateTime(b.createdAt)}</Field>
    </KeyValues>
  );
}

/** What the state means, when it is not "done": waiting, stopping, failed with the server's words, cancelled. */
function StateNotice({ b }: { b: Backtest }) {
  const i18n = useI18n();
  const { t } = i18n;
  switch (b.status) {
    case 'queued':
      return (
        <Text size="sm" c="dimmed">
          {b.cancelRequested ? t('backtest.cancelRequested') : t('backtest.queued')}
        </Text>
      );
    case 'running':
      return b.cancelRequested ? (
        <Text size="sm" c="dimmed">
          {t('backtest.cancelRequested')}
        </Text>
      ) : null;
    case 'failed':
      return (
        <Alert color="red" variant="light" role="alert" title={t('backtest.failed')}>
          {b.error && <Text size="sm">{t('backtest.serverSaid', { message: b.error })}</Text>}
        </Alert>
      );
    case 'cancelled':
      return (
        <Alert color="gray" variant="light">
          {t('backtest.cancelled', { processed: i18n.number(b.processed) })}
        </Alert>
      );
    case 'done':
      return null;
    default: {
      const never: never = b.status;
      return never;
    }
  }
}
