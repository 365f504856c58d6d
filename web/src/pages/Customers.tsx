import { Anchor, Button, Card, Group, Stack, Table, TextInput } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { customersPage } from '../api/resources.ts';
import { useApi } from '../auth/session.tsx';
import { Id, OpenById, PageHeader, StatusBadge } from '../components/Common.tsx';
import { Pager, useCursor } from '../components/Pager.tsx';
import { Empty, ErrorState, isNotAvailable, Loading } from '../components/States.tsx';
import { useI18n } from '../i18n/index.tsx';

const PAGE_SIZE = 25;

/** Customer search by id, phone or name prefix; each row opens the 360° view. */
export function Customers() {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const [typed, setTyped] = useState('');
  const [q, setQ] = useState('');
  const pager = useCursor();
  const list = useQuery({
    queryKey: ['customers', q, pager.cursor],
    queryFn: () => api.get('/v1/customers', customersPage, { q, limit: PAGE_SIZE, cursor: pager.cursor }),
    placeholderData: keepPreviousData,
  });
  const search = (e: FormEvent) => {
    e.preventDefault();
    pager.reset();
    setQ(typed.trim());
  };
  const looksLikeId = /^cus_[0-9a-z]{26}$/.test(q);

  return (
    <>
      <PageHeader title={t('customers.title')} description={t('customers.description')} />
      <Stack>
        <Card withBorder>
          <form onSubmit={search}>
            <Group align="flex-end">
              <TextInput
                label={t('customers.search')}
                description={t('customers.searchHint')}
                value={typed}
                onChange={(e) => setTyped(e.currentTarget.value)}
                w={380}
                name="q"
              />
              <Button type="submit">{t('action.search')}</Button>
            </Group>
          </form>
        </Card>
        {looksLikeId && (
          <Anchor component={Link} to={`/customers/${q}`}>
            {t('customers.openId', { id: q })}
          </Anchor>
        )}
        {list.isPending ? (
          <Loading />
        ) : list.isError ? (
          <>
            <ErrorState error={list.error} onRetry={() => void list.refetch()} />
            {isNotAvailable(list.error) && (
              <Card withBorder>
                <OpenById label={t('customers.openById')} prefix="cus" to={(id) => `/customers/${id}`} />
              </Card>
            )}
          </>
        ) : list.data.items.length === 0 ? (
          <Empty>{q ? t('customers.noMatch', { q }) : t('state.empty')}</Empty>
        ) : (
          <Card withBorder padding={0}>
            <Table.ScrollContainer minWidth={760}>
              <Table highlightOnHover data-testid="customers-table">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('field.name')}</Table.Th>
                    <Table.Th>{t('field.id')}</Table.Th>
                    <Table.Th>{t('field.status')}</Table.Th>
                    <Table.Th>{t('field.kycTier')}</Table.Th>
                    <Table.Th>{t('field.phone')}</Table.Th>
                    <Table.Th>{t('field.email')}</Table.Th>
                    <Table.Th>{t('field.createdAt')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {list.data.items.map((c) => (
                    <Table.Tr key={c.id}>
                      <Table.Td>
                        <Anchor component={Link} to={`/customers/${c.id}`}>
                          {c.displayName || c.id}
                        </Anchor>
                      </Table.Td>
                      <Table.Td>
                        <Id value={c.id} />
                      </Table.Td>
                      <Table.Td>
                        <StatusBadge status={c.status} />
                      </Table.Td>
                      <Table.Td>
                        {c.kycTier === null ? '—' : t('customers.tier', { tier: c.kycTier })}
                      </Table.Td>
                      <Table.Td>{c.phone ?? '—'}</Table.Td>
                      <Table.Td>{c.email ?? '—'}</Table.Td>
                      <Table.Td>{i18n.dateTime(c.createdAt)}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          </Card>
        )}
        {list.data && <Pager pager={pager} nextCursor={list.data.nextCursor} loading={list.isFetching} />}
      </Stack>
    </>
  );
}
