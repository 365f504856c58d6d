import { Anchor, Stack, Table, Text } from '@mantine/core';
import { Link } from 'react-router';
import { BACKTEST_KEYS, BACKTEST_POLL_MS, backtestsPage, isActive } from '../api/backtests.ts';
import { useApi, useAuth } from '../auth/session.tsx';
import { StartForm } from '../components/backtests/StartForm.tsx';
import {
  BacktestProgress,
  BacktestStatusBadge,
  CancelButton,
  CandidateText,
  PeriodText,
} from '../components/backtests/Status.tsx';
import { PageHeader } from '../components/Common.tsx';
import { CursorTable, useCursorList } from '../components/CursorList.tsx';
import { Section } from '../components/Detail.tsx';
import { useI18n } from '../i18n/index.tsx';

const PAGE_SIZE = 25;

/** Back-tests: start one (rule writers), and every run newest first, followed while one is queued or running. */
export function Backtests() {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const auth = useAuth();
  const { pager, list } = useCursorList(
    BACKTEST_KEYS.all,
    (cursor) => api.get('/v1/risk/backtests', backtestsPage, { limit: PAGE_SIZE, cursor }),
    (_page, shown) => (shown?.items.some((b) => isActive(b.status)) ? BACKTEST_POLL_MS : false),
  );

  return (
    <>
      <PageHeader title={t('backtests.title')} description={t('backtests.description')} />
      <Stack>
        {auth.can('rule.write') ? (
          <Section title={t('backtests.new')}>
            <StartForm />
          </Section>
        ) : (
          <Text size="sm" c="dimmed">
            {t('backtests.cannotStart')}
          </Text>
        )}
        <Section title={t('backtests.list')}>
          <CursorTable
            list={list}
            pager={pager}
            testId="backtests-table"
            minWidth={960}
            empty={t('backtests.empty')}
            head={
              <>
                <Table.Th>{t('backtests.col.created')}</Table.Th>
                <Table.Th>{t('backtests.col.status')}</Table.Th>
                <Table.Th>{t('backtests.col.period')}</Table.Th>
                <Table.Th>{t('backtests.col.candidate')}</Table.Th>
                <Table.Th>{t('backtests.col.progress')}</Table.Th>
                <Table.Th />
              </>
            }
            row={(b) => (
              <Table.Tr key={b.id} data-testid={`backtest-row-${b.id}`}>
                <Table.Td>
                  <Anchor
                    component={Link}
                    to={`/backtests/${b.id}`}
                    size="sm"
                    data-testid={`backtest-link-${b.id}`}
                  >
                    {i18n.dateTime(b.createdAt)}
                  </Anchor>
                </Table.Td>
                <Table.Td>
                  <BacktestStatusBadge status={b.status} />
                </Table.Td>
                <Table.Td>
                  <Text size="sm">
                    <PeriodText params={b.params} />
                  </Text>
                </Table.Td>
                <Table.Td>
                  <CandidateText params={b.params} />
                </Table.Td>
                <Table.Td>
                  <BacktestProgress b={b} />
                </Table.Td>
                <Table.Td>
                  <CancelButton b={b} />
                </Table.Td>
              </Table.Tr>
            )}
          />
        </Section>
      </Stack>
    </>
  );
}
