import { Anchor, Card, Group, Stack, Table, Text } from '@mantine/core';
import { Link } from 'react-router';
import { holdsPage } from '../api/resources.ts';
import { useApi } from '../auth/session.tsx';
import { Id, OpenById, OutcomeBadge, PageHeader, useKindLabel } from '../components/Common.tsx';
import { CursorTable, useCursorList } from '../components/CursorList.tsx';
import { isNotAvailable } from '../components/States.tsx';
import { useI18n } from '../i18n/index.tsx';
import { REFRESH_MS } from './Overview.tsx';

const PAGE_SIZE = 25;

/** The review queue: movements the risk gate held, oldest decisions first as the server orders them. */
export function Holds() {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const kindLabel = useKindLabel();
  const { pager, list } = useCursorList(
    ['holds', 'pending'],
    (cursor) => api.get('/v1/holds', holdsPage, { status: 'pending', limit: PAGE_SIZE, cursor }),
    () => REFRESH_MS,
  );

  return (
    <>
      <PageHeader title={t('holds.title')} description={t('holds.description')} />
      <Stack>
        <Card withBorder>
          <OpenById label={t('holds.openById')} prefix="hold" to={(id) => `/holds/${id}`} />
        </Card>
        <CursorTable
          list={list}
          pager={pager}
          testId="holds-table"
          minWidth={900}
          empty={t('holds.empty')}
          head={
            <>
              <Table.Th>{t('field.kind')}</Table.Th>
              <Table.Th ta="right">{t('field.amount')}</Table.Th>
              <Table.Th>{t('field.owner')}</Table.Th>
              <Table.Th>{t('field.decision')}</Table.Th>
              <Table.Th>{t('field.reasons')}</Table.Th>
              <Table.Th>{t('field.createdAt')}</Table.Th>
              <Table.Th>{t('field.expiresAt')}</Table.Th>
            </>
          }
          row={(h) => (
            <Table.Tr key={h.id} data-testid={`hold-row-${h.id}`}>
              <Table.Td>
                <Anchor component={Link} to={`/holds/${h.id}`}>
                  {kindLabel(h.kind)}
                </Anchor>
              </Table.Td>
              <Table.Td ta="right">{i18n.money(h.amountMinor, h.currency)}</Table.Td>
              <Table.Td>
                {h.ownerId ? (
                  <Anchor component={Link} to={`/customers/${h.ownerId}`}>
                    <Id value={h.ownerId} />
                  </Anchor>
                ) : (
                  <Id value={h.accountId} />
                )}
              </Table.Td>
              <Table.Td>{h.decision ? <OutcomeBadge outcome={h.decision.outcome} /> : '—'}</Table.Td>
              <Table.Td>
                <Text size="sm">{h.decision?.reasonCodes.join(', ') || '—'}</Text>
              </Table.Td>
              <Table.Td>{i18n.dateTime(h.createdAt)}</Table.Td>
              <Table.Td>{i18n.dateTime(h.expiresAt)}</Table.Td>
            </Table.Tr>
          )}
        />
        {list.isError && isNotAvailable(list.error) && (
          <Group>
            <Text size="sm" c="dimmed">
              {t('holds.queueMissing')}
            </Text>
          </Group>
        )}
      </Stack>
    </>
  );
}
