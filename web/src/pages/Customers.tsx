import { Anchor, Card, Stack, Table, TextInput } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import { customersPage } from '../api/resources.ts';
import { useApi } from '../auth/session.tsx';
import { Id, OpenById, PageHeader, StatusBadge } from '../components/Common.tsx';
import { CursorTable, FilterForm, useCursorList } from '../components/CursorList.tsx';
import { isNotAvailable } from '../components/States.tsx';
import { useI18n } from '../i18n/index.tsx';

const PAGE_SIZE = 25;

/** Customer search by id, phone or name prefix; each row opens the 360° view. */
export function Customers() {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const [typed, setTyped] = useState('');
  const [q, setQ] = useState('');
  const { pager, list } = useCursorList(['customers', q], (cursor) =>
    api.get('/v1/customers', customersPage, { q, limit: PAGE_SIZE, cursor }),
  );
  const search = () => {
    pager.reset();
    setQ(typed.trim());
  };
  const looksLikeId = /^cus_[0-9a-z]{26}$/.test(q);

  return (
    <>
      <PageHeader title={t('customers.title')} description={t('customers.description')} />
      <Stack>
        <Card withBorder>
          <FilterForm onSubmit={search} submitLabel={t('action.search')}>
            <TextInput
              label={t('customers.search')}
              description={t('customers.searchHint')}
              value={typed}
              onChange={(e) => setTyped(e.currentTarget.value)}
              w={380}
              name="q"
            />
          </FilterForm>
        </Card>
        {looksLikeId && (
          <Anchor component={Link} to={`/customers/${q}`}>
            {t('customers.openId', { id: q })}
          </Anchor>
        )}
        <CursorTable
          list={list}
          pager={pager}
          testId="customers-table"
          minWidth={760}
          empty={q ? t('customers.noMatch', { q }) : t('state.empty')}
          errorExtra={(error) =>
            isNotAvailable(error) && (
              <Card withBorder>
                <OpenById label={t('customers.openById')} prefix="cus" to={(id) => `/customers/${id}`} />
              </Card>
            )
          }
          head={
            <>
              <Table.Th>{t('field.name')}</Table.Th>
              <Table.Th>{t('field.id')}</Table.Th>
              <Table.Th>{t('field.status')}</Table.Th>
              <Table.Th>{t('field.kycTier')}</Table.Th>
              <Table.Th>{t('field.phone')}</Table.Th>
              <Table.Th>{t('field.email')}</Table.Th>
              <Table.Th>{t('field.createdAt')}</Table.Th>
            </>
          }
          row={(c) => (
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
              <Table.Td>{c.kycTier === null ? '—' : t('customers.tier', { tier: c.kycTier })}</Table.Td>
              <Table.Td>{c.phone ?? '—'}</Table.Td>
              <Table.Td>{c.email ?? '—'}</Table.Td>
              <Table.Td>{i18n.dateTime(c.createdAt)}</Table.Td>
            </Table.Tr>
          )}
        />
      </Stack>
    </>
  );
}
