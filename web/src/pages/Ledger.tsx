import { Anchor, Card, Select, Stack, Table, TextInput } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import { entriesPage } from '../api/resources.ts';
import { useApi } from '../auth/session.tsx';
import { Id, OpenById, PageHeader, useKindLabel } from '../components/Common.tsx';
import { CursorTable, FilterForm, useCursorList } from '../components/CursorList.tsx';
import { useI18n } from '../i18n/index.tsx';

const PAGE_SIZE = 50;
const KINDS = ['transfer', 'payment', 'refund', 'topup', 'withdrawal', 'fee', 'reversal', 'adjustment'];

/** The journal, newest first: filter by account or kind, open an entry's story. */
export function Ledger() {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const kindLabel = useKindLabel();
  const [accountTyped, setAccountTyped] = useState('');
  const [filters, setFilters] = useState<{ accountId: string; kind: string | null }>({
    accountId: '',
    kind: null,
  });
  const [kind, setKind] = useState<string | null>(null);
  const { pager, list } = useCursorList(['entries', filters], (cursor) =>
    api.get('/v1/entries', entriesPage, {
      accountId: filters.accountId,
      kind: filters.kind,
      limit: PAGE_SIZE,
      cursor,
    }),
  );
  const apply = () => {
    pager.reset();
    setFilters({ accountId: accountTyped.trim(), kind });
  };

  return (
    <>
      <PageHeader title={t('ledger.title')} description={t('ledger.description')} />
      <Stack>
        <Card withBorder>
          <Stack>
            <FilterForm onSubmit={apply}>
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
            </FilterForm>
            <OpenById label={t('ledger.openById')} prefix="txn" to={(id) => `/ledger/entries/${id}`} />
          </Stack>
        </Card>
        <CursorTable
          list={list}
          pager={pager}
          testId="entries-table"
          minWidth={800}
          head={
            <>
              <Table.Th>{t('field.seq')}</Table.Th>
              <Table.Th>{t('field.kind')}</Table.Th>
              <Table.Th ta="right">{t('field.amount')}</Table.Th>
              <Table.Th>{t('field.entry')}</Table.Th>
              <Table.Th>{t('field.occurredAt')}</Table.Th>
            </>
          }
          row={(e) => (
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
          )}
        />
      </Stack>
    </>
  );
}
