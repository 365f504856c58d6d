import { Anchor, Group, SegmentedControl, Stack, Table, Text } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import { decisionsPage } from '../api/resources.ts';
import { useApi } from '../auth/session.tsx';
import { Id, OutcomeBadge, PageHeader, useKindLabel } from '../components/Common.tsx';
import { CursorTable, useCursorList } from '../components/CursorList.tsx';
import { useI18n } from '../i18n/index.tsx';
import { REFRESH_MS } from './Overview.tsx';

const PAGE_SIZE = 50;

/** The stream of risk decisions, newest first; the first page follows new decisions. */
export function Decisions() {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const kindLabel = useKindLabel();
  const [outcome, setOutcome] = useState('all');
  const { pager, list } = useCursorList(
    ['decisions', outcome],
    (cursor) =>
      api.get('/v1/decisions', decisionsPage, {
        outcome: outcome === 'all' ? undefined : outcome,
        limit: PAGE_SIZE,
        cursor,
      }),
    (page) => (page === 1 ? REFRESH_MS : false),
  );

  return (
    <>
      <PageHeader
        title={t('decisions.title')}
        description={t('decisions.description')}
        right={
          <SegmentedControl
            aria-label={t('decisions.filter')}
            data-testid="outcome-filter"
            value={outcome}
            onChange={(v) => {
              pager.reset();
              setOutcome(v);
            }}
            data={[
              { value: 'all', label: t('decisions.all') },
              { value: 'ALLOW', label: t('outcome.ALLOW') },
              { value: 'REVIEW', label: t('outcome.REVIEW') },
              { value: 'BLOCK', label: t('outcome.BLOCK') },
            ]}
          />
        }
      />
      <Stack>
        <CursorTable
          list={list}
          pager={pager}
          testId="decisions-table"
          minWidth={900}
          head={
            <>
              <Table.Th>{t('field.time')}</Table.Th>
              <Table.Th>{t('field.decision')}</Table.Th>
              <Table.Th>{t('field.kind')}</Table.Th>
              <Table.Th ta="right">{t('field.amount')}</Table.Th>
              <Table.Th>{t('field.reasons')}</Table.Th>
              <Table.Th>{t('field.subject')}</Table.Th>
              <Table.Th>{t('field.result')}</Table.Th>
            </>
          }
          row={(d, i) => (
            <Table.Tr key={d.id || String(i)}>
              <Table.Td>
                {d.id ? (
                  <Anchor
                    component={Link}
                    to={`/decisions/${d.id}`}
                    size="sm"
                    aria-label={t('decisions.openDecision', { id: d.id })}
                    data-testid={`decision-link-${d.id}`}
                  >
                    {i18n.dateTime(d.createdAt)}
                  </Anchor>
                ) : (
                  i18n.dateTime(d.createdAt)
                )}
              </Table.Td>
              <Table.Td>
                <OutcomeBadge outcome={d.outcome} />
              </Table.Td>
              <Table.Td>{d.eventType ? kindLabel(d.eventType) : '—'}</Table.Td>
              <Table.Td ta="right">
                {d.amountMinor && d.currency ? i18n.money(d.amountMinor, d.currency) : '—'}
              </Table.Td>
              <Table.Td>
                <Text size="sm">{d.reasonCodes.join(', ') || '—'}</Text>
              </Table.Td>
              <Table.Td>
                {d.customerId?.startsWith('cus_') ? (
                  <Anchor component={Link} to={`/customers/${d.customerId}`}>
                    <Id value={d.customerId} />
                  </Anchor>
                ) : (
                  <Id value={d.customerId} />
                )}
              </Table.Td>
              <Table.Td>
                <Group gap={4}>
                  {d.entryId && (
                    <Anchor component={Link} to={`/ledger/entries/${d.entryId}`} size="sm">
                      {t('decisions.entry')}
                    </Anchor>
                  )}
                  {d.holdId && (
                    <Anchor component={Link} to={`/holds/${d.holdId}`} size="sm">
                      {t('decisions.hold')}
                    </Anchor>
                  )}
                  {!d.entryId && !d.holdId && '—'}
                </Group>
              </Table.Td>
            </Table.Tr>
          )}
        />
      </Stack>
    </>
  );
}
