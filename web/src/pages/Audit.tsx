import { Alert, Badge, Button, Card, Group, List, Stack, Table, Text, TextInput } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { auditPage, auditVerify } from '../api/resources.ts';
import { useApi } from '../auth/session.tsx';
import { Id, PageHeader } from '../components/Common.tsx';
import { CursorTable, FilterForm, useCursorList } from '../components/CursorList.tsx';
import { roleLabel } from '../components/Layout.tsx';
import { ErrorState } from '../components/States.tsx';
import { useI18n } from '../i18n/index.tsx';

const PAGE_SIZE = 50;
interface Filters {
  actorId: string;
  action: string;
  targetId: string;
}
const NO_FILTERS: Filters = { actorId: '', action: '', targetId: '' };

/** The audit log, newest first, with filters and the state of its hash chain. */
export function Audit() {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const [typed, setTyped] = useState<Filters>(NO_FILTERS);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const { pager, list } = useCursorList(['audit', filters], (cursor) =>
    api.get('/v1/audit', auditPage, { ...filters, limit: PAGE_SIZE, cursor }),
  );
  const verify = useQuery({
    queryKey: ['audit-verify'],
    queryFn: () => api.get('/v1/audit/verify', auditVerify),
  });
  const apply = () => {
    pager.reset();
    setFilters({
      actorId: typed.actorId.trim(),
      action: typed.action.trim(),
      targetId: typed.targetId.trim(),
    });
  };

  return (
    <>
      <PageHeader
        title={t('audit.title')}
        description={t('audit.description')}
        right={
          <Group gap="xs" data-testid="audit-chain">
            {verify.isPending || verify.isFetching ? (
              <Badge color="gray" variant="light">
                {t('audit.verifying')}
              </Badge>
            ) : verify.isError ? (
              <Badge color="gray" variant="light">
                {t('audit.verifyUnavailable')}
              </Badge>
            ) : verify.data.ok ? (
              <Badge color="green" variant="light" size="lg">
                {t('audit.chainOk', { count: i18n.number(verify.data.records) })}
              </Badge>
            ) : (
              <Badge color="red" variant="filled" size="lg">
                {t('audit.chainBroken', { count: i18n.number(verify.data.problems.length) })}
              </Badge>
            )}
            <Button
              size="xs"
              variant="default"
              onClick={() => void verify.refetch()}
              disabled={verify.isFetching}
            >
              {t('audit.verifyAgain')}
            </Button>
          </Group>
        }
      />
      <Stack>
        {verify.data && !verify.data.ok && (
          <Alert color="red" title={t('audit.brokenTitle')} role="alert">
            <List size="sm">
              {verify.data.problems.slice(0, 20).map((p) => (
                <List.Item key={`${p.seq}-${p.message}`}>
                  {t('audit.problem', { seq: p.seq, message: p.message })}
                </List.Item>
              ))}
            </List>
          </Alert>
        )}
        {verify.isError && <ErrorState error={verify.error} />}
        <Card withBorder>
          <FilterForm
            onSubmit={apply}
            after={
              <Button
                variant="default"
                onClick={() => {
                  setTyped(NO_FILTERS);
                  setFilters(NO_FILTERS);
                  pager.reset();
                }}
              >
                {t('action.clear')}
              </Button>
            }
          >
            <TextInput
              label={t('audit.actor')}
              value={typed.actorId}
              onChange={(e) => setTyped({ ...typed, actorId: e.currentTarget.value })}
            />
            <TextInput
              label={t('audit.action')}
              placeholder="pii.reveal"
              value={typed.action}
              onChange={(e) => setTyped({ ...typed, action: e.currentTarget.value })}
            />
            <TextInput
              label={t('audit.target')}
              value={typed.targetId}
              onChange={(e) => setTyped({ ...typed, targetId: e.currentTarget.value })}
            />
          </FilterForm>
        </Card>
        <CursorTable
          list={list}
          pager={pager}
          testId="audit-table"
          minWidth={900}
          head={
            <>
              <Table.Th>{t('field.seq')}</Table.Th>
              <Table.Th>{t('field.time')}</Table.Th>
              <Table.Th>{t('audit.actor')}</Table.Th>
              <Table.Th>{t('audit.action')}</Table.Th>
              <Table.Th>{t('audit.target')}</Table.Th>
              <Table.Th>{t('field.reason')}</Table.Th>
            </>
          }
          row={(r) => (
            <Table.Tr key={r.id}>
              <Table.Td>{i18n.number(r.seq)}</Table.Td>
              <Table.Td>{i18n.dateTime(r.at)}</Table.Td>
              <Table.Td>
                <Group gap={4} wrap="nowrap">
                  <Id value={r.actorId} />
                  {r.actorRole && (
                    <Badge size="xs" variant="light">
                      {roleLabel(t, r.actorRole)}
                    </Badge>
                  )}
                </Group>
              </Table.Td>
              <Table.Td>
                <Text size="sm" ff="monospace">
                  {r.action}
                </Text>
              </Table.Td>
              <Table.Td>
                {r.targetType ? `${r.targetType} ` : ''}
                <Id value={r.targetId} />
              </Table.Td>
              <Table.Td>
                <Text size="sm" lineClamp={2}>
                  {r.reason ?? '—'}
                </Text>
              </Table.Td>
            </Table.Tr>
          )}
        />
      </Stack>
    </>
  );
}
