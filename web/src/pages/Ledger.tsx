import { Anchor, Button, Card, Group, Select, Stack, Table, TextInput } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { entriesPage } from '../api/resources.ts';
import { useApi } from '../auth/session.tsx';
import { Id, OpenById, PageHeader, useKindLabel } from '../components/Common.tsx';
import { Pager, useCursor } from '../components/Pager.tsx';
import { Empty, ErrorState, Loading } from '../components/States.tsx';
import { useI18n } from '../i18n/index.tsx';

const PAGE_SIZE = 50;
const KINDS = ['transfer', 'payment', 'refund', 'topup', 'withdrawal', 'fee', 'reversal', 'adjustment'];

/** The journal, newest first: filter by account or kind, open an entry's story. */
export function Ledger() {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const kindLabel = useKindLabel();
  const pager = useCursor();
  const [accountTyped, setAccountTyped] = useState('');
  const [filters, setFilters] = useState<{ accountId: string; kind: string | null }>({
    accountId: '',
    kind: null,
  });
  const [kind, setKind] = useState<string | null>(null);
  const list = useQuery({
    queryKey: ['entries', filters, pager.cursor],
    queryFn: () =>
      api.get('/v1/entries', entriesPage, {
        accountId: filters.accountId,
        kind: filters.kind,
        limit: PAGE_SIZE,
        cursor: pager.cursor,
      }),
    placeholderData: keepPreviousData,
  });
  const apply = (e: FormEvent) => {
    e.preventDefault();
    pager.reset();
    setFilters({ accountId: accountTyped.trim(), kind });
  };

  return (
    <>
      <PageHeader title={t('ledger.title')} description={t('ledger.description')} />
      <Stack>
        <Card withBorder>
          <Stack>
            <form onSubmit={apply}>
              <Group align="flex-end">
                <TextInput
                  label={t('field.account')}
                  value={accountTyped}
                  onChange={(e) => setAccountTyped(e.currentTarget.value)}
                  w={300}
                />
                <Select
                  label={t('field.kind')}
                  data={KINDS.map((k) => ({ value: k, label: kindLabel(k) }))}
                  value={kind}
                  onChange={setKind}
                  clearable
                  w={200}
                />
                <Button type="submit">{t('action.apply')}</Button>
              </Group>
            </form>
            <OpenById label={t('ledger.openById')} prefix="txn" to={(id) => `/ledger/entries/${id}`} />
          </Stack>
        </Card>
        {list.isPending ? (
          <Loading />
        ) : list.isError ? (
          <ErrorState error={list.error} onRetry={() => void list.refetch()} />
        ) : list.data.items.length === 0 ? (
          <Empty />
        ) : (
          <Card withBorder padding={0}>
            <Table.ScrollContainer minWidth={800}>
              <Table highlightOnHover data-testid="entries-table">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('field.seq')}</Table.Th>
                    <Table.Th>{t('field.kind')}</Table.Th>
                    <Table.Th ta="right">{t('field.amount')}</Table.Th>
                    <Table.Th>{t('field.entry')}</Table.Th>
                    <Table.Th>{t('field.occurredAt')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {list.data.items.map((e) => (
                    <Table.Tr key={e.id}>
                      <Table.Td>{i18n.number(e.seq)}</Table.Td>
                      <Table.Td>
                        <Anchor component={Link} to={`/ledger/entries/${e.id}`}>
                          {kindLabel(e.kind)}
                        </Anchor>
                      </Table.Td>
                      <Table.Td ta="right">{i18n.money(e.amountMinor, e.currency)}</Table.Td>
                      <Table.Td>
                        <Id value={e.id} />
                      </Table.Td>
                      <Table.Td>{i18n.dateTime(e.occurredAt)}</Table.Td>
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
